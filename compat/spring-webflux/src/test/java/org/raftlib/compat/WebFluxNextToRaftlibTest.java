package org.raftlib.compat;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.raftlib.testkit.ClusterSmoke;
import org.raftlib.testkit.Relocation;
import org.raftlib.transport.netty.NettyTransport;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * raftlib inside a Spring Boot 4 WebFlux service (Reactor Netty, with the Netty version Spring Boot's BOM picks): the
 * service answers HTTP before and after a three-node raftlib cluster elects, replicates and survives losing its
 * leader in the same JVM.
 */
class WebFluxNextToRaftlibTest {

    /** The service: one route. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class Service {
        @Bean
        RouterFunction<ServerResponse> hello() {
            return RouterFunctions.route(RequestPredicates.GET("/hello"), r -> ServerResponse.ok().bodyValue("hello"));
        }
    }

    @Test
    void webFluxServesWhileARaftClusterRunsInTheSameJvm() throws Exception {
        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(Service.class)
                .web(WebApplicationType.REACTIVE)
                .properties("server.port=0", "server.address=127.0.0.1")
                .run()) {
            WebClient client = WebClient.create("http://127.0.0.1:" + app.getEnvironment()
                    .getProperty("local.server.port"));
            assertThat(get(client)).isEqualTo("hello");
            ClusterSmoke.threeNodes(() -> NettyTransport.builder().clusterId("compat-webflux").build(), 20);
            assertThat(get(client)).isEqualTo("hello");
        }
        Relocation.jarHoldsNoClassesUnder(NettyTransport.class, "io/netty/", "com/google/protobuf/");
        Relocation.nativeEpollLoadsOnLinux("org.raftshaded.io.netty.channel.epoll.Epoll");
    }

    private static String get(WebClient client) {
        return client.get().uri("/hello").retrieve().bodyToMono(String.class).block(Duration.ofSeconds(10));
    }
}
