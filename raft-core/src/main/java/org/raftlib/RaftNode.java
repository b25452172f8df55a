package org.raftlib;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.raftlib.internal.runtime.NodeRuntime;
import org.raftlib.internal.session.SessionClient;

/**
 * One member of a Raft group: replicates the commands submitted to it and applies them to a {@link StateMachine}.
 *
 * <pre>{@code
 * RaftNode node = RaftNode.builder()
 *         .id("n1")
 *         .members(Member.of("n1", "127.0.0.1:7001"), Member.of("n2", "127.0.0.1:7002"),
 *                 Member.of("n3", "127.0.0.1:7003"))
 *         .stateMachine(new MyStateMachine())
 *         .logStorage(FileLogStorage.open(dataDir))
 *         .transport(NettyTransport.builder().build())
 *         .build();
 * node.start();
 * byte[] result = node.submit(command).get();
 * node.close();
 * }</pre>
 *
 * <p><b>Threading.</b> Thread-safe and non-blocking, except {@link #status()} (a short round trip to the node's
 * loop) and {@link #close()} (joins the node's threads). Every returned future completes on the node's apply thread
 * (or at once on the caller's thread when the request is refused up front), so follow-up work that takes time belongs
 * in an {@code *Async} stage with your own executor. Never block on a raftlib future from that thread (in a
 * non-async stage, a listener or the state machine): only that thread completes it, so the wait never ends. Nor wait
 * on {@link #takeSnapshot()} from {@link StateSnapshot#writeTo}: that future completes once this very write is done.
 *
 * <p><b>Lifecycle.</b> {@code build()} → {@link #start()} → {@link #close()}. A node whose storage or state machine
 * fails stops by itself ({@link NodeState#FAILED}); its pending futures then fail: a command it had appended with
 * {@link IndeterminateResultException} (the failure is the cause; see {@link #submit}), anything else with
 * {@link RaftFailedException}.
 */
public final class RaftNode implements AutoCloseable {

    /** The most entries {@link #logTail(int)} describes. */
    public static final int MAX_LOG_TAIL = 1024;

    private final NodeRuntime runtime;
    private final int maxCommandBytes;
    private final SessionClient.Policy sessions;

    RaftNode(NodeRuntime runtime, RaftOptions options) {
        this.runtime = runtime;
        this.maxCommandBytes = options.maxCommandBytes();
        Duration attempt = options.electionTimeout().multipliedBy(10);
        this.sessions = new SessionClient.Policy(options.sessionTimeout(),
                attempt.compareTo(options.forwardTimeout()) > 0 ? attempt : options.forwardTimeout(),
                options.electionTimeout(), maxCommandBytes, options.forwarding());
    }

    /** Returns a builder. */
    public static RaftNodeBuilder builder() {
        return new RaftNodeBuilder();
    }

    /** Returns this node's id. */
    public NodeId id() {
        return runtime.id();
    }

    /**
     * Binds the log storage to this node ({@link LogStorage#bind}), recovers term, vote and log from it, replays the
     * committed log into the state machine, starts the transport and joins the group as a follower.
     *
     * @throws IOException if the log storage belongs to another node (the message names both; the storage is left as
     *     it was), or the transport cannot listen, or the snapshot store cannot be read or holds no valid
     *     snapshot for a compacted log (the message names the log and the store), or the state machine's
     *     {@code restore} throws it; the node is then {@link NodeState#FAILED}, its transport and storage closed
     * @throws IllegalStateException if the node was already started or closed (its state machine's {@code restore}
     *     closing it counts: the message says so), or if another running node of this JVM
     *     holds its transport, log storage, snapshot store or state machine (each node needs its own); the node is
     *     then failed and leaves the other node's parts untouched
     * @throws RaftException if the log cannot be read; the node is then failed
     * @throws RuntimeException whatever unchecked exception the state machine's {@code restore} throws, as it is;
     *     the node is then {@link NodeState#FAILED}, its transport and storage closed
     */
    public void start() throws IOException {
        runtime.start();
    }

