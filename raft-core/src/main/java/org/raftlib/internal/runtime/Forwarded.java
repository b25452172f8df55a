package org.raftlib.internal.runtime;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.raftlib.Bytes;
import org.raftlib.EntryType;
import org.raftlib.IndeterminateResultException;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;
import org.raftlib.NotLeaderException;
import org.raftlib.OverloadedException;
import org.raftlib.RaftException;
import org.raftlib.Transport;
import org.raftlib.message.ForwardProposal;
import org.raftlib.message.ForwardProposalResponse;

/**
 * Commands submitted on this node while another leads, forwarded to the leader ({@link ForwardProposal}). Each waits
 * first for the leader's answer, then, once appended at (index, term), for this node to apply that index: the
 * command took effect if the entry applied there has that term (the future gets the state machine's result, computed
 * here), and did not if another term's entry won the index ({@link NotLeaderException}, safe to retry). An outcome
 * not learnt within the forward timeout (a lost message, a partition, a snapshot that skipped the index), or an answer
 * not come before a new term began ({@link #onTerm}), fails with {@link IndeterminateResultException}. Confined to
 * the loop thread.
 */
final class Forwarded {

    private record Sent(CompletableFuture<byte[]> future, long deadlineNanos, NodeId leader, long term) {
    }

    private record Awaited(long term, CompletableFuture<byte[]> future, long deadlineNanos) {
    }

    private final NodeId id;
    private final ApplyWorker apply;
    private final Transport transport;
    private final long timeoutNanos;
    /** Forwarded, no answer yet; by request id, oldest (earliest deadline) first. */
    private final Map<Long, Sent> sent = new LinkedHashMap<>();
    /** Appended by the leader, not yet applied here; by index. */
    private final TreeMap<Long, List<Awaited>> awaited = new TreeMap<>();
    /** Request ids start at a random base: a late answer meant for the last run of this node matches nothing. */
    private long lastRequestId = ThreadLocalRandom.current().nextLong() >>> 2;
    /** The last index handed to the state machine. */
    private long handedOut;
    private long nextExpiryCheck;
    /** The highest term {@link #onTerm} was told of. */
    private long knownTerm;

    Forwarded(NodeId id, ApplyWorker apply, Transport transport, long timeoutNanos) {
        this.id = id;
        this.apply = apply;
        this.transport = transport;
        this.timeoutNanos = timeoutNanos;
    }

    /** Sends {@code data} to {@code leader}; {@code future} completes as the class comment says. */
    void forward(NodeId leader, long term, EntryType type, Bytes data, CompletableFuture<byte[]> future, long now) {
        long requestId = ++lastRequestId;
        sent.put(requestId, new Sent(future, now + timeoutNanos, leader, term));
        transport.send(new ForwardProposal(id, leader, term, requestId, type, data));
    }

    /** The leader's answer to a forwarded command; ignored if unknown (timed out, or a duplicate). */
    void onResponse(ForwardProposalResponse m) {
        Sent s = sent.remove(m.requestId());
        if (s == null) {
            return;
        }
        switch (m.outcome()) {
            case NOT_LEADER -> fail(s.future(), new NotLeaderException(id + " forwarded the command to " + m.from()
                    + ", which refused it: it does not lead, is handing leadership over, or " + id + " is not a member"
                    + " of its configuration; it was not appended", Optional.empty()));
            case OVERLOADED -> fail(s.future(), new OverloadedException(m.from() + " (the leader) has too many "
                    + "uncommitted entries; retry later"));
            case TOO_LARGE -> fail(s.future(), new IllegalArgumentException(m.from() + " (the leader) refused the "
                    + "command: larger than its maxCommandBytes (do the nodes' options differ?); it was not appended"));
            case APPENDED -> {
                if (m.index() <= handedOut) {
                    fail(s.future(), new IndeterminateResultException(id + " applied index " + m.index()
                            + " before the leader's answer arrived; the command's outcome was not kept"));
                } else {
                    awaited.computeIfAbsent(m.index(), k -> new ArrayList<>(1))
                            .add(new Awaited(m.entryTerm(), s.future(), s.deadlineNanos()));
                }
            }
            default -> throw new IllegalStateException("unknown outcome " + m.outcome());
        }
    }

