package org.raftlib.internal.core;

import java.util.ArrayList;
import java.util.List;
import org.raftlib.HardState;
import org.raftlib.LogEntry;
import org.raftlib.NodeId;

/**
 * One core with its durable state (a {@link MemoryLog} and a hard state) and what it has applied. {@link #handle()}
 * executes one Ready the way the runtime does; {@link #restart()} rebuilds the core from the durable state only.
 */
public final class TestNode {

    private final CoreConfig config;
    private final MemoryLog log;
    private final List<LogEntry> applied = new ArrayList<>();
    private HardState hardState;
    private RaftCore core;

    private TestNode(CoreConfig config, MemoryLog log, HardState hardState) {
        this.config = config;
        this.log = log;
        this.hardState = hardState;
        this.core = RaftCore.restore(config, log, hardState);
    }

    /** Starts a node from durable state. */
    public static TestNode start(CoreConfig config, List<LogEntry> entries, HardState hardState) {
        return new TestNode(config, new MemoryLog(entries), hardState);
    }

    public NodeId id() {
        return config.id();
    }

    public RaftCore core() {
        return core;
    }

    public MemoryLog log() {
        return log;
    }

    public HardState hardState() {
        return hardState;
    }

    /** Returns every entry applied so far, in apply order (across restarts). */
    public List<LogEntry> applied() {
        return List.copyOf(applied);
    }

    /** Takes a Ready, persists it, acknowledges it and applies its committed entries; returns it. */
    public Ready handle() {
        Ready rd = core.ready();
        persist(rd);
        core.onPersisted(rd);
        apply(rd);
        return rd;
    }

    /** Writes the durable part of {@code rd}. */
    public void persist(Ready rd) {
        rd.hardState().ifPresent(hs -> hardState = hs);
        log.persist(rd);
    }

    /** Writes only the hard state of {@code rd}, as a storage that makes it durable on its own may have. */
    public void persistHardState(Ready rd) {
        rd.hardState().ifPresent(hs -> hardState = hs);
    }

    /** Writes only the log part of {@code rd}: a crash kept the entries but not the hard state written with them. */
    public void persistLog(Ready rd) {
        log.persist(rd);
    }

    /** Applies the committed entries of {@code rd} and reports it. */
    public void apply(Ready rd) {
        if (!rd.committed().isEmpty()) {
            applied.addAll(rd.committed());
            core.onApplied(rd.committed().get(rd.committed().size() - 1).index());
        }
    }

    /** The state machine was replaced by a snapshot holding {@code entries} (what the sender had applied). */
    public void restore(List<LogEntry> entries) {
        applied.clear();
        applied.addAll(entries);
    }

    /** Loses everything not persisted and starts a new core from the durable state. */
    public void restart() {
        core = RaftCore.restore(config, log, hardState);
    }
}