    /**
     * Replicates {@code command}; the future completes with the state machine's result once the command is committed
     * and applied on this node. On a follower the command is forwarded to the leader over the Raft transport
     * ({@link RaftOptions#forwarding()}, on by default) and completes once this node has applied it, with the result
     * computed here.
     *
     * <p>The future fails with {@link NotLeaderException} (carrying the leader, if known) when the command did not and
     * will not take effect: no leader is known, forwarding is off, the leader refused or lost it, or this node leads
     * but is handing leadership over (the hint is then this node: see {@link NotLeaderException}); with
     * {@link IndeterminateResultException} when the outcome is unknown: the leader lost leadership, or the node was
     * closed or failed (the failure is then the cause), after appending the command but before it was known
     * committed, or a forwarded command's outcome was not learnt within {@link RaftOptions#forwardTimeout()}; also
     * when the node was closed or failed after the command committed but before it was applied here (its
     * {@code apply} threw, say): it takes effect, but its result is unknown, and the message says so; with
     * {@link OverloadedException} when {@link RaftOptions#maxPendingRequests()} requests are pending here (or
     * uncommitted on the leader); with {@link IllegalArgumentException} when the leader refused a forwarded command
     * larger than its own {@link RaftOptions#maxCommandBytes()} (the nodes' options differ); with
     * {@link RaftClosedException} or {@link RaftFailedException} when the node was not running when the command
     * reached it (it was not appended). A retry after
     * {@code IndeterminateResultException} may apply a command twice; a client session applies it once.
     *
     * <p>Cancelling the future, or timing it out ({@code orTimeout}, {@code completeOnTimeout}), does not withdraw the
     * command: one that was not proposed yet is dropped, one that was goes on and may take effect, so its outcome is
     * unknown, as after {@code IndeterminateResultException}. The command keeps its place among the
     * {@link RaftOptions#maxPendingRequests()} until raftlib is done with it, whatever the caller does with the future.
     *
     * @param command the command; copied
     * @return the result, completed on the apply thread
     * @throws NullPointerException if {@code command} is null
     * @throws IllegalArgumentException if it is longer than {@link RaftOptions#maxCommandBytes()}
     */
    public CompletableFuture<byte[]> submit(byte[] command) {
        checkSize(command, "command");
        return runtime.submit(command);
    }

    /**
     * Opens a client session for exactly-once commands (Raft thesis §6.3): registers it through the log, with
     * {@link RaftOptions#sessionTimeout()} as its idle timeout in log time. A command submitted through the session
     * is applied once however often it is retried, and a retry returns the original result, across leader changes,
     * snapshots and restarts. Sessions are opt-in: {@link #submit} does not use them and pays nothing for them.
     *
     * <p>Registration is retried like {@link ClientSession#submit}; the future fails like it (an attempt that may
     * have registered a session leaves it to expire unused).
     *
     * @return the session, completed on the apply thread or the session timer thread
     */
    public CompletableFuture<ClientSession> openSession() {
        CompletableFuture<ClientSession> out = new CompletableFuture<>();
        SessionClient.open(runtime::submit, sessions).whenComplete((c, e) -> {
            if (e != null) {
                out.completeExceptionally(e);
            } else {
                out.complete(new ClientSession(c));
            }
        });
        return out;
    }

    /**
     * Continues a session whose id and next sequence number a remote client keeps, for a client that retries
     * through different nodes (an HTTP client behind a load balancer). The contract: {@code nextSequence} is the
     * sequence number of the client's next command, or of a command it is retrying; the client has received the
     * result of every command with a lower number, so the table may forget those; and one client never has two
     * commands with the same sequence number. Re-sending a command with its original sequence number through any
     * node then returns its original result without applying it again. Nothing is checked until a command is
     * applied: an unknown or expired session fails it with {@link SessionExpiredException}.
     *
     * @param sessionId the id from {@link ClientSession#id()}
     * @param nextSequence the sequence number the next {@link ClientSession#submit} uses, from 1
     * @return the session; no I/O happens here
     * @throws IllegalArgumentException if a number is not positive
     */
    public ClientSession resumeSession(long sessionId, long nextSequence) {
        return new ClientSession(SessionClient.resume(runtime::submit, sessions, sessionId, nextSequence));
    }

