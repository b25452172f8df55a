/**
 * SPI for transport authors: the immutable records of every Raft RPC a {@link org.raftlib.Transport} carries.
 *
 * <p>Each record validates its fields in its constructor, so a transport that decodes bytes into these records
 * rejects malformed input (negative indexes, entries that do not follow {@code prevLogIndex}) before it reaches a node.
 * {@link org.raftlib.message.LogText} shows the strings a peer sent (cluster, group and node ids) in log lines and
 * exception messages.
 */
package org.raftlib.message;
