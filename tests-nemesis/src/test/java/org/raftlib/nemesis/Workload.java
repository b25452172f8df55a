package org.raftlib.nemesis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Concurrent clients doing PUT, GET, CAS and DELETE on a few keys through random nodes, with values unique in the
 * run ({@code c<client>-<n>}), until stopped. Each client has its own seeded random source; a CAS expects the value
 * that client last saw for the key (so that some succeed).
 */
final class Workload {

    private final Cluster cluster;
    private final History history;
    private final List<String> keys;
    private final int clients;
    private final long seed;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final Duration timeout;

    Workload(Cluster cluster, History history, List<String> keys, int clients, long seed, Duration timeout) {
        this.cluster = cluster;
        this.history = history;
        this.keys = List.copyOf(keys);
        this.clients = clients;
        this.seed = seed;
        this.timeout = timeout;
    }

    void start() {
        for (int c = 0; c < clients; c++) {
            int id = c;
            Thread t = new Thread(() -> run(id), "nemesis-client-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Stops issuing operations and waits for the ones in flight (each bounded by the client timeout). */
    void stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(timeout.multipliedBy(3).toMillis());
            if (t.isAlive()) {
                throw new IllegalStateException(t.getName() + " did not stop");
            }
        }
    }

    private void run(int id) {
        Random random = new Random(seed * 31 + id);
        KvClient client = new KvClient(id, history, timeout);
        AtomicReferenceArray<String> seen = new AtomicReferenceArray<>(keys.size());
        int n = 0;
        while (running.get()) {
            int k = random.nextInt(keys.size());
            String key = keys.get(k);
            var node = cluster.http(random.nextInt(cluster.size()));
            int dice = random.nextInt(100);
            String value = "c" + id + "-" + n++;
            Op op;
            if (dice < 40) {
                op = client.get(node, key);
            } else if (dice < 65) {
                op = client.put(node, key, value);
            } else if (dice < 85) {
                op = client.cas(node, key, seen.get(k), value);
            } else {
                op = client.delete(node, key);
            }
            if (op.outcome() == Op.Outcome.OK) {
                seen.set(k, switch (op.kind()) {
                    case GET -> op.result();
                    case PUT, CAS -> op.value();
                    case DELETE -> null;
                });
            } else if (op.outcome() == Op.Outcome.FAIL) {
                seen.set(k, op.result());
            }
            pause(random);
        }
    }

    /** Think time between operations, so that clients do not starve the nodes of the shared CPU. */
    private static void pause(Random random) {
        try {
            Thread.sleep(5 + random.nextInt(20));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
