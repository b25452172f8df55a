/**
 * Benchmarks runnable as main classes; see {@code examples/benchmark/README.md} for recorded figures.
 */
package org.raftlib.examples.benchmark;
