package org.raftlib.transport.netty;

import java.util.Objects;
import java.util.Optional;
import org.raftlib.NodeId;

/**
 * An admin request failed: the node refused or could not complete it ({@link #code()} says how), or the
 * {@link AdminClient} could not reach the endpoint or read its answer. The message is meant for an operator.
 */
public class AdminException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** How an admin request failed. */
    public enum Code {
        /** The node does not lead; {@link #leaderHint()} names the leader it knows of. Nothing was changed. */
        NOT_LEADER,
        /** An argument is invalid: an unknown or malformed id, a bad address, a member that already exists. */
        INVALID_ARGUMENT,
        /** No outcome within the time allowed; the operation may still complete. */
        TIMEOUT,
        /** Another membership change is in progress; retry once it has finished. */
        IN_PROGRESS,
        /** The node lost leadership during the change; it may or may not have happened: read the status. */
        INDETERMINATE,
        /** The node cannot do this (for example snapshots without a snapshot store). */
        UNSUPPORTED,
        /** The node is closed or failed. */
        UNAVAILABLE,
        /** The node could not read the request (malformed, another protocol version). */
        BAD_REQUEST,
        /** The operation failed for another reason, given in the message. */
        FAILED,
        /** The endpoint refused the client's certificate: not an admin certificate, or an admin not allowed. */
        REFUSED,
        /** Client side: the endpoint could not be reached, refused the TLS handshake or closed without answering. */
        CONNECTION,
        /** Client side: the answer could not be read. */
        PROTOCOL
    }

    private final Code code;
    private final transient NodeId leaderHint;

    /**
     * Creates the exception.
     *
     * @param code how the request failed
     * @param message what happened, for an operator
     * @param leaderHint the leader the node knows of (with {@link Code#NOT_LEADER}), or null
     * @throws NullPointerException if {@code code} is null
     */
    public AdminException(Code code, String message, NodeId leaderHint) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
        this.leaderHint = leaderHint;
    }

    /**
     * Creates the exception with a cause.
     *
     * @param code how the request failed
     * @param message what happened, for an operator
     * @param cause the underlying failure
     * @throws NullPointerException if {@code code} is null
     */
    public AdminException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
        this.leaderHint = null;
    }

    /** Returns how the request failed. */
    public Code code() {
        return code;
    }

    /** Returns the leader the answering node knows of, if it said (with {@link Code#NOT_LEADER}). */
    public Optional<NodeId> leaderHint() {
        return Optional.ofNullable(leaderHint);
    }
}