    /**
     * Reads through {@link StateMachine#query}. {@link ReadMode#LINEARIZABLE} is confirmed by the leader with ReadIndex
     * (no log write) and {@link ReadMode#LEASE} by the leader under its lease (see its timing assumption); on a
     * follower both ask the leader for a read index over the Raft transport and are served here once this node has
     * applied that far (unless {@link RaftOptions#forwarding()} is off). {@link ReadMode#STALE} is served at once by
     * any node.
     *
     * <p>The future fails with {@link NotLeaderException} when no leader could confirm the read (none known, it
     * refused or stopped leading, or did not answer within an election timeout); with {@link FollowerBehindException}
     * when this follower is more than {@link RaftOptions#maxReadIndexLag()} entries behind the read index (completed
     * on the node's loop thread, since its apply thread is the one behind) or has not applied up to it within
     * {@link RaftOptions#forwardTimeout()} of the call; like
     * {@link #submit} when the node is overloaded or not running; with the state machine's exception if
     * {@code query} throws. A failed read changed nothing and may be retried. A read whose caller cancelled or timed
     * out its future keeps its place among the {@link RaftOptions#maxPendingRequests()} until raftlib is done with it.
     *
     * @param request the request; copied
     * @param mode the consistency wanted
     * @return the answer, completed on the apply thread
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code request} is longer than {@link RaftOptions#maxCommandBytes()}
     */
    public CompletableFuture<byte[]> query(byte[] request, ReadMode mode) {
        checkSize(request, "request");
        Objects.requireNonNull(mode, "mode");
        return runtime.query(request, mode);
    }

    /**
     * A bounded-staleness read, on any node: the answer reflects every write acknowledged before
     * {@code maxStaleness} ago (measured with this node's monotonic clock; no other clock is involved). Served at
     * once when a linearizable read confirmed on this node was asked for within {@code maxStaleness} (and the state
     * machine has applied its read index); otherwise it confirms a read index with the leader first, as
     * {@link ReadMode#LINEARIZABLE} does, and later bounded reads share it. Under steady load that costs one round
     * trip to the leader per {@code maxStaleness} per node. Fails like {@link #query(byte[], ReadMode)} with
     * {@link ReadMode#LINEARIZABLE}.
     *
     * @param request the request; copied
     * @param maxStaleness how old the newest write the answer may miss can be; zero or more
     * @return the answer, completed on the apply thread
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code request} is longer than {@link RaftOptions#maxCommandBytes()} or
     *     {@code maxStaleness} is negative
     */
    public CompletableFuture<byte[]> queryBounded(byte[] request, Duration maxStaleness) {
        checkSize(request, "request");
        Objects.requireNonNull(maxStaleness, "maxStaleness");
        if (maxStaleness.isNegative()) {
            throw new IllegalArgumentException("maxStaleness must not be negative: " + maxStaleness);
        }
        long nanos = maxStaleness.compareTo(Duration.ofDays(365)) > 0 ? Long.MAX_VALUE / 4 : maxStaleness.toNanos();
        return runtime.queryBounded(request, nanos);
    }

    /**
     * Hands leadership to {@code target} once it has caught up (thesis §3.10). From when this node's loop starts the
     * transfer until it ends (the target leads, or it times out and this node leads on), this node accepts nothing
     * new: commands, and reads that need it to confirm its leadership ({@link ReadMode#LINEARIZABLE},
     * {@link ReadMode#LEASE}, and {@link #queryBounded} reads that no read index confirmed within their bound
     * serves), its own or forwarded by followers, fail with {@link NotLeaderException}; a membership change waits
     * for the transfer to end; {@link ReadMode#STALE} reads are served. A {@link ReadMode#LEASE} read
     * called after this method returns may still be served under the lease until the loop has started the transfer
     * and stopped serving lease reads; that is safe, since it stops before it tells {@code target} to campaign. The
     * future completes when this node sees {@code target} lead (at once if {@code target} is this node and it leads),
     * and fails with {@link NotLeaderException} if this node does not lead, with {@link IllegalArgumentException} if
     * {@code target} is not a voter of the configuration in force, with {@link RaftException} at once if this node
     * has heard nothing from {@code target} for an election timeout (it could not take over: nothing is paused), or
     * if the transfer does not finish within two election timeouts (the target may still take over afterwards, if it
     * got the request to campaign and wins), and with {@link RaftClosedException} or
     * {@link RaftFailedException} if the node is not running.
     *
     * @param target the voter to lead next
     * @return completes on the apply thread
     * @throws NullPointerException if {@code target} is null
     */
    public CompletableFuture<Void> transferLeadership(NodeId target) {
        Objects.requireNonNull(target, "target");
        return runtime.transferLeadership(target);
    }

