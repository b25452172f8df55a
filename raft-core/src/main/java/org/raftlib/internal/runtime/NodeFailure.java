package org.raftlib.internal.runtime;

/** How a worker thread reports a failure that must stop the node. */
@FunctionalInterface
interface NodeFailure {

    /**
     * Fails the node with {@code cause}; only the first failure counts.
     *
     * @param cause why
     */
    void fail(Throwable cause);
}
