package org.raftlib.nemesis;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * One client of the key-value example's documented HTTP API that records every operation in a {@link History}: a
 * definite answer is OK or FAIL; a refused connection (nothing was sent) or an error answer carrying
 * {@code "applied": false} is REFUSED; a timeout, a connection lost after sending, or an answer that does not say
 * what happened (a 503 "may or may not have been applied", any other 5xx) is INFO (indeterminate). A read that gets
 * no answer is INFO too (the checker ignores it: a read changes nothing).
 */
final class KvClient {

    private final int id;
    private final History history;
    private final HttpClient http;
    private final Duration timeout;

    KvClient(int id, History history, Duration timeout) {
        this.id = id;
        this.history = history;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
    }

    Op put(URI node, String key, String value) {
        return call(node, Op.Kind.PUT, key, value, null, false);
    }

    Op get(URI node, String key) {
        return call(node, Op.Kind.GET, key, null, null, false);
    }

    /** A GET of this node's own state ({@code ?stale=true}). */
    Op localGet(URI node, String key) {
        return call(node, Op.Kind.GET, key, null, null, true);
    }

    Op delete(URI node, String key) {
        return call(node, Op.Kind.DELETE, key, null, null, false);
    }

    Op cas(URI node, String key, String expected, String value) {
        return call(node, Op.Kind.CAS, key, value, expected, false);
    }

    private Op call(URI node, Op.Kind kind, String key, String value, String expected, boolean local) {
        String path = "/kv/" + URLEncoder.encode(key, StandardCharsets.UTF_8) + (kind == Op.Kind.CAS ? "/cas" : "")
                + (local ? "?stale=true" : "");
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node + path)).timeout(timeout);
        switch (kind) {
            case PUT -> b.PUT(HttpRequest.BodyPublishers.ofString(value, StandardCharsets.UTF_8));
            case GET -> b.GET();
            case DELETE -> b.DELETE();
            case CAS -> b.POST(HttpRequest.BodyPublishers.ofString("{\"expected\":" + quote(expected) + ",\"new\":"
                    + quote(value) + "}", StandardCharsets.UTF_8));
        }
        History.Invocation inv = history.invoke();
        int status;
        boolean sent = true;
        Map<String, String> body;
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            status = r.statusCode();
            body = parse(r.body());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            status = 0;
            body = Map.of();
            sent = false;
        } catch (IOException e) {
            status = 0;
            body = Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = 0;
            body = Map.of();
        }
        long done = history.now();
        Op op = outcome(new Op(inv.id(), id, kind, key, value, kind == Op.Kind.CAS ? expected : null, inv.at(),
                done, Op.Outcome.INFO, null), done, sent ? status : -1, body);
        history.add(op);
        return op;
    }

    /**
     * The operation {@code asked} (recorded as INFO) with the outcome that {@code status} and {@code body} give;
     * {@code status} is 0 when the request may have been sent but no answer came, -1 when it was never sent.
     */
    private static Op outcome(Op asked, long done, int status, Map<String, String> body) {
        Op.Kind kind = asked.kind();
        Op.Outcome outcome = Op.Outcome.INFO;
        String result = null;
        if (status == 200 && body != null) {
            outcome = Op.Outcome.OK;
            result = kind == Op.Kind.GET ? body.get("value") : kind == Op.Kind.CAS ? null : body.get("previous");
        } else if (status == 404 && (kind == Op.Kind.GET || kind == Op.Kind.DELETE)) {
            outcome = Op.Outcome.OK;
        } else if (status == 409 && kind == Op.Kind.CAS && body != null && body.containsKey("current")) {
            outcome = Op.Outcome.FAIL;
            result = body.get("current");
        } else if (status == -1 || status >= 400 && body != null && "false".equals(body.get("applied"))) {
            outcome = Op.Outcome.REFUSED;
        }
        return new Op(asked.id(), asked.client(), kind, asked.key(), asked.value(), asked.expected(), asked.invoke(),
                done, outcome, result);
    }

    private static Map<String, String> parse(String body) {
        try {
            return FlatJson.parse(body);
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            return null;
        }
    }

    static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
