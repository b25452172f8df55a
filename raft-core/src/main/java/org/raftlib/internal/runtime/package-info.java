/**
 * Internal: not API, may change without notice. The threads that drive one node: a loop thread that owns the
 * protocol core, a storage worker that persists its output with group commit, and an apply worker that runs the
 * state machine and completes client futures.
 */
package org.raftlib.internal.runtime;
