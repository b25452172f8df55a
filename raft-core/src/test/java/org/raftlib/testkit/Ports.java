package org.raftlib.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Free loopback ports for tests, never the same one twice in a JVM: the kernel may hand a just-closed ephemeral port
 * out again, and two members given the same address fail the builder's check.
 */
public final class Ports {

    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private Ports() {
    }

    /**
     * Returns a port on 127.0.0.1 that was free a moment ago and that this JVM has not handed out before.
     *
     * @return the port
     * @throws UncheckedIOException if no socket can be opened
     */
    public static int freeLoopbackPort() {
        while (true) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
