package org.raftlib.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.raftlib.LogStorage;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.Transport;
import org.raftlib.storage.FileLogStorage;
import org.raftlib.testkit.Ports;
import org.raftlib.testkit.RaftNodeContract;
import org.raftlib.transport.netty.NettyTransport;

/** {@link RaftNodeContract} over {@link NettyTransport} on 127.0.0.1 and {@link FileLogStorage} in temp dirs. */
class NettyFileRaftNodeTest extends RaftNodeContract {

    @TempDir
    Path dir;

    @Override
    protected List<Member> members(int n) {
        List<Member> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(Member.of("n" + i, "127.0.0.1:" + Ports.freeLoopbackPort()));
        }
        return out;
    }


    @Override
    protected Transport transport(NodeId id) {
        return NettyTransport.builder().clusterId("contract").build();
    }

    @Override
    protected LogStorage openStorage(NodeId id) throws IOException {
        return FileLogStorage.open(dir.resolve(id.value()));
    }
}
