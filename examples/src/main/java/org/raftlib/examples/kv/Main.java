package org.raftlib.examples.kv;

import java.util.Arrays;

/**
 * The entry point of {@code raftlib-kv.jar}: {@code cluster} runs {@link KvCluster}, {@code node} runs
 * {@link KvNode}, and {@code put}, {@code get}, {@code delete}, {@code cas}, {@code status}, {@code snapshot},
 * {@code fill} and the membership commands ({@code members}, {@code add-learner}, {@code add-voter},
 * {@code promote}, {@code remove}) run {@link KvCli}.
 */
public final class Main {

    private static final String USAGE = String.join("\n",
            "usage: java -jar raftlib-kv.jar COMMAND ...",
            "  cluster [--nodes 3] [--extra 0] [--base-port 7001] [--data DIR]    start a local cluster, one JVM per"
                    + " node (--extra: more nodes in join mode, not members until added)",
            "  node --id ID --members ID=HOST:RAFT_PORT@HTTP_PORT,... --data DIR [--join]    run one node",
            "  put KEY VALUE | get KEY [--stale] | delete KEY | cas KEY EXPECTED NEW | status   [--node URL,...]",
            "  snapshot (the first node given snapshots now) | fill COUNT (writes COUNT keys)   [--node URL,...]",
            "  members | add-learner ID HOST:RAFT_PORT[@HTTP_PORT] | add-voter ID HOST:RAFT_PORT[@HTTP_PORT]",
            "    | promote ID | remove ID    membership changes, sent to the leader   [--node URL,...]");

    private Main() {
    }

    /**
     * Dispatches on the first argument.
     *
     * @param args the command and its arguments
     * @throws Exception if a command fails to start
     */
    public static void main(String[] args) throws Exception {
        String command = args.length == 0 ? "" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        switch (command) {
            case "cluster" -> KvCluster.main(rest);
            case "node" -> KvNode.main(rest);
            case "put", "get", "delete", "cas", "status", "snapshot", "fill", "members", "add-learner", "add-voter",
                    "promote", "remove" -> KvCli.main(args);
            default -> {
                System.err.println(command.isEmpty() || command.equals("help") || command.equals("--help")
                        ? USAGE : "unknown command '" + command + "'\n" + USAGE);
                System.exit(command.equals("help") || command.equals("--help") ? 0 : 2);
            }
        }
    }
}
