package org.raftlib.admin;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.transport.netty.AdminClient;
import org.raftlib.transport.netty.AdminException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * The commands besides {@code status}. Leadership transfers and membership changes go to the leader, found by asking
 * every endpoint for its status; if leadership moves meanwhile ({@code NOT_LEADER}) the leader is looked up once
 * more. {@code snapshot} goes to every endpoint.
 */
final class Commands {

    private Commands() {
    }

    /** What the commands share: the global options, the bad-argument check and the leader retry. */
    abstract static class Base implements Callable<Integer> {

        @ParentCommand
        AdminCli cli;

        @Spec
        CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        /** Returns {@code value} as a node id, or fails as a usage error naming {@code what}. */
        NodeId id(String value, String what) {
            try {
                return NodeId.of(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Invalid value for " + what + ": '"
                        + value + "': " + e.getMessage());
            }
        }

        /** Returns a member, or fails as a usage error naming the bad argument. */
        Member member(String id, String address) {
            try {
                new AdminCli.EndpointConverter().convert(address);
            } catch (CommandLine.TypeConversionException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Invalid value for positional "
                        + "parameter <address>: " + e.getMessage());
            }
            return new Member(id(id, "positional parameter <id>"), address);
        }

        /** An operation on the leader. */
        interface OnLeader<T> {
            T apply(AdminClient client, AdminCli.Leader leader);
        }

        /** Runs {@code op} on the leader, looking the leader up again once if it moved. */
        <T> T onLeader(AdminClient client, OnLeader<T> op) {
            try {
                return op.apply(client, cli.leader(client));
            } catch (AdminException e) {
                if (e.code() != AdminException.Code.NOT_LEADER) {
                    throw e;
                }
                return op.apply(client, cli.leader(client));
            }
        }

        /** Runs a membership change and prints the configuration it committed. */
        int change(String done, OnLeader<ClusterConfig> op) {
            try (AdminClient client = cli.client()) {
                ClusterConfig c = onLeader(client, op);
                out().println(done + "; configuration: " + c);
                return 0;
            }
        }
    }

    /** {@code transfer --to <id>}. */
    @Command(name = "transfer", mixinStandardHelpOptions = true,
            description = "Hands leadership to a voter and waits until it leads.")
    static final class Transfer extends Base {

        @Option(names = "--to", required = true, paramLabel = "<id>", description = "The voter to lead next.")
        private String to;

        @Override
        public Integer call() {
            NodeId target = id(to, "option '--to'");
            String outcome;
            try (AdminClient client = cli.client()) {
                outcome = onLeader(client, (c, leader) -> {
                    if (leader.id().equals(target)) {
                        return target + " leads already";
                    }
                    c.transferLeadership(leader.endpoint(), target);
                    return "leadership transferred from " + leader.id() + " to " + target;
                });
            }
            out().println(outcome);
            return 0;
        }
    }

    /** A command about a member to add: {@code <id> <host:port>}. */
    abstract static class NewMember extends Base {

        @Parameters(index = "0", paramLabel = "<id>", description = "The new member's id.")
        private String id;

        @Parameters(index = "1", paramLabel = "<address>", description = "Its transport's host:port.")
        private String address;

        Member newMember() {
            return member(id, address);
        }
    }

    /** {@code add-voter <id> <host:port>}. */
    @Command(name = "add-voter", mixinStandardHelpOptions = true,
            description = "Adds a voter (a learner first, promoted once it has caught up). Start it joining first.")
    static final class AddVoter extends NewMember {

        @Override
        public Integer call() {
            Member m = newMember();
            return change(m.id() + " added as a voter", (c, leader) -> c.addVoter(leader.endpoint(), m));
        }
    }

    /** {@code add-learner <id> <host:port>}. */
    @Command(name = "add-learner", mixinStandardHelpOptions = true,
            description = "Adds a learner: it receives the log but does not vote. Start it joining first.")
    static final class AddLearner extends NewMember {

        @Override
        public Integer call() {
            Member m = newMember();
            return change(m.id() + " added as a learner", (c, leader) -> c.addLearner(leader.endpoint(), m));
        }
    }

    /** {@code promote <id>}. */
    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = "Makes a learner a voter once it has caught up.")
    static final class Promote extends Base {

        @Parameters(index = "0", paramLabel = "<id>", description = "The learner.")
        private String id;

        @Override
        public Integer call() {
            NodeId n = id(id, "positional parameter <id>");
            return change(n + " promoted to voter", (c, leader) -> c.promote(leader.endpoint(), n));
        }
    }

    /** {@code remove <id>}. */
    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Removes a member, voter or learner (a removed leader steps down once the change commits).")
    static final class Remove extends Base {

        @Parameters(index = "0", paramLabel = "<id>", description = "The member.")
        private String id;

        @Override
        public Integer call() {
            NodeId n = id(id, "positional parameter <id>");
            return change(n + " removed", (c, leader) -> c.removeMember(leader.endpoint(), n));
        }
    }

    /** {@code snapshot}. */
    @Command(name = "snapshot", mixinStandardHelpOptions = true,
            description = "Makes every node in --endpoints take a snapshot now and prints the index each covers.")
    static final class Snapshot extends Base {

        @Override
        public Integer call() {
            int failed = 0;
            try (AdminClient client = cli.client()) {
                for (String e : cli.endpoints()) {
                    try {
                        out().println(e + ": snapshot at index " + client.takeSnapshot(e));
                    } catch (AdminException x) {
                        failed++;
                        spec.commandLine().getErr().println("error: " + x.getMessage());
                    }
                }
            }
            out().flush();
            return failed == 0 ? 0 : AdminCli.FAILED;
        }
    }
}
