/**
 * Deterministic simulation of whole clusters with fault injection and an invariant checker (test support).
 */
package org.raftlib.sim;
