package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.raftlib.Bytes;
import org.raftlib.EntryType;
import org.raftlib.NodeId;
import org.raftlib.message.ForwardProposal;
import org.raftlib.message.ForwardProposalResponse;

/**
 * The leader's answers to forwarded proposals: a duplicate gets the first answer again, and the answers of removed
 * members are dropped (an outside leak probe: a leader kept 16,384 answers, about 8 MB, per member ever replaced).
 */
class ForwardedAnswersTest {

    private static final NodeId LEADER = NodeId.of("n1");

    private static ForwardProposalResponse answer(String to, long requestId) {
        return new ForwardProposalResponse(LEADER, NodeId.of(to), 1, requestId,
                ForwardProposalResponse.Outcome.APPENDED, requestId, 1);
    }

    private static ForwardProposal proposal(String from, long requestId) {
        return new ForwardProposal(NodeId.of(from), LEADER, 1, requestId, EntryType.COMMAND, Bytes.wrap(new byte[1]));
    }

    @Test
    void aDuplicateGetsTheFirstAnswerAndRemovedMembersAnswersAreDropped() {
        ForwardedAnswers answers = new ForwardedAnswers();
        for (String follower : new String[] {"n2", "x1", "x2"}) {
            for (long r = 1; r <= 100; r++) {
                answers.remember(answer(follower, r));
            }
        }
        assertThat(answers.previous(proposal("x1", 7))).isEqualTo(answer("x1", 7));
        assertThat(answers.previous(proposal("x1", 101))).isNull();

        answers.retainMembers(Set.of(NodeId.of("n2"), NodeId.of("n3"))::contains);

        assertThat(answers.followers()).isEqualTo(1);
        assertThat(answers.previous(proposal("x1", 7))).isNull();
        assertThat(answers.previous(proposal("n2", 7))).isEqualTo(answer("n2", 7));
    }
}
