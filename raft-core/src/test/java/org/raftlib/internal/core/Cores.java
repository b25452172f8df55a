package org.raftlib.internal.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.raftlib.Bytes;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.RaftRole;
import org.raftlib.message.RequestVoteResponse;
import org.slf4j.helpers.NOPLogger;

/** Factories for cores in a known state: ids {@code n1..nN}, T = 10 ticks, heartbeat 1, seeded randomness. */
public final class Cores {

    /** Election ticks T used by the factories. */
    public static final int ELECTION = 10;

    private Cores() {
    }

    /** Returns node id {@code n<i>}. */
    public static NodeId n(int i) {
        return NodeId.of("n" + i);
    }

    /** Returns {@code n1..n<size>}. */
    public static Set<NodeId> cluster(int size) {
        Set<NodeId> ids = new TreeSet<>();
        for (int i = 1; i <= size; i++) {
            ids.add(n(i));
        }
        return ids;
    }

    /** A config with PreVote and CheckQuorum off, randomness seeded with {@code id}, and no logging. */
    public static CoreConfig config(int id, int size) {
        return new CoreConfig(n(id), cluster(size), ELECTION, 1, false, false, 0, CoreConfig.FlowControl.DEFAULT,
                new SplittableRandom(id), NOPLogger.NOP_LOGGER);
    }

    /** Entries at indexes 1.. with the given terms. */
    public static List<LogEntry> entries(long... terms) {
        List<LogEntry> out = new ArrayList<>();
        for (int i = 0; i < terms.length; i++) {
            out.add(LogEntry.command(terms[i], i + 1, Bytes.EMPTY));
        }
        return out;
    }

    /** Returns a command entry. */
    public static LogEntry entry(long term, long index) {
        return LogEntry.command(term, index, Bytes.EMPTY);
    }

    /** A follower at {@code term} with no vote, holding entries of the given terms (none committed). */
    public static TestNode follower(CoreConfig config, long term, long... logTerms) {
        return TestNode.start(config, entries(logTerms), new HardState(term, Optional.empty(), 0));
    }

    /** A follower of a cluster of {@code size}; see {@link #follower(CoreConfig, long, long...)}. */
    public static TestNode follower(int id, int size, long term, long... logTerms) {
        return follower(config(id, size), term, logTerms);
    }

    /**
     * A leader of {@code term} holding entries of {@code logTerms} plus its no-op, elected with the votes of the
     * lowest-numbered peers. Its first Ready was executed; the messages in it were discarded.
     */
    public static TestNode leader(CoreConfig config, long term, long... logTerms) {
        TestNode node = TestNode.start(config, entries(logTerms), new HardState(term - 1, Optional.empty(), 0));
        node.core().campaign();
        node.handle();
        for (NodeId peer : config.voters()) {
            if (node.core().status().role() == RaftRole.LEADER) {
                break;
            }
            if (!peer.equals(config.id())) {
                node.core().step(new RequestVoteResponse(peer, config.id(), term, true, false));
            }
        }
        if (node.core().status().role() != RaftRole.LEADER || node.core().status().term() != term) {
            throw new IllegalStateException("not elected: " + node.core().status());
        }
        node.handle();
        return node;
    }

    /** A leader of a cluster of {@code size}; see {@link #leader(CoreConfig, long, long...)}. */
    public static TestNode leader(int id, int size, long term, long... logTerms) {
        return leader(config(id, size), term, logTerms);
    }
}
