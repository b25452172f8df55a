package org.raftlib.testkit;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.util.List;
import java.util.jar.JarFile;

/**
 * Checks on a packaged jar that relocates third-party libraries (raft-transport-netty bundles Netty and protobuf
 * under {@code org.raftshaded}), for the compatibility tests that run next to other versions of them.
 */
public final class Relocation {

    private Relocation() {
    }

    /**
     * Checks that the jar holding {@code type} contains no class under any of {@code forbiddenPrefixes}.
     *
     * @param type a class of the jar, for example {@code NettyTransport.class}
     * @param forbiddenPrefixes entry prefixes such as {@code "io/netty/"}
     * @throws AssertionError if {@code type} was not loaded from a jar (run {@code mvn verify}, which packages it
     *     first) or the jar holds such a class
     * @throws IOException if the jar cannot be read
     */
    public static void jarHoldsNoClassesUnder(Class<?> type, String... forbiddenPrefixes) throws IOException {
        File file;
        try {
            file = new File(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        if (!file.isFile()) {
            throw new AssertionError(type.getName() + " was loaded from " + file + ", not from its packaged jar: "
                    + "the compatibility tests need `mvn verify` (or package), which relocates its dependencies");
        }
        try (JarFile jar = new JarFile(file)) {
            List<String> leaked = jar.stream().map(e -> e.getName())
                    .filter(n -> n.endsWith(".class") && List.of(forbiddenPrefixes).stream().anyMatch(n::startsWith))
                    .limit(5).toList();
            if (!leaked.isEmpty()) {
                throw new AssertionError(file + " holds unrelocated classes, for example " + leaked);
            }
        }
    }

    /**
     * On Linux x86-64 checks that the relocated Netty loads its native epoll library; elsewhere does nothing.
     *
     * @param epollClass the relocated name of Netty's {@code Epoll} class
     * @throws AssertionError if it does not load where it should
     * @throws ReflectiveOperationException if the class is missing
     */
    public static void nativeEpollLoadsOnLinux(String epollClass) throws ReflectiveOperationException {
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return;
        }
        Class<?> epoll = Class.forName(epollClass);
        if (!(Boolean) epoll.getMethod("isAvailable").invoke(null)) {
            throw new AssertionError("relocated native epoll unavailable: "
                    + epoll.getMethod("unavailabilityCause").invoke(null));
        }
    }
}
