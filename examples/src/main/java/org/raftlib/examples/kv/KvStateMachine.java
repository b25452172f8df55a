package org.raftlib.examples.kv;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.raftlib.StateMachine;
import org.raftlib.StateSnapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replicated map from string keys to string values: applies {@link KvCommand}s and answers them with
 * {@link KvResult}s.
 *
 * <p>Besides the map it keeps the member directory ({@link KvCommand.Op#MEMBER_HTTP}: where each member added at run
 * time serves HTTP) and, for comparing replicas, {@link #stats()}: the number of keys, an order-independent digest
 * of the map's content and the number of log entries applied. Replicas at the same applied index agree on all three;
 * an entry applied twice or skipped shows in the count.
 *
 * <p><b>Threading.</b> raftlib calls it only from the node's apply thread, so the map needs no locking. The member
 * directory and the statistics are published through volatile fields for the HTTP threads. A malformed command
 * never throws (that would stop the node): it changes nothing and yields a {@link KvResult.Status#ERROR} result, the
 * same on every replica.
 */
public final class KvStateMachine implements StateMachine {

    private static final Logger LOG = LoggerFactory.getLogger(KvStateMachine.class);

    /** Marks the snapshot section after the pairs (absent in snapshots of earlier versions). */
    private static final int SNAPSHOT_EXTRA_VERSION = 1;
    /**
     * The first int of a snapshot whose strings are length-prefixed UTF-8 (since 2026-12-02): a count is never
     * negative, so snapshots of the earlier format, which began with the count, still restore.
     */
    private static final int LENGTH_PREFIXED = -2;

    private final Map<String, String> data = new HashMap<>();
    /** Member id to HTTP address; replaced, never changed in place. */
    private volatile Map<String, String> memberHttp = Map.of();
    private volatile Stats stats = new Stats(0, 0, 0);
    private long digest;
    private long applied;

    /**
     * What a replica holds, for comparing replicas.
     *
     * @param keys the number of keys
     * @param digest the sum over every key-value pair of a 64-bit hash of the pair; independent of order
     * @param commands the number of log entries handed to {@link #apply} since the log began (snapshots included)
     */
    public record Stats(int keys, long digest, long commands) {
    }

    /** Creates an empty store. */
    public KvStateMachine() {
    }

    @Override
    public byte[] apply(long index, byte[] command) {
        applied++;
        try {
            KvCommand c;
            try {
                c = KvCommand.decode(command);
            } catch (IllegalArgumentException e) {
                LOG.debug("entry {}: {}", index, e.getMessage());
                return KvResult.error(e.getMessage()).encode();
            }
            if (c.op() == KvCommand.Op.MEMBER_HTTP) {
                Map<String, String> next = new HashMap<>(memberHttp);
                String previous = next.put(c.key(), c.value().orElseThrow());
                memberHttp = Map.copyOf(next);
                return new KvResult(KvResult.Status.OK, Optional.ofNullable(previous)).encode();
            }
            return execute(c).encode();
        } finally {
            stats = new Stats(data.size(), digest, applied);
        }
    }

    /**
     * Returns where a member serves HTTP, as recorded by {@link KvCommand.Op#MEMBER_HTTP}; any thread.
     *
     * @param member the member's id
     * @return its HTTP base address, if recorded
     */
    public Optional<String> memberHttp(String member) {
        return Optional.ofNullable(memberHttp.get(member));
    }

    /**
     * Returns the replica's statistics as of the last entry applied; any thread.
     *
     * @return the statistics
     */
    public Stats stats() {
        return stats;
    }

    @Override
    public byte[] query(byte[] request) {
        KvCommand c;
        try {
            c = KvCommand.decode(request);
        } catch (IllegalArgumentException e) {
            return KvResult.error(e.getMessage()).encode();
        }
        if (c.op() != KvCommand.Op.GET) {
            return KvResult.error("a query must be a GET, not " + c.op()).encode();
        }
        return execute(c).encode();
    }

    private KvResult execute(KvCommand c) {
        String key = c.key();
        switch (c.op()) {
            case GET:
                return found(Optional.ofNullable(data.get(key)));
            case PUT:
                return new KvResult(KvResult.Status.OK, put(key, c.value().orElseThrow()));
            case DELETE:
                Optional<String> removed = Optional.ofNullable(data.remove(key));
                removed.ifPresent(v -> digest -= pairHash(key, v));
                return found(removed);
            case CAS:
                Optional<String> current = Optional.ofNullable(data.get(key));
                if (!current.equals(c.expected())) {
                    return new KvResult(KvResult.Status.CAS_FAILED, current);
                }
                put(key, c.value().orElseThrow());
                return new KvResult(KvResult.Status.OK, current);
            case APPEND:
                return append(key, c.value().orElseThrow());
            default:
                return KvResult.error("unsupported operation " + c.op());
        }
    }

    /** Appends {@code suffix} to the key's value; refuses (changing nothing) a value that would grow too long. */
    private KvResult append(String key, String suffix) {
        String value = data.getOrDefault(key, "") + suffix;
        if (value.length() > KvCommand.MAX_VALUE_BYTES / 3              // at most 3 UTF-8 bytes per char
                && value.getBytes(StandardCharsets.UTF_8).length > KvCommand.MAX_VALUE_BYTES) {
            return KvResult.error("appending to " + key + " would make its value longer than "
                    + KvCommand.MAX_VALUE_BYTES + " bytes");
        }
        put(key, value);
        return new KvResult(KvResult.Status.OK, Optional.of(value));
    }

    private Optional<String> put(String key, String value) {
        Optional<String> previous = Optional.ofNullable(data.put(key, value));
        previous.ifPresent(v -> digest -= pairHash(key, v));
        digest += pairHash(key, value);
        return previous;
    }

    /** FNV-1a over the key's and the value's UTF-8 bytes with a separator, then a final mix. */
    static long pairHash(String key, String value) {
        long h = 0xcbf29ce484222325L;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        h = (h ^ 0x100) * 0x100000001b3L;
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        return h ^ (h >>> 33);
    }

    private static KvResult found(Optional<String> value) {
        return new KvResult(value.isPresent() ? KvResult.Status.OK : KvResult.Status.NOT_FOUND, value);
    }

    /**
     * Captures the map for a snapshot: a copy taken here, on the apply thread (cheap next to writing it out), written
     * on raftlib's snapshot thread as {@code -2:int32} (the format), {@code count:int32}, then {@code key, value}
     * pairs, each string as {@code length:int32} and that many bytes of UTF-8; then {@code 1:int8}, the member
     * directory as {@code count:int32} and {@code id, address} pairs, and the applied-entry count as an int64.
     * Snapshots of the earlier format (no format int, strings by {@link DataOutputStream#writeUTF}, which cannot hold
     * one over 64 KiB: every snapshot failed once a value was that large) still restore.
     */
    @Override
    public StateSnapshot snapshot() {
        Map<String, String> copy = new HashMap<>(data);
        Map<String, String> members = memberHttp;
        long commands = applied;
        return out -> {
            DataOutputStream d = new DataOutputStream(out);
            d.writeInt(LENGTH_PREFIXED);
            writePairs(d, copy);
            d.writeByte(SNAPSHOT_EXTRA_VERSION);
            writePairs(d, members);
            d.writeLong(commands);
            d.flush();
        };
    }

    private static void writePairs(DataOutputStream d, Map<String, String> pairs) throws IOException {
        d.writeInt(pairs.size());
        for (Map.Entry<String, String> e : pairs.entrySet()) {
            writeString(d, e.getKey());
            writeString(d, e.getValue());
        }
    }

    private static void writeString(DataOutputStream d, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        d.writeInt(utf8.length);
        d.write(utf8);
    }

    private static String readString(DataInputStream d, boolean prefixed) throws IOException {
        if (!prefixed) {
            return d.readUTF();
        }
        int n = d.readInt();
        if (n < 0 || n > KvCommand.MAX_VALUE_BYTES) {
            throw new IOException("a string of " + n + " bytes in the snapshot (at most " + KvCommand.MAX_VALUE_BYTES
                    + ")");
        }
        byte[] utf8 = d.readNBytes(n);
        if (utf8.length != n) {
            throw new EOFException("the snapshot ends inside a string");
        }
        return new String(utf8, StandardCharsets.UTF_8);
    }

    /** Replaces the map, the member directory and the applied-entry count with a snapshot's. */
    @Override
    public void restore(InputStream state) throws IOException {
        DataInputStream d = new DataInputStream(state);
        int first = d.readInt();
        boolean prefixed = first == LENGTH_PREFIXED;
        Map<String, String> restored = readPairs(d, prefixed ? d.readInt() : first, prefixed, "key");
        Map<String, String> members = Map.of();
        long commands = 0;
        int extra = d.read();
        if (extra == SNAPSHOT_EXTRA_VERSION) {
            members = readPairs(d, d.readInt(), prefixed, "member");
            commands = d.readLong();
        } else if (extra != -1) {
            throw new IOException("unknown snapshot section " + extra + " after the key-value pairs");
        }
        data.clear();
        data.putAll(restored);
        memberHttp = Map.copyOf(members);
        applied = commands;
        digest = 0;
        data.forEach((k, v) -> digest += pairHash(k, v));
        stats = new Stats(data.size(), digest, applied);
    }

    private static Map<String, String> readPairs(DataInputStream d, int n, boolean prefixed, String what)
            throws IOException {
        if (n < 0) {
            throw new IOException("negative " + what + " count " + n + " in the snapshot");
        }
        Map<String, String> pairs = new HashMap<>();
        for (int i = 0; i < n; i++) {
            pairs.put(readString(d, prefixed), readString(d, prefixed));
        }
        return pairs;
    }

    /** Returns the number of keys; for tests and metrics, call only on the apply thread or after the node stopped. */
    int size() {
        return data.size();
    }
}
