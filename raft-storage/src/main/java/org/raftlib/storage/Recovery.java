package org.raftlib.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.raftlib.HardState;

/**
 * Opens a storage directory: creates and locks it, finishes or undoes a {@link LogReset reset} that a crash
 * interrupted, loads the hard state, opens every segment in index order with the recovery policy of
 * {@link Segment#open}, and checks that the segments continue each other (no missing segment, no index gap, the term
 * before each segment matching the end of the previous one), and that the log still reaches the index its
 * {@link SyncedMark} says was durable. A new directory gets an initial hard state and a first segment starting at
 * index 1. Ends with a directory fsync, so that the state it recovered (renames, deletions and creations a crashed
 * process left undurable) is durable before anything is built on it.
 */
final class Recovery {

    private Recovery() {
    }

    /** Creates {@code dir} if needed, locks it and recovers the log in it (see the class comment). */
    static FileLogStorage open(Path dir, FileLogOptions options, FileOps ops) throws IOException {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw StorageException.unusable("cannot create the storage directory", dir, e);
        }
        if (!Files.isWritable(dir)) {
            throw StorageException.unusable("storage directory is not writable (its data was not touched: make it"
                    + " writable and start again)", dir, null);
        }
        DirectoryLock lock = DirectoryLock.acquire(dir);
        try {
            SpareSegment.deleteLeftover(dir, ops);
            return recover(dir, options, ops, lock);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private static FileLogStorage recover(Path dir, FileLogOptions options, FileOps ops, DirectoryLock lock)
            throws IOException {
        SyncedMark mark = SyncedMark.open(dir, ops);
        try {
            LogReset.finishInterrupted(dir, ops, mark.index());
            return recover(dir, options, ops, lock, mark);
        } catch (IOException | RuntimeException e) {
            mark.close();
            throw e;
        }
    }

    private static FileLogStorage recover(Path dir, FileLogOptions options, FileOps ops, DirectoryLock lock,
            SyncedMark mark) throws IOException {
        List<Long> firstIndexes = Segments.firstIndexes(dir);
        Optional<HardState> loaded = HardStateFile.load(dir, ops);
        if (firstIndexes.isEmpty()) {
            if (loaded.isPresent() && !loaded.get().equals(HardState.INITIAL)) {
                throw new StorageException("a hard state exists (" + loaded.get() + ") but no log segment"
                        + StorageException.REPLACE, dir, -1);
            }
            mark.checkNoLogWasHere();
            HardStateFile.save(dir, HardState.INITIAL, ops);
            Segment first = Segment.create(dir.resolve(Segment.fileName(1)), 1, 0, options, ops);
            return finish(dir, options, ops, lock, new ArrayList<>(List.of(first)), HardState.INITIAL, mark);
        }
        if (loaded.isEmpty()) {
            throw new StorageException("log segments exist but the hard state file is missing"
                    + StorageException.REPLACE,
                    dir.resolve(HardStateFile.NAME), -1);
        }
        List<Segment> segments = openSegments(dir, firstIndexes, options, ops, mark.index());
        if (segments.isEmpty()) {
            // The only segment was a torn new one; it can only have been the first segment of a new log.
            if (firstIndexes.get(0) != 1) {
                throw new StorageException("the only segment was torn and the term before it is lost"
                        + StorageException.REPLACE,
                        dir.resolve(Segment.fileName(firstIndexes.get(0))), 0);
            }
            segments.add(Segment.create(dir.resolve(Segment.fileName(1)), 1, 0, options, ops));
        }
        return finish(dir, options, ops, lock, segments, loaded.get(), mark);
    }

    /** Checks the segments against the synced mark, makes the directory durable and builds the storage. */
    private static FileLogStorage finish(Path dir, FileLogOptions options, FileOps ops, DirectoryLock lock,
            List<Segment> segments, HardState hardState, SyncedMark mark) throws IOException {
        try {
            mark.check(segments);
            AtomicFiles.fsyncDirectory(dir, ops);
        } catch (IOException | RuntimeException e) {
            closeAll(segments, e);
            throw e;
        }
        return FileLogStorage.create(dir, options, ops, lock, segments, hardState, mark);
    }

    private static List<Segment> openSegments(Path dir, List<Long> firstIndexes, FileLogOptions options,
            FileOps ops, long syncedIndex) throws IOException {
        List<Segment> segments = new ArrayList<>();
        try {
            for (int i = 0; i < firstIndexes.size(); i++) {
                long firstIndex = firstIndexes.get(i);
                boolean last = i == firstIndexes.size() - 1;
                Optional<Segment> opened = Segment.open(dir.resolve(Segment.fileName(firstIndex)), firstIndex, last,
                        syncedIndex, options, ops);
                if (opened.isPresent()) {
                    checkContinues(segments, opened.get());
                    segments.add(opened.get());
                }
            }
            return segments;
        } catch (IOException | RuntimeException e) {
            closeAll(segments, e);
            throw e;
        }
    }

    /** Closes {@code segments} after {@code failure}, adding any close failure to it as suppressed. */
    static void closeAll(List<Segment> segments, Exception failure) {
        for (Segment s : segments) {
            try {
                s.close();
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
        }
    }

    private static void checkContinues(List<Segment> segments, Segment next) throws IOException {
        if (segments.isEmpty()) {
            return;
        }
        Segment previous = segments.get(segments.size() - 1);
        try {
            if (previous.nextIndex() != next.firstIndex()) {
                throw new StorageException("missing entries " + previous.nextIndex() + ".." + (next.firstIndex() - 1)
                        + ": a segment is missing or truncated before this one" + StorageException.REPLACE, next.path(),
                        0);
            }
            if (previous.count() > 0 && previous.term(previous.lastIndex()) != next.prevTerm()) {
                throw new StorageException("segment header says the term before it is " + next.prevTerm()
                        + " but the previous segment ends with term " + previous.term(previous.lastIndex())
                        + StorageException.REPLACE,
                        next.path(), 0);
            }
        } catch (StorageException e) {
            next.close();
            throw e;
        }
    }
}
