/**
 * Public API of the file-backed storage: a segmented, checksummed, crash-safe {@link org.raftlib.LogStorage}
 * ({@link org.raftlib.storage.FileLogStorage}, configured by {@link org.raftlib.storage.FileLogOptions}) and a
 * crash-safe {@link org.raftlib.SnapshotStore} of checksummed files ({@link org.raftlib.storage.FileSnapshotStore}).
 *
 * <p>A log directory holds {@code log-<firstIndex, 20 digits>.seg} segments (a versioned, checksummed header, then
 * records {@code length | crc32c | syncedEnd | term | index | type | payload}), a {@code hardstate} file replaced
 * atomically, a {@code synced} file (the last index known durable), a {@code node-id} file (the node the directory
 * belongs to, written at its first {@link org.raftlib.LogStorage#bind bind}) and a {@code lock} file; during a
 * {@link org.raftlib.storage.FileLogStorage#reset reset}, also the new log's first segment as
 * {@code log-<index + 1>.base}. Damage found on open is reported as a {@link org.raftlib.storage.StorageException}
 * naming the file and offset, except damage in the unsynced tail of the last segment (no later record says it was
 * synced), which is truncated with a WARN; see {@link org.raftlib.storage.FileLogStorage} for the rule and its
 * limits. Everything else in this package is internal.
 */
package org.raftlib.storage;
