/**
 * Internal: not API, may change without notice. Client sessions for exactly-once commands (Raft thesis §6.3): the
 * session entry format, the replicated session table that deduplicates retried commands by log time, its section in
 * snapshots, and the retrying client behind {@link org.raftlib.ClientSession}.
 */
package org.raftlib.internal.session;
