package org.raftlib.nemesis;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Injects faults into a {@link Cluster} at random times drawn from a seed: each round waits a quiet while, applies one
 * fault (sometimes two at once), holds it for a while, heals everything, and waits for a leader. Records each fault
 * with the time a new leader appeared during it and the time the cluster had a leader again after the heal.
 */
final class Nemesis {

    /** The faults. Network ones need namespaces. */
    enum Fault {
        KILL_LEADER(false), KILL_FOLLOWER(false), KILL_MAJORITY(false), KILL_ALL(false),
        PAUSE_LEADER(false), PAUSE_FOLLOWER(false),
        ISOLATE_LEADER(true), ISOLATE_FOLLOWER(true), PARTIAL_PARTITION(true), ONE_WAY_CUT(true),
        /** A follower removed from the configuration, wiped, and added back as a new voter (a snapshot install). */
        MEMBERSHIP_CHANGE(false),
        /** The leader removed from the configuration (it steps down once that commits), wiped, and added back. */
        REMOVE_LEADER(false);

        final boolean network;

        Fault(boolean network) {
            this.network = network;
        }
    }

    /**
     * One round: what was done to which nodes and when (history nanoseconds); {@code newLeader} is when a leader of
     * a later term was first seen during the fault, {@code recovered} when a leader was seen after the heal (-1:
     * never).
     */
    record Event(String what, long start, long healed, long newLeader, long recovered, boolean leaderHit) {
    }

    private static final long RECOVERY_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long POLL_MILLIS = 100;
    private static final Fault[] SECOND = {Fault.PAUSE_FOLLOWER, Fault.KILL_FOLLOWER, Fault.MEMBERSHIP_CHANGE};
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(20);

    private final Cluster cluster;
    private final History clock;
    private final Random random;
    private final List<Fault> faults;
    private final PrintStream log;
    private final List<Event> events = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();

    Nemesis(Cluster cluster, History clock, long seed, PrintStream log) {
        this.cluster = cluster;
        this.clock = clock;
        this.random = new Random(seed);
        this.log = log;
        String only = System.getProperty("nemesis.faults", "");
        this.faults = Arrays.stream(Fault.values()).filter(f -> !f.network || cluster.canPartition())
                .filter(f -> only.isBlank() || List.of(only.split(",")).contains(f.name())).toList();
        if (faults.isEmpty()) {
            throw new IllegalArgumentException("no fault kind left from -Dnemesis.faults=" + only);
        }
    }

    List<Fault> faults() {
        return faults;
    }

    List<Event> events() {
        return events;
    }

    /** Failures of the cluster seen while injecting faults: a node that would not restart, no leader after a heal. */
    List<String> problems() {
        return problems;
    }

    /** Runs rounds until {@code endNanos} (history time). */
    void run(long endNanos) throws InterruptedException {
        while (clock.now() < endNanos) {
            waitMillis(800 + random.nextInt(1700));
            Fault first = faults.get(random.nextInt(faults.size()));
            Fault second = random.nextInt(4) == 0 ? SECOND[random.nextInt(SECOND.length)] : null;
            try {
                round(first, second);
            } catch (IOException | RuntimeException e) {
                problems.add("round " + first + (second == null ? "" : " + " + second) + " failed: " + e);
                log.println("nemesis: " + problems.get(problems.size() - 1));
                heal();
            }
        }
    }

    private void round(Fault first, Fault second) throws IOException, InterruptedException {
        Cluster.Leader before = cluster.leader();
        int leader = before.node() >= 0 ? before.node() : random.nextInt(cluster.size());
        Set<Integer> touched = new LinkedHashSet<>();
        long start = clock.now();
        String what = apply(first, leader, touched);
        if (second != null) {
            List<Integer> free = new ArrayList<>();
            for (int i = 0; i < cluster.size(); i++) {
                if (!touched.contains(i) && i != leader) {
                    free.add(i);
                }
            }
            if (!free.isEmpty()) {
                what += " + " + apply(second, free.get(random.nextInt(free.size())), touched);
            }
        }
        log.printf("nemesis %8.3f s: %s%n", start / 1e9, what);
        long holdEnd = clock.now() + TimeUnit.MILLISECONDS.toNanos(1500 + random.nextInt(2500));
        long newLeader = -1;
        while (clock.now() < holdEnd) {
            if (newLeader < 0) {
                Cluster.Leader now = cluster.leader();
                if (now.node() >= 0 && now.term() > before.term()) {
                    newLeader = clock.now();
                }
            }
            waitMillis(POLL_MILLIS);
        }
        long healed = clock.now();
        heal();
        long recovered = awaitLeader();
        events.add(new Event(what, start, healed, newLeader, recovered, touched.contains(leader)));
    }

