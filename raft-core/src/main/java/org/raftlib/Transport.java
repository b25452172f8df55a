package org.raftlib;

import java.io.IOException;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import org.raftlib.message.RaftMessage;

/**
 * Carries {@link RaftMessage}s between the members of a Raft group.
 *
 * <p><b>Delivery.</b> Best effort: a transport may drop, delay, duplicate or reorder messages (for example under
 * back-pressure or while a peer is down), because Raft retransmits. A good transport keeps per-peer order and loses
 * nothing while both ends are up.
 *
 * <p><b>Threading.</b> {@link #send} is called from the node's loop thread and, for acknowledgements that wait for a
 * sync, from its storage thread; it must be safe for concurrent callers and must neither block nor throw. The
 * inbound consumer passed to {@link #start} may be called from any transport thread; it only enqueues and returns
 * quickly. A transport that delivers on one thread may offer that thread as the node's {@link #loopExecutor()}.
 *
 * @see org.raftlib.local.LocalTransport
 */
public interface Transport extends AutoCloseable {

    /**
     * Starts listening as {@code self} and delivering inbound messages addressed to it.
     *
     * @param self this node and the address to listen on
     * @param inbound receives every inbound message for {@code self}; must not block
     * @throws IOException if the transport cannot listen (for example, the port is taken)
     * @throws IllegalStateException if the transport was already started or is closed
     */
    void start(Member self, Consumer<RaftMessage> inbound) throws IOException;

    /**
     * Replaces the address book used by {@link #send}. May be called before or after {@link #start}.
     *
     * @param peers the other members of the group
     */
    void updatePeers(Collection<Member> peers);

    /**
     * Checks that {@code address} is a member address this transport can listen on and reach. The node's builder
     * calls it for every member, so a malformed address fails {@code build()} instead of {@link #start} or a later
     * send. The default accepts any address.
     *
     * @param address a member's address, see {@link Member#address()}
     * @throws IllegalArgumentException if this transport cannot use {@code address}; the message says why
     */
    default void checkAddress(String address) {
    }

    /**
     * Sends {@code message} to {@code message.to()}, asynchronously. Never blocks and never throws: a message for an
     * unknown or unreachable peer, or sent after {@link #close()}, is dropped (and counted where the transport
     * counts).
     *
     * @param message the message
     */
    void send(RaftMessage message);

    /**
     * Returns the largest message, in encoded bytes, this transport carries; a larger one is dropped. The node's
     * builder checks its command and batch limits against it, so a configuration that could never replicate a
     * command is refused up front. The default is {@link Integer#MAX_VALUE} (no limit).
     *
     * @return the limit
     */
    default int maxMessageBytes() {
        return Integer.MAX_VALUE;
    }

    /**
     * Optionally offers the thread this transport delivers inbound messages on, and writes outbound ones from, as an
     * executor for the node's loop. The node then runs its loop there: inbound messages reach the protocol and
     * outbound ones reach the wire with no thread hand-off (one wake-up less per message on each side). Called after
     * {@link #start}. The executor must run its tasks one at a time, in submission order, on one thread; must not
     * block for long in its own work; and may refuse tasks only once the transport is closed. The node never shuts it
     * down. The default, empty, gives the node a thread of its own.
     *
     * @return the executor, or empty
     */
    default Optional<ScheduledExecutorService> loopExecutor() {
        return Optional.empty();
    }

    /** Stops listening and sending, and releases threads and sockets. Idempotent. */
    @Override
    void close();
}
