/**
 * Public API of raftlib: build a {@code RaftNode}, implement a state machine, and plug in storage and a transport.
 *
 * <p>Everything a user of the library touches lives in this package; the message records that transport authors
 * need form the SPI package {@link org.raftlib.message}.
 */
package org.raftlib;