    /**
     * Applies {@code fault}. For the first fault of a round {@code target} is the leader (follower faults pick
     * another node); for the second it is the follower to hit.
     */
    private String apply(Fault fault, int target, Set<Integer> touched) throws IOException, InterruptedException {
        int n = cluster.size();
        int follower = touched.isEmpty() ? other(target, touched) : target;
        switch (fault) {
            case KILL_LEADER, KILL_FOLLOWER -> {
                int victim = fault == Fault.KILL_LEADER ? target : follower;
                kill(victim, touched);
                return fault + " " + cluster.name(victim);
            }
            case KILL_MAJORITY -> {
                List<Integer> order = shuffled(n);
                for (int i = 0; i < n / 2 + 1; i++) {
                    kill(order.get(i), touched);
                }
            }
            case KILL_ALL -> {
                for (int i = 0; i < n; i++) {
                    kill(i, touched);
                }
            }
            case PAUSE_LEADER, PAUSE_FOLLOWER -> {
                int victim = fault == Fault.PAUSE_LEADER ? target : follower;
                cluster.pause(victim);
                touched.add(victim);
                return fault + " " + cluster.name(victim);
            }
            case MEMBERSHIP_CHANGE, REMOVE_LEADER -> {
                int victim = fault == Fault.REMOVE_LEADER ? target : follower;
                replace(victim);
                touched.add(victim);
                return fault + " " + cluster.name(victim);
            }
            case ISOLATE_LEADER, ISOLATE_FOLLOWER, PARTIAL_PARTITION, ONE_WAY_CUT -> {
                return partition(fault, target, follower, touched);
            }
            default -> throw new IllegalStateException(fault.name());
        }
        return fault + " " + names(touched);
    }

