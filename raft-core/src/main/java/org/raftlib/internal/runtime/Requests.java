package org.raftlib.internal.runtime;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongFunction;
import org.raftlib.FollowerBehindException;
import org.raftlib.IndeterminateResultException;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.NotLeaderException;
import org.raftlib.NotMemberException;
import org.raftlib.RaftException;
import org.raftlib.RaftRole;
import org.raftlib.internal.core.Proposal;
import org.raftlib.internal.core.RaftCore;
import org.raftlib.internal.core.ReadState;

/**
 * The loop's requests that wait for the protocol: this leadership's writes until committed, commands forwarded to the
 * leader until applied here ({@link Forwarded}), and reads until confirmed. Confined to the loop thread.
 */
final class Requests {

    private final NodeId id;
    private final ApplyWorker apply;
    private final ArrayDeque<PendingWrite> writes = new ArrayDeque<>();
    private final Map<Long, PendingRead> reads = new HashMap<>();
    private final Forwarded forwarded;
    private final long maxReadIndexLag;
    private final boolean forwarding;
    /** How long a read on a follower may take from its asking to its serving: the forward timeout. */
    private final long followerReadNanos;
    private long writesTerm;
    /** Read ids start at a random base, so they differ from the last run's (see RaftCore#readIndex). */
    private long lastReadId = ThreadLocalRandom.current().nextLong() >>> 2;
    private long applied;
    /** The newest confirmed read: its read index and when it was asked for (bounded-staleness reads reuse it). */
    private long freshIssuedNanos;
    private long freshIndex = -1;

    Requests(NodeId id, ApplyWorker apply, Forwarded forwarded, long maxReadIndexLag, boolean forwarding,
            long followerReadNanos) {
        this.id = id;
        this.followerReadNanos = followerReadNanos;
        this.apply = apply;
        this.forwarded = forwarded;
        this.maxReadIndexLag = maxReadIndexLag;
        this.forwarding = forwarding;
    }

    private record PendingWrite(long index, long term, CompletableFuture<byte[]> future) {
    }

    /** A read waiting for confirmation; {@code joined} are bounded reads served at its read index too. */
    private record PendingRead(Event.Read read, long issuedNanos, List<Event.Read> joined) {

        /** The read and the bounded reads that joined it. */
        List<Event.Read> all() {
            if (joined.isEmpty()) {
                return List.of(read);
            }
            List<Event.Read> all = new ArrayList<>(joined.size() + 1);
            all.add(read);
            all.addAll(joined);
            return all;
        }
    }

    long writesTerm() {
        return writes.isEmpty() ? -1 : writesTerm;
    }

    void addWrite(long index, long term, CompletableFuture<byte[]> future) {
        writesTerm = term;
        writes.addLast(new PendingWrite(index, term, future));
    }

    void failWrites(long term, LongFunction<RaftException> error) {
        if (writes.isEmpty()) {
            return;
        }
        RaftException e = error.apply(term);
        for (PendingWrite w : writes) {
            apply.submit(new ApplyWorker.Fail(w.future(), e));
        }
        writes.clear();
    }

    /** The state machine applied everything up to {@code index}. */
    void onApplied(long index) {
        applied = Math.max(applied, index);
    }

    /**
     * A read. A bounded-staleness one is served at once at the newest confirmed read index if that was asked for
     * recently enough, or joins a confirmation in flight that was; any other is registered with the core
     * (ReadIndex or the lease on the leader; forwarded to the leader on a follower), or refused: at once, with
     * {@link NotMemberException}, on a follower whose latest configuration leaves it out ({@code removedAt}, the
     * index of that configuration, else -1).
     */
    void read(RaftCore core, Event.Read r, long nowNanos, long removedAt) {
        if (PendingFuture.abandoned(r.future())) {
            r.future().cancel(false);                        // its caller gave up: never asked, slot given back
            return;
        }
        if (r.bounded()) {
            if (freshIndex >= 0 && nowNanos - freshIssuedNanos <= r.maxStalenessNanos()) {
                apply.submit(readAt(freshIndex, r, nowNanos, core.currentRole()));
                return;
            }
            for (PendingRead p : reads.values()) {
                if (nowNanos - p.issuedNanos() <= r.maxStalenessNanos()) {
                    p.joined().add(r);
                    return;
                }
            }
        }
        if (removedAt >= 0 && core.currentRole() != RaftRole.LEADER) {
            fail(r.future(), new NotMemberException(id, removedAt));     // no leader will answer it: refuse at once
            return;
        }
        if (!forwarding && core.currentRole() != RaftRole.LEADER) {
            fail(r.future(), new NotLeaderException(id, core.currentLeader()));
            return;
        }
        long readId = ++lastReadId;
        Proposal p = r.lease() ? core.leaseRead(readId) : core.readIndex(readId);
        if (p.isAccepted()) {
            reads.put(readId, new PendingRead(r, nowNanos, new ArrayList<>(0)));
        } else {
            fail(r.future(), refused(id, p));
        }
    }