    /**
     * Changes the cluster's membership to {@code voters} and {@code learners} (Raft thesis chapter 4); call it on the
     * leader. A change of at most one voter is made directly, a larger one through joint consensus (both the old and
     * the new voters decide until the new configuration commits). A new voter that is not a member yet first joins as
     * a learner and votes only once it has acknowledged entries, was heard from within the last election timeout and
     * is within 10,000 entries of the leader's log and holds what that log held one election timeout earlier, so a
     * member that was never reached never becomes a voter and one that becomes a voter is less than an election
     * timeout of appends behind, however large they are (thesis §4.2.1). Start new members with
     * {@link RaftNodeBuilder#join(boolean)}.
     *
     * <p>The future completes with the new configuration once it is committed. It fails with
     * {@link NotLeaderException} if this node does not lead ({@link NotMemberException}, at once, if it knows it was
     * removed: no leader will tell it of one); with {@link IndeterminateResultException} if it stops leading during
     * the change, or the change's entry was appended but did not commit within 30 election timeouts
     * (it may or may not complete: read {@link #status()} on the leader); with {@link MembershipChangeException} if
     * another change is in progress ({@code IN_PROGRESS}), this one could not start within 30 election timeouts
     * ({@code TIMED_OUT}: a new voter did not catch up; learners added for it stay learners), or it would make a
     * configuration whose voters have no majority this leader hears from ({@code NO_LIVE_QUORUM}: removing a live
     * voter while another is down, say; nothing appended); with
     * {@link IllegalArgumentException} if the target has no voters, names a member twice, puts two members at one
     * address, gives one an address the transport cannot use ({@link Transport#checkAddress}) or moves this node
     * (the leader: transfer leadership first); like {@link #submit} when the node is not running. A target that
     * differs only in a member's address is a change too (a member moved: as a voter it first becomes a learner at
     * its new address, and votes once an entry sent there was acknowledged). If this node is removed, it steps down
     * once the change commits, and another voter campaigns at once.
     *
     * @param voters the voters wanted, with their addresses
     * @param learners the learners wanted (members that receive the log but do not vote), with their addresses
     * @return the committed configuration, completed on the apply thread
     * @throws NullPointerException if an argument is null or holds null (the message names it)
     */
    public CompletableFuture<ClusterConfig> changeMembership(Collection<Member> voters, Collection<Member> learners) {
        List<Member> v = copy(voters, "voters");
        List<Member> l = copy(learners, "learners");
        return runtime.changeMembership(current -> ClusterConfig.of(v, l));
    }

    private static List<Member> copy(Collection<Member> members, String name) {
        List<Member> out = new ArrayList<>(Objects.requireNonNull(members, name));
        if (out.contains(null)) {
            throw new NullPointerException(name + " holds a null member: " + out);
        }
        return List.copyOf(out);
    }

    /**
     * Adds {@code learner} as a non-voting member: it receives the log (or a snapshot) but never votes or counts
     * towards a commit. Fails like {@link #changeMembership}, and with {@link IllegalArgumentException} if it is a
     * member already.
     *
     * @param learner the new member and its address; start it with {@link RaftNodeBuilder#join(boolean)}
     * @return the committed configuration
     * @throws NullPointerException if {@code learner} is null
     */
    public CompletableFuture<ClusterConfig> addLearner(Member learner) {
        Objects.requireNonNull(learner, "learner");
        return runtime.changeMembership(c -> {
            if (c.contains(learner.id())) {
                throw new IllegalArgumentException(learner.id() + " is a member already: " + c);
            }
            return ClusterConfig.of(members(c, c.voters()), plus(members(c, c.learners()), learner));
        });
    }