    /** Cuts links for a network fault; {@code target} and {@code follower} as in {@link #apply}. */
    private String partition(Fault fault, int target, int follower, Set<Integer> touched) throws IOException {
        int n = cluster.size();
        switch (fault) {
            case ISOLATE_LEADER, ISOLATE_FOLLOWER -> {
                int victim = fault == Fault.ISOLATE_LEADER ? target : follower;
                List<Integer> rest = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    if (i != victim) {
                        rest.add(i);
                    }
                }
                cluster.cutBetween(List.of(victim), rest);
                touched.add(victim);
                return fault + " " + cluster.name(victim);
            }
            case PARTIAL_PARTITION -> {
                int b = other(target, touched);
                cluster.cutBetween(List.of(target), List.of(b));
                touched.addAll(List.of(target, b));
                return fault + " " + cluster.name(target) + " | " + cluster.name(b);
            }
            case ONE_WAY_CUT -> {
                int b = other(target, touched);
                boolean out = random.nextBoolean();
                cluster.cut(out ? target : b, out ? b : target);
                touched.addAll(List.of(target, b));
                return fault + " " + cluster.name(out ? target : b) + " -> " + cluster.name(out ? b : target);
            }
            default -> throw new IllegalStateException(fault.name());
        }
    }

    private void kill(int node, Set<Integer> touched) throws InterruptedException {
        cluster.kill(node);
        touched.add(node);
    }

    private int other(int not, Set<Integer> touched) {
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < cluster.size(); i++) {
            if (i != not && !touched.contains(i)) {
                candidates.add(i);
            }
        }
        return candidates.isEmpty() ? (not + 1) % cluster.size() : candidates.get(random.nextInt(candidates.size()));
    }

    private List<Integer> shuffled(int n) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, random);
        return order;
    }

    private String names(Set<Integer> nodes) {
        return nodes.stream().map(cluster::name).toList().toString();
    }

    /** Heals everything and makes every node a voter again; a node that does not come back is a problem. */
    void heal() throws InterruptedException {
        try {
            cluster.healAll();
            for (int i = 0; i < cluster.size(); i++) {
                if (removed(i) && !addBack(i)) {
                    problems.add(cluster.name(i) + " could not be made a voter again after a heal");
                }
            }
        } catch (IOException | AssertionError e) {
            problems.add("heal failed (a node would not restart?): " + e.getMessage());
            log.println("nemesis: " + problems.get(problems.size() - 1));
        }
    }

    /**
     * Removes {@code victim} from the configuration through another running node, then wipes it and adds it back
     * as a new voter. A step that does not finish (no quorum because of another fault) is left for the heal.
     */
    private void replace(int victim) throws IOException, InterruptedException {
        int via = someoneElse(victim);
        int code = via < 0 ? 0 : cluster.request(via, "DELETE", "/members/" + cluster.name(victim), null,
                ADMIN_TIMEOUT);
        if (!awaitVoter(victim, false, Duration.ofSeconds(5))) {
            log.println("nemesis: removing " + cluster.name(victim) + " did not complete (" + code + "); left as is");
            return;
        }
        addBack(victim);
    }

    /** Wipes {@code i}, starts it in join mode and adds it as a voter; true once the leader lists it as one. */
    private boolean addBack(int i) throws IOException, InterruptedException {
        cluster.rejoin(i);
        long deadline = clock.now() + ADMIN_TIMEOUT.multipliedBy(2).toNanos();
        while (clock.now() < deadline) {
            int via = someoneElse(i);
            if (via >= 0) {
                cluster.request(via, "POST", "/members/voters", cluster.memberJson(i), ADMIN_TIMEOUT);
            }
            if (awaitVoter(i, true, Duration.ofSeconds(3))) {
                cluster.joined(i);
                return true;
            }
        }
        return false;
    }

    private int someoneElse(int not) {
        Cluster.Leader leader = cluster.leader();
        if (leader.node() >= 0 && leader.node() != not) {
            return leader.node();
        }
        for (int i = 0; i < cluster.size(); i++) {
            if (i != not && cluster.up(i)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * True only if a leader's committed configuration lacks node {@code i} (a removal that a fault left unfinished);
     * never guessed without a leader, since adding back wipes the node.
     */
    private boolean removed(int i) throws InterruptedException {
        if (awaitLeader() < 0) {
            return false;
        }
        return awaitVoter(i, false, Duration.ZERO);
    }

    /** Waits until the leader's committed, non-joint configuration has node {@code i} as a voter, or not. */
    private boolean awaitVoter(int i, boolean voter, Duration within) throws InterruptedException {
        long deadline = clock.now() + within.toNanos();
        do {
            Cluster.Leader leader = cluster.leader();
            if (leader.node() >= 0) {
                Map<String, String> s = cluster.status(leader.node());
                if ("true".equals(s.get("configurationCommitted")) && "false".equals(s.get("joint"))
                        && List.of(s.getOrDefault("voters", "").split(",")).contains(cluster.name(i)) == voter) {
                    return true;
                }
            }
            waitMillis(POLL_MILLIS);
        } while (clock.now() < deadline);
        return false;
    }

    /** Waits for a leader; returns when one was seen, or -1 (recorded as a problem) after the limit. */
    long awaitLeader() throws InterruptedException {
        long deadline = clock.now() + RECOVERY_LIMIT_NANOS;
        while (clock.now() < deadline) {
            if (cluster.leader().node() >= 0) {
                return clock.now();
            }
            waitMillis(POLL_MILLIS);
        }
        problems.add("no leader " + TimeUnit.NANOSECONDS.toSeconds(RECOVERY_LIMIT_NANOS) + " s after a heal at "
                + Op.seconds(clock.now()));
        return -1;
    }

    private static void waitMillis(long millis) throws InterruptedException {
        Thread.sleep(millis);
    }
}
