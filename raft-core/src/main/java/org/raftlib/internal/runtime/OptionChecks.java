package org.raftlib.internal.runtime;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.RaftOptions;
import org.raftlib.Transport;

/** The checks of {@link org.raftlib.RaftNodeBuilder#build()} on options, each adding what is wrong to a list. */
public final class OptionChecks {

    /** Bytes of message framing allowed for on top of the entries: envelope, ids, per-message fields. */
    private static final int MESSAGE_OVERHEAD_BYTES = 4096;

    private OptionChecks() {
    }

    /**
     * An AppendEntries carries up to {@code maxAppendBytes} of entries (or one larger command alone); on the wire
     * each entry costs some framing on top, so both limits need headroom below the transport's message limit.
     */
    public static void checkMessageSize(RaftOptions o, int transportMax, List<String> problems) {
        long largestCommand = (long) o.maxCommandBytes() + MESSAGE_OVERHEAD_BYTES;
        long largestBatch = (long) o.maxAppendBytes() * 3 / 2 + MESSAGE_OVERHEAD_BYTES;
        if (largestCommand > transportMax) {
            problems.add("maxCommandBytes (" + o.maxCommandBytes() + ") plus framing exceeds the transport's "
                    + "message limit (" + transportMax + "); raise the transport's limit or lower maxCommandBytes");
        }
        if ((long) o.snapshotChunkBytes() + MESSAGE_OVERHEAD_BYTES > transportMax) {
            problems.add("snapshotChunkBytes (" + o.snapshotChunkBytes() + ") plus framing exceeds the transport's"
                    + " message limit (" + transportMax + ")");
        }
        if (largestBatch > transportMax) {
            problems.add("maxAppendBytes (" + o.maxAppendBytes() + ") plus framing (up to half again for small "
                    + "entries) exceeds the transport's message limit (" + transportMax + ")");
        }
    }

    /** A command the node accepts must fit the log storage's largest entry, or appending it stops the node. */
    public static void checkEntrySize(RaftOptions o, int storageMax, List<String> problems) {
        if (o.maxCommandBytes() > storageMax) {
            problems.add("maxCommandBytes (" + o.maxCommandBytes() + ") exceeds the log storage's largest entry ("
                    + storageMax + "): a command that size would stop every node that appends it; raise the"
                    + " storage's limit (FileLogOptions.withMaxEntryBytes) or lower maxCommandBytes");
        }
    }

    public static void checkOptions(RaftOptions o, List<String> problems) {
        Duration election = o.electionTimeout();
        Duration heartbeat = o.heartbeatInterval();
        if (election.compareTo(heartbeat.multipliedBy(2)) < 0) {
            problems.add("electionTimeout (" + election + ") must be at least 2 × heartbeatInterval ("
                    + heartbeat + ")");
        }
        if (heartbeat.compareTo(o.tickInterval()) < 0) {
            problems.add("heartbeatInterval (" + heartbeat + ") must be at least tickInterval ("
                    + o.tickInterval() + ")");
        }
        long tick = o.tickInterval().toNanos();
        if (NodeRuntime.ticks(election, tick) <= NodeRuntime.ticks(heartbeat, tick)) {
            problems.add("electionTimeout (" + election + ") must span more ticks of tickInterval ("
                    + o.tickInterval() + ") than heartbeatInterval (" + heartbeat + ")");
        }
    }

    /** The members of {@link org.raftlib.RaftNodeBuilder#members}: present, distinct, with valid addresses. */
    public static void checkMembers(NodeId id, List<Member> members, Transport transport, List<String> problems) {
        if (members == null || members.isEmpty()) {
            problems.add("members are missing");
            return;
        }
        Set<NodeId> ids = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        for (Member m : members) {
            if (m == null) {
                problems.add("members contain null");
                continue;
            }
            if (!ids.add(m.id())) {
                problems.add("member id " + m.id() + " appears twice");
            }
            if (!m.address().isEmpty() && !addresses.add(m.address())) {
                problems.add("address " + m.address() + " is used by two members");
            }
            checkAddress(m, transport, problems);
        }
        if (id != null && !ids.contains(id)) {
            problems.add("id " + id + " is not among the members " + ids);
        }
    }

    /**
     * Adds a problem if {@code transport} cannot use {@code m}'s address; for the builder's members and for every
     * membership change's target.
     */
    static void checkAddress(Member m, Transport transport, List<String> problems) {
        if (transport == null) {
            return;
        }
        try {
            transport.checkAddress(m.address());
        } catch (IllegalArgumentException e) {
            problems.add("member " + m.id() + " has a bad address '" + m.address() + "': " + e.getMessage());
        }
    }
}
