package org.raftlib.transport.netty;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.raftlib.ClusterConfig;
import org.raftlib.IndeterminateResultException;
import org.raftlib.Member;
import org.raftlib.MembershipChangeException;
import org.raftlib.NodeId;
import org.raftlib.NotLeaderException;
import org.raftlib.RaftClosedException;
import org.raftlib.RaftFailedException;
import org.raftlib.RaftNode;
import org.raftlib.transport.netty.AdminException.Code;
import org.raftlib.transport.netty.wire.AdminWire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out admin requests on a {@link RaftNode} and turns every outcome, failures included, into a response:
 * never throws, and every returned future completes within the request timeout. Operations that change the cluster
 * are logged at INFO with the admin's name (an audit trail); status requests at DEBUG.
 *
 * <p>Thread-safe.
 */
final class AdminOperations {

    private static final Logger LOG = LoggerFactory.getLogger(AdminOperations.class);

    private final RaftNode node;
    private final Duration timeout;
    private final Executor worker;

    /** {@code worker} runs the blocking {@link RaftNode#status()}; never the node's or an event loop's thread. */
    AdminOperations(RaftNode node, Duration timeout, Executor worker) {
        this.node = node;
        this.timeout = timeout;
        this.worker = worker;
    }

    /** Returns the response to {@code r} from admin {@code admin} connected from {@code remote}. */
    CompletableFuture<AdminWire.AdminResponse> execute(AdminWire.AdminRequest r, String admin, Object remote) {
        if (r.getProtocolVersion() != AdminCodec.VERSION) {
            return CompletableFuture.completedFuture(error(Code.BAD_REQUEST, "admin protocol version "
                    + r.getProtocolVersion() + " is not supported; " + node.id() + " speaks " + AdminCodec.VERSION));
        }
        String what = describe(r);
        boolean audited = r.getOpCase() != AdminWire.AdminRequest.OpCase.STATUS;
        if (audited) {
            LOG.info("{} admin '{}' from {}: {}", node.id(), admin, remote, what);
        }
        CompletableFuture<AdminWire.AdminResponse> f;
        try {
            f = start(r);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS).handle((ok, t) -> {
            AdminWire.AdminResponse answer = t == null ? ok : failure(t);
            if (audited) {
                LOG.info("{} admin '{}': {}: {}", node.id(), admin, what, answer.hasError()
                        ? answer.getError().getCode() + ": " + answer.getError().getMessage() : "done");
            } else {
                LOG.debug("{} admin '{}' from {}: {}", node.id(), admin, remote, what);
            }
            return answer;
        });
    }

    private CompletableFuture<AdminWire.AdminResponse> start(AdminWire.AdminRequest r) {
        return switch (r.getOpCase()) {
            case STATUS -> CompletableFuture.supplyAsync(
                    () -> response().setStatus(AdminCodec.status(node.status())).build(), worker);
            case TRANSFER_LEADERSHIP -> node.transferLeadership(id(r.getTransferLeadership().getTarget()))
                    .thenApply(v -> response().setDone(AdminWire.Done.getDefaultInstance()).build());
            case ADD_VOTER -> node.addVoter(member(r.getAddVoter())).thenApply(this::configured);
            case ADD_LEARNER -> node.addLearner(member(r.getAddLearner())).thenApply(this::configured);
            case PROMOTE -> node.promote(id(r.getPromote().getId())).thenApply(this::configured);
            case REMOVE_MEMBER -> node.removeMember(id(r.getRemoveMember().getId())).thenApply(this::configured);
            case TAKE_SNAPSHOT -> node.takeSnapshot().thenApply(i -> response()
                    .setSnapshot(AdminWire.SnapshotTaken.newBuilder().setIndex(i)).build());
            case OP_NOT_SET -> CompletableFuture.completedFuture(error(Code.BAD_REQUEST,
                    "the request names no operation (a newer client?)"));
        };
    }

    private static String describe(AdminWire.AdminRequest r) {
        return switch (r.getOpCase()) {
            case STATUS -> "status";
            case TRANSFER_LEADERSHIP -> "transfer leadership to " + r.getTransferLeadership().getTarget();
            case ADD_VOTER -> "add voter " + r.getAddVoter().getId() + " at " + r.getAddVoter().getAddress();
            case ADD_LEARNER -> "add learner " + r.getAddLearner().getId() + " at " + r.getAddLearner().getAddress();
            case PROMOTE -> "promote " + r.getPromote().getId();
            case REMOVE_MEMBER -> "remove " + r.getRemoveMember().getId();
            case TAKE_SNAPSHOT -> "take a snapshot";
            case OP_NOT_SET -> "no operation";
        };
    }

    private static NodeId id(String id) {
        try {
            return NodeId.of(id);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid node id: " + e.getMessage(), e);
        }
    }

    private static Member member(AdminWire.MemberRequest m) {
        NodeId id = id(m.getId());
        try {
            NettyTransport.parse(m.getAddress(), 1, false);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid address of " + id + ": " + e.getMessage(), e);
        }
        return new Member(id, m.getAddress());
    }

    private AdminWire.AdminResponse configured(ClusterConfig c) {
        return response().setConfiguration(AdminCodec.config(c)).build();
    }

    private AdminWire.AdminResponse.Builder response() {
        return AdminCodec.response(node.id());
    }

    private AdminWire.AdminResponse error(Code code, String message) {
        return AdminCodec.error(node.id(), code, message, Optional.empty());
    }

    /** Maps a failure of an operation to the error answer an operator reads. */
    AdminWire.AdminResponse failure(Throwable t) {
        Throwable e = t;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        String message = e.getMessage() != null ? e.getMessage() : e.toString();
        if (e instanceof NotLeaderException n) {
            return AdminCodec.error(node.id(), Code.NOT_LEADER, message, n.leaderHint());
        }
        Code code;
        if (e instanceof MembershipChangeException m) {
            code = switch (m.reason()) {
                case IN_PROGRESS -> Code.IN_PROGRESS;
                case TIMED_OUT -> Code.TIMEOUT;
                case NO_LIVE_QUORUM -> Code.FAILED;                  // nothing appended: the message says why
            };
        } else if (e instanceof IndeterminateResultException) {
            code = Code.INDETERMINATE;
        } else if (e instanceof TimeoutException) {
            code = Code.TIMEOUT;
            message = "no outcome within " + timeout + "; the operation may still complete: read the status";
        } else if (e instanceof IllegalArgumentException) {
            code = Code.INVALID_ARGUMENT;
        } else if (e instanceof UnsupportedOperationException) {
            code = Code.UNSUPPORTED;
        } else if (e instanceof RaftClosedException || e instanceof RaftFailedException
                || e instanceof RejectedExecutionException) {
            code = Code.UNAVAILABLE;
        } else {
            code = Code.FAILED;
            LOG.debug("{} admin operation failed", node.id(), e);
        }
        return error(code, message);
    }
}
