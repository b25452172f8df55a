package org.raftlib.internal.core;

import java.util.StringJoiner;
import org.raftlib.LogEntry;
import org.raftlib.message.AppendEntries;
import org.raftlib.message.AppendEntriesResponse;
import org.raftlib.message.ForwardProposal;
import org.raftlib.message.ForwardProposalResponse;
import org.raftlib.message.InstallSnapshot;
import org.raftlib.message.InstallSnapshotResponse;
import org.raftlib.message.RaftMessage;
import org.raftlib.message.ReadIndexRequest;
import org.raftlib.message.ReadIndexResponse;
import org.raftlib.message.RequestVote;
import org.raftlib.message.RequestVoteResponse;
import org.raftlib.message.TimeoutNow;

/**
 * One compact, stable text form per message, for golden files and DEBUG logs, for example
 * {@code n1->n2 AppendEntries term=3 prev=2/7 commit=6 entries=[3/8 3/9]} (term/index pairs).
 */
public final class MessageFormat {

    private MessageFormat() {
    }

    /**
     * Describes {@code m}.
     *
     * @param m the message
     * @return its text form
     */
    public static String describe(RaftMessage m) {
        String head = m.from() + "->" + m.to() + " ";
        switch (m.type()) {
            case REQUEST_VOTE: {
                RequestVote v = (RequestVote) m;
                return head + (v.preVote() ? "PreVote" : "RequestVote") + " term=" + v.term() + " last="
                        + v.lastLogTerm() + "/" + v.lastLogIndex() + (v.leadershipTransfer() ? " transfer" : "");
            }
            case REQUEST_VOTE_RESPONSE: {
                RequestVoteResponse r = (RequestVoteResponse) m;
                return head + (r.preVote() ? "PreVoteResponse" : "RequestVoteResponse") + " term=" + r.term()
                        + (r.voteGranted() ? " granted" : " rejected");
            }
            case APPEND_ENTRIES:
                return head + describeAppend((AppendEntries) m);
            case APPEND_ENTRIES_RESPONSE: {
                AppendEntriesResponse r = (AppendEntriesResponse) m;
                return head + "AppendEntriesResponse term=" + r.term() + (r.success() ? " match=" + r.matchIndex()
                        : " rejected=" + r.rejectedIndex() + " hint=" + r.conflictTerm() + "/" + r.conflictIndex())
                        + readSeq(r.readSeq());
            }
            case INSTALL_SNAPSHOT: {
                InstallSnapshot s = (InstallSnapshot) m;
                return head + "InstallSnapshot term=" + s.term() + " last=" + s.lastIncludedTerm() + "/"
                        + s.lastIncludedIndex() + " offset=" + s.offset() + " bytes=" + s.data().length()
                        + (s.done() ? " done" : "");
            }
            case INSTALL_SNAPSHOT_RESPONSE: {
                InstallSnapshotResponse r = (InstallSnapshotResponse) m;
                return head + "InstallSnapshotResponse term=" + r.term() + " last=" + r.lastIncludedIndex()
                        + " next=" + r.nextOffset() + (r.success() ? "" : " rejected");
            }
            case TIMEOUT_NOW:
                return head + "TimeoutNow term=" + ((TimeoutNow) m).term();
            case READ_INDEX_REQUEST: {
                ReadIndexRequest r = (ReadIndexRequest) m;
                return head + "ReadIndexRequest id=" + r.requestId() + (r.lease() ? " lease" : "");
            }
            case READ_INDEX_RESPONSE: {
                ReadIndexResponse r = (ReadIndexResponse) m;
                return head + "ReadIndexResponse id=" + r.requestId() + (r.accepted() ? " index=" + r.readIndex()
                        : " refused");
            }
            case FORWARD_PROPOSAL: {
                ForwardProposal p = (ForwardProposal) m;
                return head + "ForwardProposal id=" + p.requestId() + " " + p.entryType() + " "
                        + p.data().length() + "B";
            }
            case FORWARD_PROPOSAL_RESPONSE: {
                ForwardProposalResponse r = (ForwardProposalResponse) m;
                return head + "ForwardProposalResponse id=" + r.requestId() + " " + r.outcome() + " at "
                        + r.entryTerm() + "/" + r.index();
            }
            default:
                throw new IllegalStateException("no format for " + m.type());
        }
    }

    private static String describeAppend(AppendEntries a) {
        StringJoiner entries = new StringJoiner(" ", "[", "]");
        for (LogEntry e : a.entries()) {
            entries.add(describe(e));
        }
        return "AppendEntries term=" + a.term() + " prev=" + a.prevLogTerm() + "/" + a.prevLogIndex() + " commit="
                + a.leaderCommit() + " entries=" + entries + readSeq(a.readSeq());
    }

    /** Printed only once a leader has started ReadIndex rounds, so golden files without reads stay unchanged. */
    private static String readSeq(long seq) {
        return seq == 0 ? "" : " read=" + seq;
    }

    /**
     * Describes an entry as {@code term/index}, with a suffix for non-command entries.
     *
     * @param e the entry
     * @return its text form
     */
    public static String describe(LogEntry e) {
        return switch (e.type()) {
            case COMMAND -> e.term() + "/" + e.index();
            case NO_OP -> e.term() + "/" + e.index() + ":noop";
            case CONFIGURATION -> e.term() + "/" + e.index() + ":config";
            case SESSION -> e.term() + "/" + e.index() + ":session";
        };
    }
}
