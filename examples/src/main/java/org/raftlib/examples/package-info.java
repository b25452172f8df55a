/**
 * Examples of embedding raftlib: a replicated key-value store and a benchmark runner.
 */
package org.raftlib.examples;
