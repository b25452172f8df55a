package org.raftlib.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits on conditions with deadlines instead of fixed sleeps. */
public final class Await {

    private Await() {
    }

    /**
     * Polls {@code condition} every few milliseconds until it holds.
     *
     * @param what what is awaited, for the failure message
     * @param timeout the deadline
     * @param condition the condition
     * @throws AssertionError if the deadline passes first
     */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            pause();
        }
    }

    /**
     * Checks that {@code condition} holds throughout {@code period}, polling every few milliseconds: the opposite of
     * {@link #until}, for properties that must survive a stretch of time (a leader that must not lose its lease).
     *
     * @param what what must hold, for the failure message
     * @param period how long it must hold
     * @param condition the condition
     * @throws AssertionError as soon as it does not hold
     */
    public static void holdsFor(String what, Duration period, BooleanSupplier condition) {
        long end = System.nanoTime() + period.toNanos();
        while (System.nanoTime() - end < 0) {
            if (!condition.getAsBoolean()) {
                throw new AssertionError("stopped holding before " + period + " passed: " + what);
            }
            pause();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
