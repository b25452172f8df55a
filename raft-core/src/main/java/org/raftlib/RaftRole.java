package org.raftlib;

/** The role a member plays in its current term (Raft §5.1, thesis §9.6 for the pre-candidate). */
public enum RaftRole {
    /** Answers leaders and candidates; starts an election when it stops hearing from a leader. */
    FOLLOWER,
    /** Asks whether it could win an election before it raises its term (PreVote, thesis §9.6). */
    PRE_CANDIDATE,
    /** Has raised its term and asks for votes (Raft §5.2). */
    CANDIDATE,
    /** Accepts proposals and replicates the log (Raft §5.3). */
    LEADER
}
