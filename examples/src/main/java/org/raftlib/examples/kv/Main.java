package org.raftlib.examples.kv;

import picocli.CommandLine;

/**
 * The entry point of {@code raftlib-kv.jar}: {@code cluster} runs {@link KvCluster}, {@code node} runs
 * {@link KvNode}, and {@code put}, {@code get}, {@code delete}, {@code cas}, {@code status}, {@code snapshot},
 * {@code fill} and the membership commands ({@code members}, {@code add-learner}, {@code add-voter},
 * {@code promote}, {@code remove}) run {@link KvCli}. The command line is parsed by picocli ({@link KvCli#run}):
 * {@code --help} after any command shows its usage, and a bad argument exits with status 2 and a message naming it.
 */
public final class Main {

    private Main() {
    }

    /**
     * Runs a command and exits with its status; {@code node} and {@code cluster} return once stopped.
     *
     * @param args the command and its arguments
     */
    public static void main(String[] args) {
        CommandLine line = KvCli.commandLine(System.out, System.err);
        int status = line.execute(args);
        CommandLine.ParseResult parsed = line.getParseResult();
        Object command = parsed == null || parsed.subcommand() == null ? null
                : parsed.subcommand().commandSpec().userObject();
        boolean stoppedByShutdown = command instanceof KvNode.Run || command instanceof KvCluster.Run;
        if (status != 0 || !stoppedByShutdown) {
            System.exit(status);
        }
    }

    /** Returns {@code first} followed by {@code rest}. */
    static String[] prepend(String first, String[] rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
