package org.raftlib.storage;

/**
 * One recorded call that changes a storage directory, as {@link CrashModel} replays it. Files are inodes, so that
 * renames, deletions and re-creations under one name stay apart. Data ({@link Write}), metadata ({@link SetSize},
 * {@link Create}, {@link Rename}, {@link Delete}) and barriers ({@link Force}, {@link FsyncDir}).
 */
sealed interface FileOp {

    /** The inode a data or metadata change concerns, or -1 for a barrier of the directory. */
    int inode();

    /** Whether this is a change of metadata: a size, or a directory entry. */
    default boolean metadata() {
        return this instanceof SetSize || this instanceof Create || this instanceof Rename || this instanceof Delete;
    }

    /** Whether this is a directory entry change, made durable by {@link FsyncDir}. */
    default boolean directoryEntry() {
        return this instanceof Create || this instanceof Rename || this instanceof Delete;
    }

    /** {@code bytes} written at {@code offset} (within the file's size or beyond it: see {@link SetSize}). */
    record Write(int inode, long offset, byte[] bytes) implements FileOp {
        @Override
        public String toString() {
            return "write(#" + inode + ", [" + offset + ", " + (offset + bytes.length) + "))";
        }
    }

    /** The file's size becomes {@code size}: a truncation, or the growth a write past the end brings. */
    record SetSize(int inode, long size) implements FileOp {
    }

    /** A new, empty file {@code inode} under {@code name}. */
    record Create(String name, int inode) implements FileOp {
    }

    /** {@code inode} moves from {@code from} to {@code to}, replacing what {@code to} named. */
    record Rename(String from, String to, int inode) implements FileOp {
    }

    /** {@code name}, which names {@code inode}, is removed. */
    record Delete(String name, int inode) implements FileOp {
    }

    /** A completed force of the file: everything before it on {@code inode} is durable. */
    record Force(int inode) implements FileOp {
    }

    /** A completed fsync of the directory: every directory entry change before it is durable. */
    record FsyncDir() implements FileOp {
        @Override
        public int inode() {
            return -1;
        }
    }
}