    /**
     * The exception for a request the core refused. While this node hands leadership over it still leads: the hint
     * is this node, and the message names the target (which may never lead, if it is down: the hint would send
     * clients there until the transfer times out). Otherwise the hint is the leader the core knows of.
     */
    static NotLeaderException refused(NodeId self, Proposal p) {
        if (p.outcome() == Proposal.Outcome.TRANSFERRING) {
            return new NotLeaderException(self + " is transferring leadership to " + p.leaderHint().orElseThrow()
                    + " and takes no new requests until the transfer ends; " + self + " leads until then",
                    Optional.of(self));
        }
        return new NotLeaderException(self, p.leaderHint());
    }

    /**
     * Confirmed reads wait on the apply thread for their index, or fail fast on a follower too far behind it; aborted
     * ones fail (a read changed nothing).
     */
    void settleReads(List<ReadState> confirmed, List<Long> aborted, Optional<NodeId> leader, RaftRole role) {
        for (ReadState rs : confirmed) {
            PendingRead p = reads.remove(rs.requestId());
            if (p == null) {
                continue;
            }
            if (freshIndex < 0 || p.issuedNanos() - freshIssuedNanos > 0) {
                freshIssuedNanos = p.issuedNanos();
                freshIndex = Math.max(freshIndex, rs.index());
            }
            boolean tooFar = role != RaftRole.LEADER && rs.index() - applied > maxReadIndexLag;
            for (Event.Read r : p.all()) {
                if (tooFar) {                                // not via the apply thread: it is the one behind
                    r.future().completeExceptionally(new FollowerBehindException(id, rs.index(), applied));
                } else {
                    apply.submit(readAt(rs.index(), r, p.issuedNanos(), role));
                }
            }
        }
        for (long readId : aborted) {
            PendingRead p = reads.remove(readId);
            if (p != null) {
                p.all().forEach(r -> fail(r.future(), new NotLeaderException(id, leader)));
            }
        }
    }

    /**
     * The read at {@code index} for the apply thread. On a follower it may wait for that index at most until
     * {@link #followerReadNanos} after it was asked ({@code issuedNanos}): a follower cut off from the leader right
     * after the confirmation would otherwise hold it (and its pending slot) until it catches up.
     */
    private ApplyWorker.ReadAt readAt(long index, Event.Read r, long issuedNanos, RaftRole role) {
        long deadline = role == RaftRole.LEADER ? ApplyWorker.ReadAt.NO_DEADLINE : issuedNanos + followerReadNanos;
        return new ApplyWorker.ReadAt(index, r.request(), r.future(), deadline);
    }

    void failReads(RaftException error) {
        reads.values().forEach(p -> p.all().forEach(r -> r.future().completeExceptionally(error)));
        reads.clear();
    }

    /**
     * Matches {@code committed} with the futures waiting for it: this leadership's writes and commands this node
     * forwarded. Returns one future per entry (null where none waits), or null if none does.
     */
    @SuppressWarnings("unchecked")
    CompletableFuture<byte[]>[] takeCommitted(List<LogEntry> committed) {
        long first = committed.get(0).index();
        long last = committed.get(committed.size() - 1).index();
        boolean ownWrites = !writes.isEmpty() && writes.peekFirst().index() <= last;
        if (!ownWrites && !forwarded.awaits(last)) {
            forwarded.handedOut(last);                       // a late answer for these indexes is then told apart
            return null;
        }
        CompletableFuture<byte[]>[] futures = new CompletableFuture[committed.size()];
        while (!writes.isEmpty() && writes.peekFirst().index() <= last) {
            PendingWrite w = writes.pollFirst();
            int i = (int) (w.index() - first);
            if (i >= 0 && committed.get(i).term() == w.term()) {
                futures[i] = w.future();
            } else {
                fail(w.future(), new IndeterminateResultException(id + " lost its entry at index " + w.index()
                        + " to another leader's"));
            }
        }
        forwarded.takeCommitted(committed, futures);
        return futures;
    }

    private void fail(CompletableFuture<?> future, RaftException e) {
        apply.submit(new ApplyWorker.Fail(future, e));
    }
}
