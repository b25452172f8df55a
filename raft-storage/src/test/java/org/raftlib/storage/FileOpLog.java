package org.raftlib.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Records, as {@link FileOp}s in call order, every call through {@link FaultyChannels} that changes one directory,
 * with the directory's content when recording started (taken as durable). The {@code lock} file is left out.
 *
 * <p>Calls from other threads than the recording one (the spare segment being written in the background) are held
 * back and logged just before the recording thread next touches a file they touched. That is an order the calls could
 * have run in (the background thread running late), and it keeps the log the same from run to run, except for how
 * far a spare still being written got when the storage was closed (either way the next open deletes it).
 */
final class FileOpLog implements FaultyChannels.Listener {

    private record Held(FileOp op, Set<String> names) {
    }

    private final Path dir;
    private final Thread owner = Thread.currentThread();
    private final Map<String, byte[]> initial = new TreeMap<>();
    /** The inode each name denotes now. */
    private final Map<String, Integer> names = new HashMap<>();
    private final List<FileOp> ops = new ArrayList<>();
    private final List<Held> held = new ArrayList<>();
    private int nextInode;

    FileOpLog(Path dir) throws IOException {
        this.dir = dir.toAbsolutePath();
        try (Stream<Path> files = Files.list(this.dir)) {
            for (Path p : files.toList()) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p) && !name.equals(DirectoryLock.NAME)) {
                    initial.put(name, Files.readAllBytes(p));
                }
            }
        }
        for (String name : initial.keySet()) {
            names.put(name, nextInode++);
        }
    }

    /** Returns the files present when recording started, in name order; inode {@code i} is the {@code i}-th. */
    Map<String, byte[]> initial() {
        return initial;
    }

    /** Returns the calls recorded so far, in order. */
    synchronized List<FileOp> ops() {
        return List.copyOf(ops);
    }

    synchronized int size() {
        return ops.size();
    }

    private String nameOf(Path path) {
        Path absolute = path.toAbsolutePath();
        if (!dir.equals(absolute.getParent())) {
            throw new IllegalArgumentException("outside " + dir + ": " + path);
        }
        return absolute.getFileName().toString();
    }

    private int inode(String name) {
        Integer inode = names.get(name);
        if (inode == null) {
            throw new IllegalStateException("not a recorded file: " + name);
        }
        return inode;
    }

    private void log(FileOp op, String... touched) {
        Set<String> touches = Set.of(touched);
        if (Thread.currentThread() != owner) {
            held.add(new Held(op, touches));
            return;
        }
        if (held.stream().anyMatch(h -> h.names().stream().anyMatch(touches::contains))) {
            held.forEach(h -> ops.add(h.op()));
            held.clear();
        }
        ops.add(op);
    }

    @Override
    public synchronized void opened(Path path, boolean created, boolean emptied) {
        if (Files.isDirectory(path) || nameOf(path).equals(DirectoryLock.NAME)) {
            return;
        }
        String name = nameOf(path);
        if (created) {
            names.put(name, nextInode);
            log(new FileOp.Create(name, nextInode++), name);
        } else if (emptied) {
            log(new FileOp.SetSize(inode(name), 0), name);
        }
    }

    @Override
    public synchronized void wrote(Path path, long position, ByteBuffer src, long size) {
        String name = nameOf(path);
        byte[] bytes = new byte[src.remaining()];
        src.duplicate().get(bytes);
        int inode = inode(name);
        log(new FileOp.Write(inode, position, bytes), name);
        if (position + bytes.length > size) {
            log(new FileOp.SetSize(inode, position + bytes.length), name);
        }
    }

    @Override
    public synchronized void truncated(Path path, long size) {
        String name = nameOf(path);
        log(new FileOp.SetSize(inode(name), size), name);
    }

    @Override
    public synchronized void forced(Path path) {
        if (Files.isDirectory(path)) {
            if (!dir.equals(path.toAbsolutePath())) {
                throw new UncheckedIOException(new IOException("fsync of another directory: " + path));
            }
            log(new FileOp.FsyncDir(), "");
        } else {
            String name = nameOf(path);
            log(new FileOp.Force(inode(name)), name);
        }
    }

    @Override
    public synchronized void moved(Path source, Path target) {
        String from = nameOf(source);
        String to = nameOf(target);
        int inode = inode(from);
        names.remove(from);
        names.put(to, inode);
        log(new FileOp.Rename(from, to, inode), from, to);
    }

    @Override
    public synchronized void deleted(Path path) {
        String name = nameOf(path);
        int inode = inode(name);
        names.remove(name);
        log(new FileOp.Delete(name, inode), name);
    }
}
