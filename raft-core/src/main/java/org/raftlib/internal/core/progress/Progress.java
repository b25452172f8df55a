package org.raftlib.internal.core.progress;

/**
 * A leader's view of one follower (Raft Figure 2: nextIndex and matchIndex), with the flow control that keeps the
 * leader from blocking on a slow follower.
 *
 * <p>Invariant: {@code matchIndex < nextIndex}. Not thread-safe: confined to the node loop.
 */
public final class Progress {

    private final Inflights inflights;
    private long matchIndex;
    private long nextIndex;
    private ProgressMode mode = ProgressMode.PROBE;
    private boolean probeSent;
    private boolean recentActive;
    private long heardAt;
    private long readSeq;
    private long matchAtLastCheck = -1;
    private long pendingSnapshot;
    private int snapshotFailures;
    private long snapshotRetryTick;

    /**
     * Creates the progress of a follower about which nothing is known yet: probe mode.
     *
     * @param nextIndex the first index to try, usually the leader's last index + 1
     * @param maxInflightMessages the replicate-mode window, in messages
     * @param maxInflightBytes the replicate-mode window, in bytes
     */
    public Progress(long nextIndex, int maxInflightMessages, long maxInflightBytes) {
        this.nextIndex = nextIndex;
        this.inflights = new Inflights(maxInflightMessages, maxInflightBytes);
    }

    public long matchIndex() {
        return matchIndex;
    }

    public long nextIndex() {
        return nextIndex;
    }

    public ProgressMode mode() {
        return mode;
    }

    /** Returns whether the follower was heard from since the last {@link #clearRecentActive()}. */
    public boolean isRecentActive() {
        return recentActive;
    }

    public void markRecentActive() {
        recentActive = true;
    }

    public void clearRecentActive() {
        recentActive = false;
    }

    /** Returns the leader's lease-clock tick at which the follower was last heard from (0: not yet). */
    public long heardAt() {
        return heardAt;
    }

    /** The follower was heard from at the leader's lease-clock tick {@code tick}. */
    public void heardAt(long tick) {
        heardAt = tick;
    }

    /** Returns the highest ReadIndex round the follower has echoed in this leader's term (thesis §6.4). */
    public long readSeq() {
        return readSeq;
    }

    /**
     * Records a ReadIndex round echoed by the follower; echoes may arrive out of order.
     *
     * @param seq the echoed round
     */
    public void onReadSeqEchoed(long seq) {
        readSeq = Math.max(readSeq, seq);
    }

    /** Returns whether the leader must not send more entries now. */
    public boolean isPaused() {
        return switch (mode) {
            case PROBE -> probeSent;
            case REPLICATE -> inflights.isFull();
            case SNAPSHOT -> true;
        };
    }

    /** Returns the index of the snapshot being sent (snapshot mode), else 0. */
    public long pendingSnapshot() {
        return mode == ProgressMode.SNAPSHOT ? pendingSnapshot : 0;
    }

    /**
     * Switches to snapshot mode: the follower needs entries up to {@code index} that only a snapshot holds.
     *
     * @param index the index of the snapshot sent
     */
    public void becomeSnapshot(long index) {
        mode = ProgressMode.SNAPSHOT;
        pendingSnapshot = index;
        probeSent = false;
        inflights.reset();
    }

    /**
     * The snapshot send ended: on success the follower holds everything up to its index; either way the leader goes
     * back to probing (from there, or from where it was).
     *
     * @param success whether the follower installed the snapshot
     */
    public void onSnapshotDone(boolean success) {
        if (mode != ProgressMode.SNAPSHOT) {
            return;
        }
        if (success) {
            matchIndex = Math.max(matchIndex, pendingSnapshot);
            snapshotFailures = 0;
        } else {
            snapshotFailures++;
        }
        pendingSnapshot = 0;
        becomeProbe();
    }

    /** Forgets the failed snapshot sends counted so far (they say nothing about the follower's next attempt). */
    public void forgetSnapshotFailures() {
        snapshotFailures = 0;
    }

    /** Returns how many snapshot sends to this follower failed in a row (0 after one succeeded). */
    public int snapshotFailures() {
        return snapshotFailures;
    }

    /**
     * Holds back the next snapshot send until the leader's tick {@code tick} (a backoff after failed sends).
     *
     * @param tick the first tick at which a snapshot may be sent again
     */
    public void deferSnapshotUntil(long tick) {
        snapshotRetryTick = tick;
    }

    /** Returns whether a snapshot send must still wait at the leader's tick {@code now}. */
    public boolean isSnapshotDeferred(long now) {
        return now < snapshotRetryTick;
    }

    /** Switches to probe mode: resend from {@code matchIndex + 1}, one message at a time. */
    public void becomeProbe() {
        mode = ProgressMode.PROBE;
        probeSent = false;
        inflights.reset();
        nextIndex = matchIndex + 1;
    }

