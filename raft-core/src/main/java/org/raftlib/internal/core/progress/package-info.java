/**
 * Internal: not API, may change without notice. A leader's view of each follower's replication: match and next
 * index, probe or replicate mode, and the window of AppendEntries in flight.
 */
package org.raftlib.internal.core.progress;
