package org.raftlib.nemesis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Concurrent clients doing PUT, GET, CAS and DELETE on a few keys through random nodes, with values unique in the
 * run ({@code c<client>-<n>}), until stopped. Each client has its own seeded random source; a CAS expects the value
 * that client last saw for the key (so that some succeed).
 *
 * <p>Keys rotate, as Jepsen's independent keys do: each of the {@code slots} is a key named {@code key<slot>.<g>}
 * whose generation {@code g} moves on after {@link #OPS_PER_KEY} operations, so that no key's history grows with the
 * length of the run. Indeterminate operations stay concurrent with everything after them; without rotation a long
 * soak's keys collect tens of thousands of them and the checker's search cannot finish.
 */
final class Workload {

    private final Cluster cluster;
    private final History history;
    /** Operations a key receives before the clients move on to its slot's next key. */
    static final int OPS_PER_KEY = 200;

    private final int slots;
    private final AtomicIntegerArray issued;
    private final int clients;
    private final long seed;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final Duration timeout;

    Workload(Cluster cluster, History history, int slots, int clients, long seed, Duration timeout) {
        this.cluster = cluster;
        this.history = history;
        this.slots = slots;
        this.issued = new AtomicIntegerArray(slots);
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

    /** Every key the clients have used so far (for the final reads). */
    List<String> keys() {
        List<String> all = new ArrayList<>();
        for (int slot = 0; slot < slots; slot++) {
            for (int g = 0; g <= (issued.get(slot) - 1) / OPS_PER_KEY; g++) {
                all.add(key(slot, g));
            }
        }
        return all;
    }

    private static String key(int slot, int generation) {
        return "key" + slot + "." + generation;
    }

    private void run(int id) {
        Random random = new Random(seed * 31 + id);
        KvClient client = new KvClient(id, history, timeout);
        Map<String, String> seen = new HashMap<>();
        int n = 0;
        while (running.get()) {
            int k = random.nextInt(slots);
            String key = key(k, issued.getAndIncrement(k) / OPS_PER_KEY);
            var node = cluster.http(random.nextInt(cluster.size()));
            int dice = random.nextInt(100);
            String value = "c" + id + "-" + n++;
            Op op;
            if (dice < 40) {
                op = client.get(node, key);
            } else if (dice < 65) {
                op = client.put(node, key, value);
            } else if (dice < 85) {
                op = client.cas(node, key, seen.get(key), value);
            } else {
                op = client.delete(node, key);
            }
            if (op.outcome() == Op.Outcome.OK) {
                seen.put(key, switch (op.kind()) {
                    case GET -> op.result();
                    case PUT, CAS -> op.value();
                    case DELETE -> null;
                });
            } else if (op.outcome() == Op.Outcome.FAIL) {
                seen.put(key, op.result());
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