    /**
     * Adds {@code voter} as a voting member: as a learner first, promoted once it has caught up. Fails like
     * {@link #changeMembership}, and with {@link IllegalArgumentException} if it is a voter already.
     *
     * @param voter the new member and its address; start it with {@link RaftNodeBuilder#join(boolean)}
     * @return the committed configuration
     * @throws NullPointerException if {@code voter} is null
     */
    public CompletableFuture<ClusterConfig> addVoter(Member voter) {
        Objects.requireNonNull(voter, "voter");
        return runtime.changeMembership(c -> {
            if (c.voters().contains(voter.id())) {
                throw new IllegalArgumentException(voter.id() + " is a voter already: " + c);
            }
            return ClusterConfig.of(plus(members(c, c.voters()), voter),
                    members(c, c.learners()).stream().filter(m -> !m.id().equals(voter.id())).toList());
        });
    }

    /**
     * Makes the learner {@code id} a voter once it has caught up with the leader's log. Fails like
     * {@link #changeMembership}, and with {@link IllegalArgumentException} if {@code id} is not a learner.
     *
     * @param id the learner
     * @return the committed configuration
     * @throws NullPointerException if {@code id} is null
     */
    public CompletableFuture<ClusterConfig> promote(NodeId id) {
        Objects.requireNonNull(id, "id");
        return runtime.changeMembership(c -> {
            if (!c.learners().contains(id)) {
                throw new IllegalArgumentException(id + " is not a learner: " + c);
            }
            return ClusterConfig.of(plus(members(c, c.voters()), c.member(id).orElseThrow()),
                    members(c, c.learners()).stream().filter(m -> !m.id().equals(id)).toList());
        });
    }

    /**
     * Removes the member {@code id}, voter or learner. Removing the leader makes it step down once the change commits.
     * Fails like {@link #changeMembership}, and with {@link IllegalArgumentException} if {@code id} is not a member or
     * is the last voter.
     *
     * @param id the member to remove
     * @return the committed configuration
     * @throws NullPointerException if {@code id} is null
     */
    public CompletableFuture<ClusterConfig> removeMember(NodeId id) {
        Objects.requireNonNull(id, "id");
        return runtime.changeMembership(c -> {
            if (!c.contains(id)) {
                throw new IllegalArgumentException(id + " is not a member: " + c);
            }
            return ClusterConfig.of(members(c, c.voters()).stream().filter(m -> !m.id().equals(id)).toList(),
                    members(c, c.learners()).stream().filter(m -> !m.id().equals(id)).toList());
        });
    }

    private static List<Member> members(ClusterConfig c, Set<NodeId> ids) {
        return c.members().stream().filter(m -> ids.contains(m.id())).toList();
    }

    private static List<Member> plus(List<Member> list, Member m) {
        List<Member> out = new ArrayList<>(list);
        out.add(m);
        return out;
    }

    /**
     * Same as {@link #transferLeadership(NodeId)} with {@code NodeId.of(target)}: a target that is not a voter fails
     * the future, as there.
     *
     * @param target the id of the member to lead next
     * @return completes on the apply thread
     * @throws NullPointerException if {@code target} is null
     * @throws IllegalArgumentException if {@code target} is not a valid node id ({@link NodeId#of})
     */
    public CompletableFuture<Void> transferLeadership(String target) {
        return transferLeadership(NodeId.of(Objects.requireNonNull(target, "target")));
    }

