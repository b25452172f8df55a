package org.raftlib.internal.runtime;

import java.io.IOException;
import java.util.List;
import org.raftlib.LogStorage;
import org.raftlib.internal.core.Ready;

/**
 * Writes the core's {@link Ready} batches to a {@link LogStorage} in the order the durability rules need, then makes
 * them durable with one {@link LogStorage#sync()}. The storage worker and the follower's inline path both use it, and
 * so does the test suite's simulation, so that the order the simulation checks is the order the runtime runs.
 *
 * <p>The order, per batch: an installed snapshot's log reset (durable when it returns; the snapshot itself was made
 * durable before the core heard of it); a suffix truncation, made durable (its own {@code sync()}) before any entry
 * is appended at the indexes it removed, because a storage may otherwise keep an old entry next to a new one after a
 * crash; then the entries; then the hard state. The hard state may become durable at once (as
 * {@code FileLogStorage} makes it): it depends on nothing unsynced, because the core never puts a commit index
 * beyond its durable log into it. Compactions go last, after the sync: what they discard is covered by a durable
 * snapshot, and losing one in a crash only keeps entries longer.
 *
 * <p>Internal: not part of raftlib's API.
 */
public final class ReadyWriter {

    private ReadyWriter() {
    }

    /**
     * Writes {@code batches}, in order, and syncs once if anything was written.
     *
     * @param batches Ready batches, in the order the core handed them out
     * @param storage the storage to write
     * @return the number of entries appended
     * @throws IOException if the storage fails; nothing of the batches may be acknowledged then
     */
    public static int write(List<Ready> batches, LogStorage storage) throws IOException {
        boolean dirty = false;
        int entries = 0;
        for (Ready r : batches) {
            if (r.install().isPresent()) {
                storage.reset(r.install().get().index(), r.install().get().term());
            }
            if (r.truncateFrom().isPresent()) {
                storage.truncateSuffix(r.truncateFrom().getAsLong());
                storage.sync();
            }
            if (!r.entries().isEmpty()) {
                storage.append(r.entries());
                entries += r.entries().size();
                dirty = true;
            }
            if (r.hardState().isPresent()) {
                storage.saveHardState(r.hardState().get());
                dirty = true;
            }
        }
        if (dirty) {
            storage.sync();
        }
        for (Ready r : batches) {
            long upTo = Math.min(r.compactTo().orElse(0), storage.lastIndex());
            if (upTo >= storage.firstIndex()) {                // a later reset may have passed it
                storage.compactPrefix(upTo);
            }
        }
        return entries;
    }
}
