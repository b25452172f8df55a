package org.raftlib.sim.lin;

/**
 * The sequential specification of a replicated log as its clients see it: commands, each added by one
 * {@link Append}; a {@link Read} returns what was added so far, as a {@link Digest}. {@link #SEQUENCE} models the
 * log as a sequence (the digest is a hash chained over the commands in order); {@link #MULTISET} as a multiset (the
 * digest is a sum of the commands' hashes, the same in any order). Under both a command added twice or lost, and a
 * read that misses an append answered before it was invoked, make a history non-linearizable; {@link #SEQUENCE} also
 * rejects two commands applied in the opposite order of their answers. Digests are equal exactly when the sequences
 * (multisets) are, barring a 64-bit collision.
 *
 * <p>The search cost differs: with {@code k} concurrent appends and no read between them, the sequence model's
 * states are the {@code k!} orders, the multiset model's the {@code 2^k} subsets, and a search that linearizes them
 * in invocation order succeeds at once under the multiset model whatever the real order was.
 */
public final class AppendLog implements Model<AppendLog.Digest> {

    /** The log as a sequence. */
    public static final AppendLog SEQUENCE = new AppendLog(true);
    /** The log as a multiset: the order of commands is not observed. */
    public static final AppendLog MULTISET = new AppendLog(false);

    private final boolean ordered;

    private AppendLog(boolean ordered) {
        this.ordered = ordered;
    }

    /** Appends command {@code command} (unique in a history). */
    public record Append(long command) {
        @Override
        public String toString() {
            return "append(" + command + ")";
        }
    }

    /** Reads the log; the output is its {@link Digest}. (The model takes any input but an append as a read.) */
    public record Read(String where) {
        @Override
        public String toString() {
            return "read@" + where;
        }
    }

    /** What was added, as a count and a hash. */
    public record Digest(long length, long hash) {
        /** Nothing added. */
        public static final Digest EMPTY = new Digest(0, 0);

        @Override
        public String toString() {
            return "len " + length + " #" + Long.toHexString(hash);
        }
    }

    /** Returns {@code d} with {@code command} added. */
    public Digest add(Digest d, long command) {
        long h = mix(command + 0x9e3779b97f4a7c15L);
        return new Digest(d.length() + 1, ordered ? mix(d.hash() * 31 + h) : d.hash() + h);
    }

    /** The digest of {@code commands} added in order. */
    public Digest of(long... commands) {
        Digest d = Digest.EMPTY;
        for (long c : commands) {
            d = add(d, c);
        }
        return d;
    }

    @Override
    public Digest initial() {
        return Digest.EMPTY;
    }

    @Override
    public Digest step(Digest state, Object input, Object output) {
        if (input instanceof Append a) {
            return add(state, a.command());
        }
        return output == null || output.equals(state) ? state : null;
    }

    @Override
    public boolean isReadOnly(Object input) {
        return !(input instanceof Append);
    }

    /** A 64-bit finalizer (SplitMix64's). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
