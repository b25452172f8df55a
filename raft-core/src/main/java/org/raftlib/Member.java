package org.raftlib;

import java.util.Objects;

/**
 * A member of a Raft group: its id and the address its transport listens on.
 *
 * @param id the member's id
 * @param address where its transport is reached, for example {@code "127.0.0.1:7001"}; transports that need no
 *     address (such as {@link org.raftlib.local.LocalTransport}) ignore it
 */
public record Member(NodeId id, String address) {

    /**
     * Checks the member.
     *
     * @throws NullPointerException if an argument is null
     */
    public Member {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(address, "address");
    }

    /**
     * Returns a member.
     *
     * @param id the id, see {@link NodeId}
     * @param address the address
     * @return the member
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code id} is not a valid {@link NodeId}
     */
    public static Member of(String id, String address) {
        return new Member(NodeId.of(id), address);
    }
}