    /**
     * Takes a snapshot of the state machine now (Raft thesis chapter 5), whatever the policy in {@link RaftOptions}
     * says, and compacts the log it covers. The future completes, on the apply thread, with the index the snapshot
     * covers once it is durable: the first snapshot that covers everything applied when this was called (at once,
     * with the existing snapshot's index, if nothing was applied since; after the one being written and one more,
     * at most, if a snapshot was being written meanwhile). It fails
     * with {@link UnsupportedOperationException} if the node has no {@link SnapshotStore} or its state machine does
     * not support snapshots, with {@link IllegalStateException} if nothing was applied yet, with
     * {@link RaftException} if writing fails (whatever the store or {@link StateSnapshot#writeTo} threw is its cause;
     * the next call or policy snapshot tries again), and with {@link RaftClosedException} or
     * {@link RaftFailedException} if the node is not running.
     * A {@link StateMachine#snapshot()} that throws fails the node, as {@code apply} does: it runs on the apply
     * thread, and the state it could not capture may be broken.
     *
     * @return the snapshot's index
     */
    public CompletableFuture<Long> takeSnapshot() {
        return runtime.takeSnapshot();
    }

    /**
     * Returns this node's role, term, leader, log indexes and, on a leader, each follower's progress. After the node
     * stopped, the state (CLOSED or FAILED) with the last role, term and indexes it had: look at the state first.
     * While {@link #start()} still recovers (restoring a large snapshot, say), the state is RUNNING with what the
     * storage holds: a follower with no leader and nothing applied.
     *
     * @return a snapshot
     * @throws RaftException if the running node does not answer within 5 seconds
     */
    public RaftStatus status() {
        return runtime.status();
    }

    /**
     * Returns the terms of the newest entries in this node's log (committed or not, never compacted ones), its commit
     * index and election timer, for monitoring: answered by the node loop from memory, like {@link #status()}.
     *
     * @param maxEntries how many entries at most, 0 to {@link #MAX_LOG_TAIL}
     * @return a snapshot
     * @throws IllegalArgumentException if {@code maxEntries} is out of range
     * @throws RaftException if the node is not running, or does not answer within 5 seconds
     */
    public LogTail logTail(int maxEntries) {
        if (maxEntries < 0 || maxEntries > MAX_LOG_TAIL) {
            throw new IllegalArgumentException("maxEntries must be 0 to " + MAX_LOG_TAIL + ": " + maxEntries);
        }
        return runtime.logTail(maxEntries);
    }

    /**
     * Returns this node's health for liveness and readiness probes (see {@link Health}): at once, without a round
     * trip to the node's loop, from what its threads last published. Callable at any time, also before start and
     * after close.
     *
     * @return the health
     */
    public Health health() {
        return runtime.health();
    }

    /**
     * Registers a listener for the node's events ({@link RaftEvent}); see {@link RaftListener} for threading.
     *
     * @param listener the listener
     * @throws NullPointerException if {@code listener} is null
     */
    public void addListener(RaftListener listener) {
        runtime.addListener(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Removes a listener registered with {@link #addListener}.
     *
     * @param listener the listener
     */
    public void removeListener(RaftListener listener) {
        runtime.removeListener(listener);
    }

    /**
     * Stops the node: pending requests fail ({@link IndeterminateResultException} for commands already appended,
     * {@link RaftClosedException} for the rest), the threads stop, and the transport and log storage are closed.
     * Idempotent; also releases a node that failed or was never started (while {@link #start()} runs on another
     * thread, it waits for it, then closes the node). Waits for the node to stop even on an interrupted thread
     * (the interrupt stays set), so the directory and port can be reused when it returns. When called from a callback
     * on the node's own apply thread, or from a {@link StateSnapshot#writeTo} on its snapshot thread, it returns
     * without waiting for the threads (they are what it would wait for), and so does {@link #status()} there. A
     * state machine call that does not return is waited for 10 seconds (a WARN names the thread): {@code close()}
     * then returns, and requests waiting for that apply fail only once the call returns; no state machine method is
     * called after it (the commands committed behind it fail with {@link IndeterminateResultException}).
     */
    @Override
    public void close() {
        runtime.close();
    }

    private void checkSize(byte[] data, String name) {
        Objects.requireNonNull(data, name);
        if (data.length > maxCommandBytes) {
            throw new IllegalArgumentException(name + " has " + data.length + " bytes, more than maxCommandBytes ("
                    + maxCommandBytes + ")");
        }
    }
}
