package org.raftlib;

import java.util.Optional;

/**
 * A {@link NotLeaderException} from a node that knows it is no longer a member: the latest configuration it holds
 * leaves it out (it was removed). The request was refused (a command not appended, a read not served), and retrying
 * on this node cannot help: send it to
 * another member, or close this node. A client session ({@link RaftNode#openSession()}) retries a
 * {@code NotLeaderException} until its timeout, but not this one.
 */
public class NotMemberException extends NotLeaderException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param self the node that refused
     * @param configurationIndex the index of the configuration that leaves it out
     */
    public NotMemberException(NodeId self, long configurationIndex) {
        super(self + " is not a member of the configuration at index " + configurationIndex
                + " (it was removed); the request was refused here, send it to a member", Optional.empty());
    }
}
