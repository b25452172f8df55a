package org.raftlib.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A model of what a crash keeps of segment files: the content as of each file's last successful force, plus a
 * prefix of the changes made after it (writes and truncations, in order). Directory changes (creates, deletes) are
 * taken as durable at once, which the storage allows for deletions and forces for creations.
 */
final class SimulatedDisk implements FaultyChannels.Listener {

    /** One change made to a file after its last force. */
    private record Change(long position, byte[] bytes, long truncateTo) {
    }

    private static final class FileState {
        byte[] durable;
        final List<Change> pending = new ArrayList<>();

        FileState(byte[] durable) {
            this.durable = durable;
        }

        byte[] apply(int changes) {
            byte[] image = durable;
            for (Change c : pending.subList(0, changes)) {
                if (c.bytes() == null) {
                    image = Arrays.copyOf(image, (int) Math.min(image.length, c.truncateTo()));
                } else {
                    int end = (int) c.position() + c.bytes().length;
                    image = image.length < end ? Arrays.copyOf(image, end) : image.clone();
                    System.arraycopy(c.bytes(), 0, image, (int) c.position(), c.bytes().length);
                }
            }
            return image;
        }
    }

    private final Map<Path, FileState> files = new HashMap<>();

    private static boolean tracked(Path path) {
        return path.getFileName().toString().endsWith(".seg");
    }

    @Override
    public synchronized void opened(Path path) throws IOException {
        // A segment deleted and created again under the same name starts empty, or as a renamed spare of zeros
        // (header not written yet): forget the old incarnation.
        if (tracked(path) && (!files.containsKey(path) || Files.size(path) == 0 || zeroHeader(path))) {
            files.put(path, new FileState(Files.readAllBytes(path)));
        }
    }

    private static boolean zeroHeader(Path path) throws IOException {
        byte[] all = Files.readAllBytes(path);
        for (int i = 0; i < Math.min(all.length, Segment.HEADER_BYTES); i++) {
            if (all[i] != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public synchronized void wrote(Path path, long position, ByteBuffer src) {
        if (tracked(path)) {
            ByteBuffer copy = src.duplicate();
            byte[] bytes = new byte[copy.remaining()];
            copy.get(bytes);
            files.get(path).pending.add(new Change(position, bytes, -1));
        }
    }

    @Override
    public synchronized void truncated(Path path, long size) {
        if (tracked(path)) {
            files.get(path).pending.add(new Change(-1, null, size));
        }
    }

    @Override
    public synchronized void forced(Path path) {
        if (tracked(path)) {
            FileState state = files.get(path);
            state.durable = state.apply(state.pending.size());
            state.pending.clear();
        }
    }

    /**
     * Rewrites every segment file that still exists as a crash could have left it: its durable content plus a
     * random prefix of its later changes. Call after the storage is closed.
     */
    synchronized void crash(SplittableRandom random) throws IOException {
        for (Map.Entry<Path, FileState> e : files.entrySet()) {
            if (Files.exists(e.getKey())) {
                FileState state = e.getValue();
                Files.write(e.getKey(), state.apply(random.nextInt(state.pending.size() + 1)));
            }
        }
        files.clear();
    }
}