    /** Switches to replicate mode after the follower accepted an append: pipeline from {@code matchIndex + 1}. */
    public void becomeReplicate() {
        mode = ProgressMode.REPLICATE;
        probeSent = false;
        inflights.reset();
        nextIndex = matchIndex + 1;
    }

    /**
     * Records that an AppendEntries carrying entries up to {@code lastIndex} was sent.
     *
     * @param entryCount how many entries it carried
     * @param lastIndex the last index it carried
     * @param bytes its size
     */
    public void onSent(int entryCount, long lastIndex, long bytes) {
        if (mode == ProgressMode.REPLICATE) {
            if (entryCount > 0) {
                inflights.add(lastIndex, bytes);
                nextIndex = lastIndex + 1;
            }
        } else {
            probeSent = true;
        }
    }

    /**
     * Handles an acknowledgement that the follower matches up to {@code index}.
     *
     * @param index the acknowledged match index
     * @return whether the match index advanced
     */
    public boolean onAccepted(long index) {
        boolean advanced = index > matchIndex;
        if (advanced) {
            matchIndex = index;
            probeSent = false;
            snapshotFailures = 0;
        }
        if (mode == ProgressMode.SNAPSHOT && matchIndex >= pendingSnapshot) {
            pendingSnapshot = 0;                             // caught up another way
            becomeProbe();
        }
        nextIndex = Math.max(nextIndex, index + 1);
        inflights.freeLE(index);
        return advanced;
    }

    /**
     * Handles a rejection of the append whose {@code prevLogIndex} was {@code rejectedIndex}.
     *
     * @param rejectedIndex the rejected {@code prevLogIndex}
     * @param hintNextIndex where the leader's reading of the follower's hint says to resume
     * @return {@code false} if the rejection was stale and ignored
     */
    public boolean onRejected(long rejectedIndex, long hintNextIndex) {
        if (mode == ProgressMode.SNAPSHOT) {
            return false;
        }
        if (mode == ProgressMode.REPLICATE) {
            if (rejectedIndex <= matchIndex) {
                return false;
            }
            becomeProbe();
            nextIndex = Math.max(matchIndex + 1, Math.min(hintNextIndex, rejectedIndex));
            return true;
        }
        if (rejectedIndex != nextIndex - 1 && (rejectedIndex <= matchIndex || rejectedIndex >= nextIndex)) {
            return false;
        }
        // A rejection below the probe (a heartbeat anchored at the compaction point, say) proves the follower lacks
        // that index, and so the probe's too (Log Matching): resume below it. Without this, a new member probed at
        // the leader's last index with no entry to send waits for the next proposal.
        nextIndex = Math.max(matchIndex + 1, Math.min(hintNextIndex, rejectedIndex));
        probeSent = false;
        return true;
    }

    /**
     * The follower rejected an append anchored at its own match index: it no longer holds what it acknowledged (its
     * data was lost or wiped). Forgets the match and probes again from {@code hintNextIndex}, which may call for a
     * snapshot.
     *
     * @param hintNextIndex where the leader's reading of the follower's hint says to resume
     */
    public void onDataLoss(long hintNextIndex) {
        matchIndex = Math.max(0, Math.min(matchIndex, hintNextIndex) - 1);
        pendingSnapshot = 0;
        becomeProbe();
        nextIndex = Math.max(1, hintNextIndex);
    }

    /**
     * Handles a response that carried no new information (for example, to a heartbeat): lets a paused probe send
     * again, and frees one slot of a full replicate window so a lost message is noticed and retried.
     */
    public void onHeartbeatAcknowledged() {
        if (mode == ProgressMode.SNAPSHOT) {
            return;
        }
        probeSent = false;
        if (mode == ProgressMode.REPLICATE && inflights.isFull()) {
            inflights.freeFirstOne();
        }
    }

    /**
     * Loss detection, called once per heartbeat interval: in replicate mode, if entries were sent but not
     * acknowledged and the match index has not moved since the previous check, one of them was probably lost (or
     * the follower is very slow); fall back to probing from {@code matchIndex + 1}. A false alarm only resends
     * entries the follower accepts again.
     *
     * @return whether the follower was switched to probe mode
     */
    public boolean checkStalled() {
        boolean stalled = mode == ProgressMode.REPLICATE && nextIndex > matchIndex + 1
                && matchIndex == matchAtLastCheck;
        matchAtLastCheck = matchIndex;
        if (stalled) {
            becomeProbe();
        }
        return stalled;
    }

    /** Returns the number of AppendEntries in flight (replicate mode). */
    public int inflightCount() {
        return inflights.count();
    }

    @Override
    public String toString() {
        return mode + " match=" + matchIndex + " next=" + nextIndex + (isPaused() ? " paused" : "");
    }
}
