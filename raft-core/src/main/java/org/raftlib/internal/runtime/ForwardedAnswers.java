package org.raftlib.internal.runtime;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.raftlib.NodeId;
import org.raftlib.message.ForwardProposal;
import org.raftlib.message.ForwardProposalResponse;

/**
 * The answers this node gave to recent forwarded proposals, per follower: a transport may deliver a message twice
 * (see {@link org.raftlib.Transport}), and a duplicated {@link ForwardProposal} must get the first answer again, not
 * be appended a second time. Keeps the last {@value #PER_FOLLOWER} answers of each follower (a follower has at most
 * {@code maxPendingRequests} proposals in flight). Confined to the loop thread.
 */
final class ForwardedAnswers {

    static final int PER_FOLLOWER = 16_384;

    private final Map<NodeId, LinkedHashMap<Long, ForwardProposalResponse>> answers = new HashMap<>();

    /** Returns the answer already given to {@code m}, or null if it is new. */
    ForwardProposalResponse previous(ForwardProposal m) {
        LinkedHashMap<Long, ForwardProposalResponse> given = answers.get(m.from());
        return given == null ? null : given.get(m.requestId());
    }

    /**
     * Forgets the answers given to nodes {@code member} no longer accepts (members removed; a proposal forwarded by
     * a non-member is refused anyway), so that replacing members under new ids does not keep the old ids' answers.
     */
    void retainMembers(Predicate<NodeId> member) {
        answers.keySet().removeIf(id -> !member.test(id));
    }

    /** Returns how many followers have answers kept; for tests. */
    int followers() {
        return answers.size();
    }

    /** Remembers {@code answer}, given to the proposal it answers. */
    void remember(ForwardProposalResponse answer) {
        answers.computeIfAbsent(answer.to(), k -> new LinkedHashMap<>(256, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, ForwardProposalResponse> eldest) {
                return size() > PER_FOLLOWER;
            }
        }).put(answer.requestId(), answer);
    }
}
