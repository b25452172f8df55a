/**
 * Internal: not API, may change without notice. The pure Raft protocol as a deterministic state machine.
 *
 * <p>Nothing here uses a thread, a lock, a clock or I/O: time advances only through {@link RaftCore#tick()}, all
 * randomness comes from the generator in {@link CoreConfig}, and every effect leaves as a {@link Ready} batch.
 */
package org.raftlib.internal.core;
