package org.raftlib.compat;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.StringValue;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.netty.util.Version;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.raftlib.testkit.ClusterSmoke;
import org.raftlib.testkit.Relocation;
import org.raftlib.transport.netty.NettyTransport;

/**
 * raftlib next to gRPC 1.85 on Netty 4.2 and protobuf 4.33 in one JVM: a gRPC server answers calls before, while
 * and after a three-node raftlib cluster elects, replicates and survives losing its leader.
 */
class GrpcNextToRaftlibTest {

    private static final String SERVICE = "compat.Echo";

    private static final MethodDescriptor<StringValue, StringValue> ECHO =
            MethodDescriptor.<StringValue, StringValue>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Echo"))
                    .setRequestMarshaller(ProtoUtils.marshaller(StringValue.getDefaultInstance()))
                    .setResponseMarshaller(ProtoUtils.marshaller(StringValue.getDefaultInstance()))
                    .build();

    @Test
    void grpcServesWhileARaftClusterRunsInTheSameJvm() throws Exception {
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .addService(ServerServiceDefinition.builder(SERVICE)
                        .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, response) -> {
                            response.onNext(StringValue.of("echo " + request.getValue()));
                            response.onCompleted();
                        }))
                        .build())
                .build()
                .start();
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        try {
            assertThat(call(channel, "before")).isEqualTo("echo before");
            ClusterSmoke.threeNodes(() -> NettyTransport.builder().clusterId("compat-grpc").build(), 20);
            assertThat(call(channel, "after")).isEqualTo("echo after");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void theServiceSeesOnlyItsOwnNettyAndProtobuf() throws Exception {
        assertThat(Version.identify().values()).allSatisfy(v -> assertThat(v.artifactVersion()).isEqualTo("4.2.18.Final"));
        assertThat(com.google.protobuf.RuntimeVersion.MINOR).isEqualTo(33);
        Relocation.jarHoldsNoClassesUnder(NettyTransport.class, "io/netty/", "com/google/protobuf/");
        Relocation.nativeEpollLoadsOnLinux("org.raftshaded.io.netty.channel.epoll.Epoll");
    }

    private static String call(ManagedChannel channel, String text) {
        return ClientCalls.blockingUnaryCall(channel, ECHO, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                StringValue.of(text)).getValue();
    }
}
