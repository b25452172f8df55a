package org.raftlib.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.raftlib.LogEntry;

/**
 * Lookups over a log's segments: consecutive index ranges in order, the last one active. The caller holds the
 * storage's lock and has checked that the indexes are in the log. Also lists a directory's segment files.
 */
final class Segments {

    private Segments() {
    }

    /** Returns the segment of {@code segments} holding {@code index}. */
    /** Lists the first indexes of the segment files in {@code dir}, in order. */
    static List<Long> firstIndexes(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> Segment.parseFirstIndex(p.getFileName().toString()))
                    .filter(OptionalLong::isPresent).map(OptionalLong::getAsLong).sorted().toList();
        }
    }

    /** Returns the term of {@code index}, which lies in the log or is the index just before its first one. */
    static long term(List<Segment> segments, long index) {
        Segment first = segments.get(0);
        return index == first.firstIndex() - 1 ? first.prevTerm() : holding(segments, index).term(index);
    }

    static Segment holding(List<Segment> segments, long index) {
        int lo = 0;
        int hi = segments.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (segments.get(mid).firstIndex() <= index) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return segments.get(lo);
    }

    /**
     * Reads the entries {@code [from, to)}, stopping once another one would pass {@code maxBytes} (at least one), with
     * one positional read per segment.
     */
    static List<LogEntry> read(List<Segment> segments, long from, long to, long maxBytes, int maxBodyBytes)
            throws IOException {
        List<LogEntry> out = new ArrayList<>();
        long bytes = 0;
        long next = from;
        boolean full = false;
        while (next < to && !full) {
            Segment segment = holding(segments, next);
            long end = Math.min(to, segment.nextIndex());
            int n = 0;
            while (next + n < end) {
                long size = segment.entrySizeBytes(next + n);
                if ((next + n > from) && bytes + size > maxBytes) {
                    full = true;
                    break;
                }
                bytes += size;
                n++;
            }
            if (n > 0) {
                segment.read(next, n, out, maxBodyBytes);
            }
            next += n;
        }
        return out;
    }
}
