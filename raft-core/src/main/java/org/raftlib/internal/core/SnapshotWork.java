package org.raftlib.internal.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.raftlib.NodeId;

/**
 * A core's snapshot work for the next {@link Ready}: a snapshot to install (follower), a compaction (thesis §5.1),
 * and snapshots to stream to followers (leader). The compaction asked for is remembered and handed out as far as the
 * entries are applied and durable, the rest as those advance. Confined to the node loop.
 */
final class SnapshotWork {

    private final RaftLog log;
    private final List<SnapshotPoint.Send> sends = new ArrayList<>();
    private SnapshotPoint install;
    private long compactTo;
    private long compactWanted;

    SnapshotWork(RaftLog log) {
        this.log = log;
    }

    /** Asks for the entries up to {@code upTo} to be compacted; returns whether some compaction was handed out. */
    boolean compact(long upTo) {
        compactWanted = Math.max(compactWanted, upTo);
        return tryCompact();
    }

    /** Hands out as much of the wanted compaction as the log allows now. */
    boolean tryCompact() {
        long upTo = Math.min(compactWanted, Math.min(log.applied(), log.durableIndex()));
        if (compactWanted == 0 || !log.compactTo(upTo)) {
            return false;
        }
        compactTo = upTo;
        return true;
    }

    /** Installs a received snapshot in the log; returns whether the log was reset (the state must be restored). */
    boolean install(SnapshotPoint point, IndexedConfig config) {
        if (!log.installSnapshot(point.index(), point.term(), config)) {
            return false;
        }
        install = point;
        return true;
    }

    /** Asks the runtime to stream the newest snapshot to {@code peer}. */
    void requestSend(NodeId peer) {
        sends.add(new SnapshotPoint.Send(peer, new SnapshotPoint(log.snapshotIndex(), log.snapshotTerm())));
    }

    boolean hasWork() {
        return install != null || compactTo > 0 || !sends.isEmpty();
    }

    Optional<SnapshotPoint> takeInstall() {
        SnapshotPoint p = install;
        install = null;
        return Optional.ofNullable(p);
    }

    OptionalLong takeCompactTo() {
        long c = compactTo;
        compactTo = 0;
        return c > 0 ? OptionalLong.of(c) : OptionalLong.empty();
    }

    List<SnapshotPoint.Send> takeSends() {
        List<SnapshotPoint.Send> out = List.copyOf(sends);
        sends.clear();
        return out;
    }
}
