package org.raftlib;

/** What a log entry carries. The code is the stable on-disk and on-wire representation. */
public enum EntryType {
    /** A user command, handed to {@link StateMachine#apply}. */
    COMMAND((byte) 1),
    /** The empty entry a new leader appends in its term (Raft §8); never reaches the state machine. */
    NO_OP((byte) 2),
    /** A membership configuration; reserved for membership changes. */
    CONFIGURATION((byte) 3),
    /**
     * A command of a client session (exactly-once, Raft thesis §6.3): a session header the leader stamped with its
     * clock, and the command; raftlib's session table deduplicates it before {@link StateMachine#apply}.
     */
    SESSION((byte) 4);

    private final byte code;

    EntryType(byte code) {
        this.code = code;
    }

    /** Returns the stable one-byte code of this type. */
    public byte code() {
        return code;
    }

    /**
     * Returns the type with {@code code}.
     *
     * @param code a code returned by {@link #code()}
     * @return the type
     * @throws IllegalArgumentException if no type has that code
     */
    public static EntryType fromCode(byte code) {
        for (EntryType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown entry type code " + code);
    }
}
