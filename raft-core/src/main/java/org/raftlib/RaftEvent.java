package org.raftlib;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Something that happened to a node, delivered to {@link RaftListener#onEvent}. Each kind is a record nested here;
 * the hierarchy is sealed, so a listener can tell the kinds apart with {@code instanceof} (or, on Java 21, a
 * {@code switch} over the types). Every record has a readable {@code toString()} for logs.
 *
 * <p>Events are delivered on the node's apply thread in the order the node noticed them, interleaved with applies: a
 * slow listener delays the state machine. Events still queued when the node stops are dropped; only
 * {@link NodeFailed} comes after that, last, on the thread that stops the node.
 */
public sealed interface RaftEvent {

    /**
     * The leader this node knows of changed. Every member reports its own view, so each reports the change once.
     *
     * @param leader the new leader, or empty while none is known (an election is running)
     * @param term the term
     */
    record LeaderChanged(Optional<NodeId> leader, long term) implements RaftEvent {
        /** Checks the arguments; throws {@code NullPointerException} if {@code leader} is null. */
        public LeaderChanged {
            Objects.requireNonNull(leader, "leader");
        }
    }

    /**
     * This node's role changed; a new term in the same role is not a change. The first event after
     * {@link RaftNode#start()} reports the role the node starts in, with no previous role.
     *
     * @param previous the role before, empty for the first event
     * @param role the new role
     * @param term the term it holds the new role in
     */
    record RoleChanged(Optional<RaftRole> previous, RaftRole role, long term) implements RaftEvent {
        /** Checks the arguments; throws {@code NullPointerException} if one is null. */
        public RoleChanged {
            Objects.requireNonNull(previous, "previous");
            Objects.requireNonNull(role, "role");
        }
    }

    /**
     * As leader, this node has had no reply to its messages (appends, heartbeats, snapshot chunks) from {@code peer}
     * for an election timeout; a peer whose own messages still arrive (vote requests over a one-way partition) counts
     * as silent, since it gets nothing. Only a leader watches its peers, from the start of its leadership; when it
     * stops leading it stops watching and reports nothing more about them (the next leader reports what it sees).
     *
     * @param peer the silent member
     * @param term the leader's term
     * @param silentFor how long no reply came from it (or since this leadership began), at least the election
     *     timeout
     */
    record PeerUnreachable(NodeId peer, long term, Duration silentFor) implements RaftEvent {
        /** Checks the arguments; throws {@code NullPointerException} if one is null. */
        public PeerUnreachable {
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(silentFor, "silentFor");
        }
    }

    /**
     * As leader, this node heard again from a peer it had reported {@link PeerUnreachable} in the same leadership.
     *
     * @param peer the member heard from again
     * @param term the leader's term
     */
    record PeerReachable(NodeId peer, long term) implements RaftEvent {
        /** Checks the arguments; throws {@code NullPointerException} if {@code peer} is null. */
        public PeerReachable {
            Objects.requireNonNull(peer, "peer");
        }
    }

    /**
     * One write to the log storage, with its sync, took at least {@link RaftOptions#slowDiskThreshold()}. Commits
     * (and a follower's acknowledgements) wait for such writes. Reported for every slow write, so a failing disk
     * reports often; the node also logs a WARN, at most every 10 seconds.
     *
     * @param took how long the write and sync took
     * @param entries how many log entries it wrote (0 for a write of the hard state alone)
     * @param threshold the configured threshold
     */
    record SlowDisk(Duration took, int entries, Duration threshold) implements RaftEvent {
        /** Checks the arguments; throws {@code NullPointerException} if one is null. */
        public SlowDisk {
            Objects.requireNonNull(took, "took");
            Objects.requireNonNull(threshold, "threshold");
        }
    }

    /**
     * The configuration in force on this node changed (Raft thesis chapter 4): a configuration entry was appended to
     * (or truncated from) its log, came with a snapshot, or became known committed. A change is usually reported
     * twice: appended ({@code committed} false), then committed. The first event after start reports the
     * configuration the node starts with, unless it has none yet (a node that joins). Compaction, which moves the
     * index of a committed configuration to the snapshot covering it, is not a change.
     *
     * @param config the configuration, possibly joint
     * @param index the log index of the entry holding it; 0 for the bootstrap configuration
     * @param committed whether that entry is known committed on this node
     */
    record ConfigurationChanged(ClusterConfig config, long index, boolean committed) implements RaftEvent {
        /** Checks the arguments; throws {@code NullPointerException} if {@code config} is null. */
        public ConfigurationChanged {
            Objects.requireNonNull(config, "config");
        }
    }

    /**
     * This node took a snapshot of its state machine and it is durable in the {@link SnapshotStore}; the log it
     * covers is compacted next.
     *
     * @param snapshot the snapshot
     */
    record SnapshotTaken(SnapshotMeta snapshot) implements RaftEvent {
        /** Checks the arguments; throws {@code NullPointerException} if {@code snapshot} is null. */
        public SnapshotTaken {
            Objects.requireNonNull(snapshot, "snapshot");
        }
    }

    /**
     * This node replaced its state machine's state with a snapshot received from the leader (InstallSnapshot,
     * Raft §7), because it lagged behind the leader's compacted log. Restoring its own snapshot at start is not
     * reported.
     *
     * @param snapshot the snapshot
     */
    record SnapshotInstalled(SnapshotMeta snapshot) implements RaftEvent {
        /** Checks the arguments; throws {@code NullPointerException} if {@code snapshot} is null. */
        public SnapshotInstalled {
            Objects.requireNonNull(snapshot, "snapshot");
        }
    }

    /**
     * The node failed and stopped ({@link NodeState#FAILED}). Delivered once, last, on the thread that stops the node
     * (the apply thread has stopped by then).
     *
     * @param cause why
     */
    record NodeFailed(Throwable cause) implements RaftEvent {
        /** Checks the arguments; throws {@code NullPointerException} if {@code cause} is null. */
        public NodeFailed {
            Objects.requireNonNull(cause, "cause");
        }
    }
}
