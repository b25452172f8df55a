package org.raftlib.examples.kv;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;

/**
 * Sends an answer on the JDK's {@code HttpServer} so that a client gone before it leaves nothing behind. The body is
 * written without closing its stream, then the exchange is closed: closing the stream after a failed write marks it
 * closed, and the exchange's close then skips the connection (JDK 17), which kept a descriptor and a connection object
 * per client that hung up early (an outside probe: about 30 a minute per node under a probing load balancer).
 */
final class HttpBodies {

    private HttpBodies() {
    }

    /**
     * Sends the status, then {@code body} unless {@code head}; closes the exchange in every case.
     *
     * @throws IOException if the client is gone (the connection is closed)
     */
    static void send(HttpExchange exchange, int status, byte[] body, boolean head) throws IOException {
        try {
            exchange.sendResponseHeaders(status, head ? -1 : body.length);
            if (!head) {
                exchange.getResponseBody().write(body);
            }
        } finally {
            exchange.close();
        }
    }
}
