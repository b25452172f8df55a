/**
 * Public API of the file-backed storage: a segmented, checksummed, crash-safe {@link org.raftlib.LogStorage}.
 */
package org.raftlib.storage;
