package org.raftlib.examples.kv;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;

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
 * <p><b>Threading.</b> raftlib calls it only from the node's apply thread, so the map needs no locking. A malformed
 * command never throws (that would stop the node): it changes nothing and yields a {@link KvResult.Status#ERROR}
 * result, the same on every replica.
 */
public final class KvStateMachine implements StateMachine {

    private static final Logger LOG = LoggerFactory.getLogger(KvStateMachine.class);

    private final Map<String, String> data = new HashMap<>();

    /** Creates an empty store. */
    public KvStateMachine() {
    }

    @Override
    public byte[] apply(long index, byte[] command) {
        KvCommand c;
        try {
            c = KvCommand.decode(command);
        } catch (IllegalArgumentException e) {
            LOG.debug("entry {}: {}", index, e.getMessage());
            return KvResult.error(e.getMessage()).encode();
        }
        return execute(c).encode();
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
                return new KvResult(KvResult.Status.OK, Optional.ofNullable(data.put(key, c.value().orElseThrow())));
            case DELETE:
                return found(Optional.ofNullable(data.remove(key)));
            case CAS:
                Optional<String> current = Optional.ofNullable(data.get(key));
                if (!current.equals(c.expected())) {
                    return new KvResult(KvResult.Status.CAS_FAILED, current);
                }
                data.put(key, c.value().orElseThrow());
                return new KvResult(KvResult.Status.OK, current);
            default:
                return KvResult.error("unsupported operation " + c.op());
        }
    }

    private static KvResult found(Optional<String> value) {
        return new KvResult(value.isPresent() ? KvResult.Status.OK : KvResult.Status.NOT_FOUND, value);
    }

    /**
     * Captures the map for a snapshot: a copy taken here, on the apply thread (cheap next to writing it out), written
     * on raftlib's snapshot thread as {@code count:int32}, then {@code key, value} pairs in modified UTF-8
     * ({@link DataOutputStream#writeUTF}, so keys and values up to 64 KiB encoded).
     */
    @Override
    public StateSnapshot snapshot() {
        Map<String, String> copy = new HashMap<>(data);
        return out -> {
            DataOutputStream d = new DataOutputStream(out);
            d.writeInt(copy.size());
            for (Map.Entry<String, String> e : copy.entrySet()) {
                d.writeUTF(e.getKey());
                d.writeUTF(e.getValue());
            }
            d.flush();
        };
    }

    /** Replaces the map with a snapshot's. */
    @Override
    public void restore(InputStream state) throws IOException {
        DataInputStream d = new DataInputStream(state);
        int n = d.readInt();
        if (n < 0) {
            throw new IOException("negative key count " + n + " in the snapshot");
        }
        Map<String, String> restored = new HashMap<>();
        for (int i = 0; i < n; i++) {
            restored.put(d.readUTF(), d.readUTF());
        }
        data.clear();
        data.putAll(restored);
    }

    /** Returns the number of keys; for tests and metrics, call only on the apply thread or after the node stopped. */
    int size() {
        return data.size();
    }
}
