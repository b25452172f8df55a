/**
 * Public API of the Netty transport: protobuf frames over TCP, with TLS, between raftlib nodes.
 */
package org.raftlib.transport.netty;