    /**
     * This node is now in {@code term}: a command forwarded in an earlier term whose answer has not come will get none
     * that matters (its leader lost that term, crashed or was cut off), so it fails now, not at the forward timeout,
     * and a client session resends it to the next leader at once. Its outcome is unknown: that leader may have
     * appended it, and a later one may commit it. Commands whose index is known keep waiting for it to be applied.
     */
    void onTerm(long term) {
        if (term <= knownTerm) {
            return;                                          // every turn calls this: nothing to do in the same term
        }
        knownTerm = term;
        sent.values().removeIf(s -> {
            boolean lost = s.term() < term;
            if (lost) {
                fail(s.future(), new IndeterminateResultException(id + " forwarded the command to " + s.leader()
                        + " in term " + s.term() + ", and term " + term + " began before its answer came; it may or may"
                        + " not take effect"));
            }
            return lost;
        });
    }

    /** Whether a forwarded command waits for an index up to {@code last}. */
    boolean awaits(long last) {
        return !awaited.isEmpty() && awaited.firstKey() <= last;
    }

    /**
     * The entries up to {@code last} went to the state machine with no forwarded command waiting for them: an answer
     * naming one of them that arrives later has an outcome this node no longer knows (it was applied without it).
     */
    void handedOut(long last) {
        handedOut = Math.max(handedOut, last);
    }

    /** Puts the future of each forwarded command {@code committed} carries into {@code futures}; fails the losers. */
    void takeCommitted(List<LogEntry> committed, CompletableFuture<byte[]>[] futures) {
        long first = committed.get(0).index();
        handedOut = committed.get(committed.size() - 1).index();
        while (!awaited.isEmpty() && awaited.firstKey() <= handedOut) {
            Map.Entry<Long, List<Awaited>> e = awaited.pollFirstEntry();
            int i = (int) (e.getKey() - first);
            for (Awaited a : e.getValue()) {
                if (i < 0) {                                 // applied before: its result was not kept
                    fail(a.future(), new IndeterminateResultException(id + " applied index " + e.getKey()
                            + " before it knew a forwarded command was appended there; its outcome was not kept"));
                } else if (futures[i] == null && committed.get(i).term() == a.term()) {
                    futures[i] = a.future();
                } else {
                    fail(a.future(), new NotLeaderException("the forwarded command appended at " + a.term() + "/"
                            + e.getKey() + " was replaced by another leader's entry; it did not take effect",
                            Optional.empty()));
                }
            }
        }
    }

    /** A snapshot replaced the state up to {@code index}: commands awaited there have an unknown outcome. */
    void onInstall(long index) {
        handedOut = Math.max(handedOut, index);
        while (!awaited.isEmpty() && awaited.firstKey() <= index) {
            awaited.pollFirstEntry().getValue().forEach(a -> fail(a.future(), new IndeterminateResultException(id
                    + " installed a snapshot covering the forwarded command; its outcome is unknown")));
        }
    }

    /** Fails the commands whose outcome was not learnt within the timeout. */
    void expire(long now) {
        if (now - nextExpiryCheck < 0) {
            return;
        }
        nextExpiryCheck = now + timeoutNanos / 16;
        for (Iterator<Sent> it = sent.values().iterator(); it.hasNext(); ) {
            Sent s = it.next();
            if (now - s.deadlineNanos() < 0) {
                break;
            }
            it.remove();
            fail(s.future(), timedOut("the leader's answer"));
        }
        for (Iterator<List<Awaited>> it = awaited.values().iterator(); it.hasNext(); ) {
            List<Awaited> waiting = it.next();
            waiting.removeIf(a -> {
                boolean late = now - a.deadlineNanos() >= 0;
                if (late) {
                    fail(a.future(), timedOut("the command's commit"));
                }
                return late;
            });
            if (waiting.isEmpty()) {
                it.remove();
            }
        }
    }

    /** Fails everything (the node stops). */
    void failAll(RaftException error) {
        sent.values().forEach(s -> s.future().completeExceptionally(error));
        awaited.values().forEach(l -> l.forEach(a -> a.future().completeExceptionally(error)));
        sent.clear();
        awaited.clear();
    }

    private IndeterminateResultException timedOut(String what) {
        return new IndeterminateResultException(id + " forwarded the command to the leader but did not learn "
                + what + " within the forward timeout; it may or may not take effect");
    }

    private void fail(CompletableFuture<byte[]> future, Exception e) {
        apply.submit(new ApplyWorker.Fail(future, e));
    }
}
