/**
 * Public API of the example: a replicated key-value store on raftlib, with an HTTP/JSON server per node
 * ({@link org.raftlib.examples.kv.KvServer}), a node main ({@link org.raftlib.examples.kv.KvNode}), a local
 * three-process launcher ({@link org.raftlib.examples.kv.KvCluster}) and a command-line client
 * ({@link org.raftlib.examples.kv.KvCli}), all reachable through {@link org.raftlib.examples.kv.Main}.
 */
package org.raftlib.examples.kv;
