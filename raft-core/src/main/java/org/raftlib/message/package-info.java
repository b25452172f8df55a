/**
 * SPI for transport authors: the immutable records of every Raft RPC a {@link org.raftlib.Transport} carries.
 *
 * <p>Each record validates its fields in its constructor, so a transport that decodes bytes into these records
 * rejects malformed input (negative indexes, entries that do not follow {@code prevLogIndex}) before it reaches a node.
 */
package org.raftlib.message;
