package org.raftlib.sim;

import java.util.Arrays;
import org.raftlib.LogEntry;

/**
 * A node's log as its Ready stream describes it, with a chained hash per index: two logs have the same chain at an
 * index exactly when they are identical up to it (with overwhelming probability). This makes the Log Matching and
 * Leader Completeness checks O(1) per entry.
 */
final class ShadowLog {

    private long[] terms = new long[64];
    private long[] chains = new long[64];
    private int size;

    int size() {
        return size;
    }

    long term(long index) {
        return index == 0 ? 0 : terms[(int) index - 1];
    }

    long chain(long index) {
        return index == 0 ? 0 : chains[(int) index - 1];
    }

    void truncateFrom(long index) {
        if (index < 1 || index > size + 1) {
            throw new IllegalStateException("truncate at " + index + " outside [1, " + (size + 1) + "]");
        }
        size = (int) index - 1;
    }

    void append(LogEntry e) {
        if (e.index() != size + 1) {
            throw new IllegalStateException("gap: appending " + e.index() + " after " + size);
        }
        if (size == terms.length) {
            terms = Arrays.copyOf(terms, size * 2);
            chains = Arrays.copyOf(chains, size * 2);
        }
        terms[size] = e.term();
        chains[size] = mix(chain(size) ^ mix(e.term() * 31 + e.type().code()) ^ mix(e.data().hashCode() + 7L * size));
        size++;
    }

    void reset(Iterable<LogEntry> entries) {
        size = 0;
        for (LogEntry e : entries) {
            append(e);
        }
    }

    /**
     * Resets to a log that starts after a snapshot up to {@code index}: the entries up to it are the committed ones
     * ({@code committedTerms} and {@code committedChains} of the whole cluster, which the snapshot must match), then
     * {@code after}.
     */
    void resetToSnapshot(long index, long[] committedTerms, long[] committedChains, Iterable<LogEntry> after) {
        size = 0;
        while (terms.length < index + 1) {
            terms = Arrays.copyOf(terms, terms.length * 2);
            chains = Arrays.copyOf(chains, chains.length * 2);
        }
        System.arraycopy(committedTerms, 0, terms, 0, (int) index);
        System.arraycopy(committedChains, 0, chains, 0, (int) index);
        size = (int) index;
        for (LogEntry e : after) {
            append(e);
        }
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
