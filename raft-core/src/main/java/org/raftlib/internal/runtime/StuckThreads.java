package org.raftlib.internal.runtime;

import java.util.List;

/** Says where a thread that a close gave up waiting for is stuck, for the WARN that names it. */
final class StuckThreads {

    private StuckThreads() {
    }

    /** The threads of {@code threads} still alive, with where each is; or what else the loop may wait for. */
    static String alive(List<Thread> threads) {
        StringBuilder b = new StringBuilder();
        for (Thread t : threads) {
            if (t.isAlive()) {
                b.append(b.length() == 0 ? "" : "; ").append("thread ").append(t.getName()).append(where(t));
            }
        }
        return b.length() == 0 ? "the snapshot threads or the transport" : b.toString();
    }

    /**
     * Returns {@code ": it is in <frame>"} for the innermost frame of {@code t} outside the JDK and raftlib (the
     * application's code it waits in), or of any frame if there is none; empty if {@code t} ended meanwhile.
     */
    static String where(Thread t) {
        StackTraceElement[] frames = t.getStackTrace();
        if (frames.length == 0) {
            return "";
        }
        for (StackTraceElement f : frames) {
            String c = f.getClassName();
            if (!c.startsWith("java.") && !c.startsWith("jdk.") && !c.startsWith("sun.")
                    && !c.startsWith("org.raftlib.")) {
                return ": it is in " + f;
            }
        }
        return ": it is in " + frames[0];
    }
}
