package org.raftlib.internal.core;

import java.util.List;
import org.raftlib.LogEntry;

/**
 * Read access to the durable part of a node's log, as the core sees it. The runtime adapts a
 * {@link org.raftlib.LogStorage} to it (an I/O failure surfaces as an unchecked exception that fails the node);
 * tests use an in-memory list.
 *
 * <p>The core reads only entries it knows to be durable and never reads past what it was told was persisted.
 */
public interface LogView {

    /** Returns the first index held; {@code lastIndex() + 1} if empty. */
    long firstIndex();

    /** Returns the last index held; read only when the core is created. */
    long lastIndex();

    /**
     * Returns the term at {@code index}, for {@code index} in {@code [firstIndex() - 1, lastIndex()]}.
     *
     * @param index the index
     * @return its term; 0 for index 0
     */
    long term(long index);

    /**
     * Returns entries {@code [from, to)}, at least one, stopping early once {@code maxBytes} would be exceeded.
     *
     * @param from the first index
     * @param to the index after the last
     * @param maxBytes soft size limit
     * @return the entries
     */
    List<LogEntry> entries(long from, long to, long maxBytes);
}
