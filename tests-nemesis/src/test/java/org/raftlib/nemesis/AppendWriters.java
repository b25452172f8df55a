package org.raftlib.nemesis;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writers of {@link ExactlyOnceIT}: client threads that each append {@code "x"} to a fresh key of their own
 * ({@code once-c<client>-<n>}, so a key's final length is the number of times its command was applied), always
 * through a node that the last {@code /status} poll (every {@value #POLL_MILLIS} ms) showed as a follower, so every
 * write is forwarded to the leader. A write is retried on the same key until it is acknowledged: after a definite
 * refusal (nothing sent, or an error answer with {@code "applied": false}), which is safe, and, as {@link Retry}
 * says, after an indeterminate outcome (a 503 "may or may not have been applied", or no answer), which only
 * sessions make safe; both are counted. A poller thread keeps the roles and counts the snapshots nodes report.
 */
final class AppendWriters {

    /** How one attempt ended. */
    enum Outcome {
        /** 200: the append was applied (the answer carries the new value). */
        OK,
        /** Nothing was applied: no connection, or an error answer with {@code "applied": false}. */
        REFUSED,
        /** Maybe applied, as the node answered: a 5xx without {@code "applied": false} ("may or may not have been"). */
        MAYBE,
        /** Maybe applied, and no answer: the request timed out or its connection was lost after sending. */
        NO_ANSWER,
        /** A 4xx other than a refusal: the request itself was wrong (a bug of the test or of the server). */
        REJECTED
    }

    /**
     * After which indeterminate outcomes a writer retries the same key: both ({@code all}), only after the node
     * answered {@link Outcome#MAYBE} ({@code answered}), or neither ({@code none}: the key is left, applied once or not
     * at all).
     */
    enum Retry {
        ALL, ANSWERED, NONE;

        /** {@code all}/{@code true} (also blank), {@code answered}, {@code none}/{@code false}. */
        static Retry parse(String s) {
            return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "", "all", "true" -> ALL;
                case "answered" -> ANSWERED;
                case "none", "false" -> NONE;
                default -> throw new IllegalArgumentException("once.retryIndeterminate must be all, answered or none,"
                        + " not " + s);
            };
        }
    }

    /** One key's writes: the attempts in order ({@code node:outcome}), and the acknowledged answer's value if any. */
    static final class KeyLog {
        final String key;
        final List<String> trail = new ArrayList<>();
        int maybe;
        int noAnswer;
        int refused;
        String acknowledgedValue;
        String rejection;

        KeyLog(String key) {
            this.key = key;
        }

        boolean acknowledged() {
            return acknowledgedValue != null;
        }
    }

    static final int POLL_MILLIS = 100;
    private static final Logger LOG = LoggerFactory.getLogger(AppendWriters.class);
    private static final String TOKEN = "x";
    private static final long REFUSED_PAUSE_MILLIS = 50;

    private final Cluster cluster;
    private final int clients;
    private final long seed;
    private final Retry retry;
    private final Duration timeout;
    private final HttpClient http;
    private final ConcurrentLinkedQueue<KeyLog> keys = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLongArray lastSent;
    private final AtomicLongArray snapshotIndex;
    private final AtomicInteger snapshots = new AtomicInteger();
    private final AtomicInteger attempts = new AtomicInteger();
    private volatile int[] followers = {};
    private volatile boolean stopped;
    /** Whether writes carry the writer's client session (X-Raftlib-Session, X-Raftlib-Sequence); see once.sessions. */
    private final boolean sessions = !"false".equals(System.getProperty("once.sessions", "true"));

    AppendWriters(Cluster cluster, int clients, long seed, Retry retry, Duration timeout) {
        this.cluster = cluster;
        this.clients = clients;
        this.seed = seed;
        this.retry = retry;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
        this.lastSent = new AtomicLongArray(cluster.size());
        this.snapshotIndex = new AtomicLongArray(cluster.size());
    }

    /** Starts the role poller, waits until it has seen a follower, then starts the writers. */
    void start() throws InterruptedException {
        Thread poller = new Thread(this::pollRoles, "once-roles");
        poller.setDaemon(true);
        threads.add(poller);
        poller.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (followers.length == 0 && System.nanoTime() < deadline) {
            pause(POLL_MILLIS);
        }
        for (int c = 0; c < clients; c++) {
            int client = c;
            Random random = new Random(seed * 31 + c);
            Thread t = new Thread(() -> write(client, random), "once-writer-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Stops the writers (a request in flight ends within the client timeout) and the poller. */
    void stop() throws InterruptedException {
        stopped = true;
        for (Thread t : threads) {
            t.join(timeout.toMillis() + 5_000);
        }
    }

    List<KeyLog> keys() {
        return List.copyOf(keys);
    }

    int attempts() {
        return attempts.get();
    }

    /** Snapshots taken as the nodes' {@code /status} showed them (a rise of {@code snapshotIndex}). */
    int snapshotsSeen() {
        return snapshots.get();
    }

    /** The follower that was last sent a write (-1 if none was); the busy follower a fault round kills. */
    int lastWrittenFollower() {
        int[] now = followers;
        int best = -1;
        for (int i : now) {
            if (lastSent.get(i) != 0 && (best < 0 || lastSent.get(i) > lastSent.get(best))) {
                best = i;
            }
        }
        return best;
    }

    /**
     * One writer: a key per write, each retried until acknowledged (as the retry mode allows). With sessions each
     * write is the next command of the writer's session, and every retry resends it as that same command.
     */
    private void write(int client, Random random) {
        long[] session = {0, 0};                                 // id, sequence number of the current write
        for (int n = 0; !stopped; n++) {
            KeyLog log = new KeyLog("once-c" + client + "-" + n);
            keys.add(log);
            session[1]++;
            while (!stopped && !log.acknowledged() && log.rejection == null) {
                int[] now = followers;
                if (now.length == 0) {
                    pause(POLL_MILLIS);
                    continue;
                }
                int node = now[random.nextInt(now.length)];
                if (sessions && session[0] == 0 && !openSession(node, session)) {
                    pause(REFUSED_PAUSE_MILLIS);
                    continue;
                }
                lastSent.set(node, System.nanoTime());
                Outcome o = send(node, log, session);
                log.trail.add(cluster.name(node) + ":" + o);
                if (o == Outcome.REFUSED) {
                    log.refused++;
                    pause(REFUSED_PAUSE_MILLIS);
                } else if (o == Outcome.MAYBE || o == Outcome.NO_ANSWER) {
                    if (o == Outcome.MAYBE) {
                        log.maybe++;
                    } else {
                        log.noAnswer++;
                    }
                    if (retry == Retry.NONE || retry == Retry.ANSWERED && o == Outcome.NO_ANSWER) {
                        break;                                   // leave it: applied once or not at all
                    }
                }
            }
        }
    }

    /** {@code POST /sessions} on {@code node}: a new session, its first write numbered 1. */
    private boolean openSession(int node, long[] session) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(cluster.http(node) + "/sessions")).timeout(timeout)
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            String id = r.statusCode() == 200 ? FlatJson.parse(r.body()).get("session") : null;
            if (id != null) {
                session[0] = Long.parseLong(id);
                session[1] = 1;
                return true;
            }
        } catch (IOException | IllegalArgumentException | IndexOutOfBoundsException e) {
            LOG.debug("opening a session on {} failed: {}", cluster.name(node), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /** One {@code POST /kv/{key}?op=append} of {@code "x"}; records the acknowledged value or the rejection. */
    private Outcome send(int node, KeyLog log, long[] session) {
        attempts.incrementAndGet();
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(cluster.http(node) + "/kv/" + log.key
                + "?op=append")).timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofString(TOKEN, StandardCharsets.UTF_8));
        if (sessions) {
            builder.header("X-Raftlib-Session", Long.toString(session[0]))
                    .header("X-Raftlib-Sequence", Long.toString(session[1]));
        }
        HttpRequest request = builder.build();
        HttpResponse<String> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException | HttpConnectTimeoutException e) {
            return Outcome.REFUSED;                              // nothing was sent
        } catch (IOException e) {
            return Outcome.NO_ANSWER;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.NO_ANSWER;
        }
        Map<String, String> body;
        try {
            body = FlatJson.parse(r.body());
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            body = Map.of();
        }
        if (r.statusCode() == 200 && body.containsKey("value")) {
            log.acknowledgedValue = body.get("value");
            return Outcome.OK;
        }
        if (r.statusCode() == 410 && sessions) {
            session[0] = 0;                                      // expired or unknown: not applied; open another
            return Outcome.REFUSED;
        }
        if (r.statusCode() >= 400 && "false".equals(body.get("applied"))) {
            return Outcome.REFUSED;
        }
        if (r.statusCode() >= 400 && r.statusCode() < 500) {
            log.rejection = r.statusCode() + " " + r.body().strip();
            return Outcome.REJECTED;
        }
        return Outcome.MAYBE;
    }

    /** Polls every node's role and snapshot index until stopped. */
    private void pollRoles() {
        while (!stopped) {
            List<Integer> found = new ArrayList<>();
            for (int i = 0; i < cluster.size(); i++) {
                Map<String, String> s = cluster.status(i);
                if ("FOLLOWER".equals(s.get("role"))) {
                    found.add(i);
                }
                long index = Long.parseLong(s.getOrDefault("snapshotIndex", "0"));
                long before = snapshotIndex.getAndAccumulate(i, index, Math::max);
                if (index > before) {
                    snapshots.incrementAndGet();
                    LOG.debug("{} snapshot at {}", cluster.name(i), index);
                }
            }
            followers = found.stream().mapToInt(Integer::intValue).toArray();
            pause(POLL_MILLIS);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
