/**
 * A linearizability checker for client histories (Wing and Gong's search as refined by Lowe, with memoization of
 * (linearized set, model state)), a pluggable sequential model, and a history recorder (test support).
 */
package org.raftlib.sim.lin;
