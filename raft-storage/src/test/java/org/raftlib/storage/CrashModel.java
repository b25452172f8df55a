package org.raftlib.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What a crash after a sequence of recorded calls ({@link FileOpLog}) can leave of a directory, under one of two
 * file-system models. Each write is split into pieces at page boundaries (what a disk writes back, and may lose,
 * independently). A change is synced when a completed force of its file (a piece, a size change) or of the directory
 * (a create, rename or delete) follows it; synced changes always survive. The others survive as the model allows:
 *
 * <ul>
 *   <li>{@link Fs#UNORDERED}: each unsynced piece and each unsynced metadata change survives or not, independently.
 *   <li>{@link Fs#ORDERED}, like ext4's data=ordered: metadata changes (sizes, creates, renames, deletes) survive in
 *       call order, a prefix of them, and a file's metadata change only together with every piece written to that
 *       file before it; the other unsynced pieces survive independently.
 * </ul>
 *
 * A lost piece leaves what the file held there before (its durable bytes, or zeros past its durable end).
 */
final class CrashModel {

    /** The two file-system models. */
    enum Fs { ORDERED, UNORDERED }

    /**
     * One crash state: which optional changes survive. {@code metadataKept} is how many unsynced metadata changes
     * survive, in order (ORDERED only); {@code kept} which other optional changes do.
     */
    record Choice(int metadataKept, BitSet kept) {
    }

    private final Map<String, byte[]> initial;
    private final Fs fs;
    private final List<FileOp> units = new ArrayList<>();
    private final boolean[] synced;
    /** Unit indexes chosen by {@link Choice#kept}, and each unit's place among them (-1 if not there). */
    private final List<Integer> optional = new ArrayList<>();
    private final int[] optionalPlace;
    /** ORDERED: the unsynced metadata units, in call order. */
    private final List<Integer> optionalMetadata = new ArrayList<>();

    CrashModel(Map<String, byte[]> initial, List<FileOp> ops, Fs fs, int pageBytes) {
        this.initial = initial;
        this.fs = fs;
        for (FileOp op : ops) {
            if (op instanceof FileOp.Write w) {
                split(w, pageBytes);
            } else {
                units.add(op);
            }
        }
        synced = syncedUnits();
        optionalPlace = new int[units.size()];
        Arrays.fill(optionalPlace, -1);
        for (int i = 0; i < units.size(); i++) {
            FileOp op = units.get(i);
            if (synced[i] || op instanceof FileOp.Force || op instanceof FileOp.FsyncDir) {
                continue;
            }
            if (fs == Fs.ORDERED && op.metadata()) {
                optionalMetadata.add(i);
            } else {
                optionalPlace[i] = optional.size();
                optional.add(i);
            }
        }
    }

    private void split(FileOp.Write w, int pageBytes) {
        long end = w.offset() + w.bytes().length;
        for (long p = w.offset(); p < end; ) {
            long pieceEnd = Math.min(end, (p / pageBytes + 1) * pageBytes);
            byte[] piece = Arrays.copyOfRange(w.bytes(), (int) (p - w.offset()), (int) (pieceEnd - w.offset()));
            units.add(new FileOp.Write(w.inode(), p, piece));
            p = pieceEnd;
        }
    }

    /** Marks the units a later force covers; under ORDERED, also what the order of metadata implies. */
    private boolean[] syncedUnits() {
        boolean[] result = new boolean[units.size()];
        Set<Integer> forcedLater = new HashSet<>();
        boolean directoryForcedLater = false;
        for (int i = units.size() - 1; i >= 0; i--) {
            FileOp op = units.get(i);
            if (op instanceof FileOp.Force f) {
                forcedLater.add(f.inode());
            } else if (op instanceof FileOp.FsyncDir) {
                directoryForcedLater = true;
            } else {
                result[i] = op.directoryEntry() ? directoryForcedLater : forcedLater.contains(op.inode());
            }
        }
        if (fs == Fs.ORDERED) {
            int lastSynced = -1;
            for (int i = 0; i < units.size(); i++) {
                if (units.get(i).metadata() && result[i]) {
                    lastSynced = i;
                }
            }
            for (int i = 0; i <= lastSynced; i++) {
                result[i] |= units.get(i).metadata();
            }
            markDataBeforeMetadata(result, result);
        }
        return result;
    }

    /** ORDERED: marks in {@code durable} every piece written to a file before a durable metadata change of it. */
    private void markDataBeforeMetadata(boolean[] metadataDurable, boolean[] durable) {
        Map<Integer, Integer> lastMetadata = new HashMap<>();
        for (int i = 0; i < units.size(); i++) {
            if (units.get(i).metadata() && metadataDurable[i]) {
                lastMetadata.put(units.get(i).inode(), i);
            }
        }
        for (int i = 0; i < units.size(); i++) {
            if (units.get(i) instanceof FileOp.Write w && i < lastMetadata.getOrDefault(w.inode(), -1)) {
                durable[i] = true;
            }
        }
    }

    /** Returns the number of crash states, or {@link Long#MAX_VALUE} if it does not fit. */
    long stateCount() {
        int bits = optional.size();
        if (bits > 56) {
            return Long.MAX_VALUE;
        }
        return (1L << bits) * (fs == Fs.ORDERED ? optionalMetadata.size() + 1 : 1);
    }

    /** Returns crash state number {@code n}, in {@code [0, stateCount())}. */
    Choice state(long n) {
        int metadataChoices = optionalMetadata.size() + 1;
        long bits = fs == Fs.ORDERED ? n / metadataChoices : n;
        int metadataKept = fs == Fs.ORDERED ? (int) (n % metadataChoices) : 0;
        return new Choice(metadataKept, BitSet.valueOf(new long[] {bits}));
    }

    /** Returns a crash state drawn from {@code random}. */
    Choice randomState(SplittableRandom random) {
        BitSet kept = new BitSet();
        for (int i = 0; i < optional.size(); i++) {
            if (random.nextBoolean()) {
                kept.set(i);
            }
        }
        return new Choice(random.nextInt(optionalMetadata.size() + 1), kept);
    }

    /** Returns every crash state if there are at most {@code max}, else {@code max} drawn from {@code random}. */
    List<Choice> sample(int max, SplittableRandom random) {
        List<Choice> states = new ArrayList<>();
        long count = stateCount();
        if (count <= max) {
            for (long n = 0; n < count; n++) {
                states.add(state(n));
            }
        } else {
            for (int k = 0; k < max; k++) {
                states.add(randomState(random));
            }
        }
        return states;
    }

    /** Returns the directory a crash in {@code state} leaves: file name to content. */
    Map<String, byte[]> image(Choice state) {
        boolean[] durable = durable(state);
        Map<String, Integer> entries = new HashMap<>();
        Map<Integer, Inode> inodes = new HashMap<>();
        int inode = 0;
        for (Map.Entry<String, byte[]> e : initial.entrySet()) {
            entries.put(e.getKey(), inode);
            inodes.put(inode++, new Inode(e.getValue()));
        }
        for (int i = 0; i < units.size(); i++) {
            if (durable[i]) {
                apply(units.get(i), entries, inodes);
            }
        }
        Map<String, byte[]> image = new TreeMap<>();
        entries.forEach((name, n) -> image.put(name, inodes.computeIfAbsent(n, k -> new Inode(new byte[0])).content()));
        return image;
    }

    private boolean[] durable(Choice state) {
        boolean[] durable = synced.clone();
        for (int i = 0; i < units.size(); i++) {
            durable[i] |= optionalPlace[i] >= 0 && state.kept().get(optionalPlace[i]);
        }
        if (fs == Fs.ORDERED) {
            for (int k = 0; k < state.metadataKept(); k++) {
                durable[optionalMetadata.get(k)] = true;
            }
            markDataBeforeMetadata(durable, durable);
        }
        return durable;
    }

    private static void apply(FileOp op, Map<String, Integer> entries, Map<Integer, Inode> inodes) {
        if (op instanceof FileOp.Write w) {
            inodes.computeIfAbsent(w.inode(), k -> new Inode(new byte[0])).write(w.offset(), w.bytes());
        } else if (op instanceof FileOp.SetSize s) {
            inodes.computeIfAbsent(s.inode(), k -> new Inode(new byte[0])).setSize(s.size());
        } else if (op instanceof FileOp.Create c) {
            entries.put(c.name(), c.inode());
        } else if (op instanceof FileOp.Rename r) {
            entries.remove(r.from(), r.inode());
            entries.put(r.to(), r.inode());
        } else if (op instanceof FileOp.Delete d) {
            entries.remove(d.name(), d.inode());
        }
    }

    /** Describes what {@code state} loses, for failure messages. */
    String lost(Choice state) {
        boolean[] durable = durable(state);
        List<String> lost = new ArrayList<>();
        for (int i = 0; i < units.size(); i++) {
            if (!durable[i] && !(units.get(i) instanceof FileOp.Force) && !(units.get(i) instanceof FileOp.FsyncDir)) {
                lost.add(units.get(i).toString());
            }
        }
        return lost.isEmpty() ? "nothing lost" : "lost " + lost;
    }

    /** A file's content: bytes written (also past its size, until a size change shows them) and its size. */
    private static final class Inode {
        private byte[] data;
        private long size;

        Inode(byte[] content) {
            this.data = content.clone();
            this.size = content.length;
        }

        void write(long offset, byte[] bytes) {
            if (data.length < offset + bytes.length) {
                data = Arrays.copyOf(data, (int) offset + bytes.length);
            }
            System.arraycopy(bytes, 0, data, (int) offset, bytes.length);
        }

        void setSize(long newSize) {
            if (newSize < size && newSize < data.length) {
                Arrays.fill(data, (int) newSize, data.length, (byte) 0);    // cut bytes never come back
            }
            size = newSize;
        }

        byte[] content() {
            return Arrays.copyOf(data, (int) size);
        }
    }

    /** Replaces the files of {@code dir} (all but its lock file) with {@code image}. */
    static void write(Map<String, byte[]> image, Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                if (!p.getFileName().toString().equals(DirectoryLock.NAME)) {
                    Files.delete(p);               // rather than truncate: ext4 flushes files truncated and rewritten
                }
            }
        }
        for (Map.Entry<String, byte[]> e : image.entrySet()) {
            Files.write(dir.resolve(e.getKey()), e.getValue());
        }
    }
}
