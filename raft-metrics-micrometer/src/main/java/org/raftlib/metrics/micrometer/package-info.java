/**
 * Micrometer meters for raftlib: {@link org.raftlib.metrics.micrometer.MicrometerRaftMetrics} records what a node
 * reports through {@link org.raftlib.RaftMetrics} (latencies, storage writes, messages, elections, snapshots),
 * {@link org.raftlib.metrics.micrometer.RaftMeterBinder} adds gauges read from {@link org.raftlib.RaftNode#status()},
 * and {@link org.raftlib.metrics.micrometer.TransportMeters} counts a transport's own statistics.
 */
package org.raftlib.metrics.micrometer;
