package org.raftlib.examples.benchmark;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.raftlib.NodeId;
import org.raftlib.RaftNode;

/**
 * One benchmark node in its own JVM, for {@link ProcessCluster}. Arguments: id, members ({@code id=host:port,...}),
 * data directory. Prints {@code started}; then answers stdin commands {@code report} ({@code "<count> <hash>"}) and
 * {@code transfer <id>}; closes the node and exits at the end of stdin.
 */
public final class BenchNodeMain {

    private BenchNodeMain() {
    }

    /**
     * Runs the node.
     *
     * @param args id, members, data directory
     * @throws IOException if the node cannot start
     */
    public static void main(String[] args) throws IOException {
        CountingStateMachine sm = new CountingStateMachine();
        try (RaftNode node = BenchCluster.node(args[0], BenchCluster.parse(args[1]), Path.of(args[2]), sm)) {
            node.start();
            System.out.println("started");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.equals("report")) {
                    System.out.println(sm.count() + " " + Long.toHexString(sm.hash()));
                } else if (line.startsWith("transfer ") && node.status().isLeader()) {
                    node.transferLeadership(NodeId.of(line.substring(9)));
                }
            }
        }
    }
}
