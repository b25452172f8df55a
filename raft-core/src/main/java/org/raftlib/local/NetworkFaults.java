package org.raftlib.local;

import java.time.Duration;
import java.util.Objects;

/**
 * Random faults a {@link LocalTransport} hub injects into every message it carries: drops, duplicates, reordering
 * and delays. Immutable; build one with {@link #builder()}. The hub draws every decision from one generator seeded
 * at {@link LocalTransport#hub(long, NetworkFaults)}, so a seed and the order of sends reproduce the same faults.
 *
 * <p>With {@link #none()} the hub delivers every message, in the order sent on each link.
 *
 * <p>Thread-safe: instances never change.
 */
public final class NetworkFaults {

    private static final NetworkFaults NONE = builder().build();

    private final double dropRate;
    private final double duplicateRate;
    private final double reorderRate;
    private final Duration reorderWindow;
    private final Duration minDelay;
    private final Duration maxDelay;

    private NetworkFaults(Builder b) {
        this.dropRate = b.dropRate;
        this.duplicateRate = b.duplicateRate;
        this.reorderRate = b.reorderRate;
        this.reorderWindow = b.reorderWindow;
        this.minDelay = b.minDelay;
        this.maxDelay = b.maxDelay;
    }

    /** Returns the faults that inject nothing: every message delivered at once, in order per link. */
    public static NetworkFaults none() {
        return NONE;
    }

    /** Returns a builder that starts from {@link #none()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns the probability, in {@code [0, 1]}, that a message is dropped. */
    public double dropRate() {
        return dropRate;
    }

    /** Returns the probability, in {@code [0, 1]}, that a delivered message is delivered twice. */
    public double duplicateRate() {
        return duplicateRate;
    }

    /** Returns the probability, in {@code [0, 1]}, that a message is held back so that later ones may overtake it. */
    public double reorderRate() {
        return reorderRate;
    }

    /** Returns the longest extra delay of a message chosen for reordering. */
    public Duration reorderWindow() {
        return reorderWindow;
    }

    /** Returns the shortest delay of every message. */
    public Duration minDelay() {
        return minDelay;
    }

    /** Returns the longest delay of every message; at least {@link #minDelay()}. */
    public Duration maxDelay() {
        return maxDelay;
    }

    /** Returns {@code true} if these faults can change the order of messages on a link. */
    public boolean canReorder() {
        return reorderRate > 0 || maxDelay.compareTo(minDelay) > 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NetworkFaults f && dropRate == f.dropRate && duplicateRate == f.duplicateRate
                && reorderRate == f.reorderRate && reorderWindow.equals(f.reorderWindow)
                && minDelay.equals(f.minDelay) && maxDelay.equals(f.maxDelay);
    }

    @Override
    public int hashCode() {
        return Objects.hash(dropRate, duplicateRate, reorderRate, reorderWindow, minDelay, maxDelay);
    }

    @Override
    public String toString() {
        return "NetworkFaults[drop=" + dropRate + ", duplicate=" + duplicateRate + ", reorder=" + reorderRate
                + " within " + reorderWindow + ", delay=" + minDelay + ".." + maxDelay + "]";
    }

    /** Builds {@link NetworkFaults}; each setter checks its own argument. Not thread-safe. */
    public static final class Builder {

        private double dropRate;
        private double duplicateRate;
        private double reorderRate;
        private Duration reorderWindow = Duration.ofMillis(5);
        private Duration minDelay = Duration.ZERO;
        private Duration maxDelay = Duration.ZERO;

        private Builder() {
        }

        /**
         * Sets the probability that a message is dropped.
         *
         * @param rate in {@code [0, 1]}
         * @return this builder
         * @throws IllegalArgumentException if {@code rate} is outside {@code [0, 1]}
         */
        public Builder dropRate(double rate) {
            this.dropRate = probability(rate, "dropRate");
            return this;
        }

        /**
         * Sets the probability that a delivered message is delivered a second time.
         *
         * @param rate in {@code [0, 1]}
         * @return this builder
         * @throws IllegalArgumentException if {@code rate} is outside {@code [0, 1]}
         */
        public Builder duplicateRate(double rate) {
            this.duplicateRate = probability(rate, "duplicateRate");
            return this;
        }

        /**
         * Sets the probability that a message is held back by a random extra delay of up to {@code window}, so that
         * messages sent after it on the same link may overtake it.
         *
         * @param rate in {@code [0, 1]}
         * @param window the longest extra delay; positive
         * @return this builder
         * @throws IllegalArgumentException if {@code rate} is outside {@code [0, 1]} or {@code window} is not positive
         * @throws NullPointerException if {@code window} is null
         */
        public Builder reorder(double rate, Duration window) {
            Objects.requireNonNull(window, "window");
            if (window.isNegative() || window.isZero()) {
                throw new IllegalArgumentException("reorder window must be positive: " + window);
            }
            this.reorderRate = probability(rate, "reorderRate");
            this.reorderWindow = window;
            return this;
        }

        /**
         * Sets the shortest delay of every message.
         *
         * @param delay zero or positive
         * @return this builder
         * @throws IllegalArgumentException if {@code delay} is negative
         * @throws NullPointerException if {@code delay} is null
         */
        public Builder minDelay(Duration delay) {
            this.minDelay = nonNegative(delay, "minDelay");
            return this;
        }

        /**
         * Sets the longest delay of every message; each message waits a uniformly random time between the minimum
         * and this maximum, so different delays reorder messages.
         *
         * @param delay zero or positive
         * @return this builder
         * @throws IllegalArgumentException if {@code delay} is negative
         * @throws NullPointerException if {@code delay} is null
         */
        public Builder maxDelay(Duration delay) {
            this.maxDelay = nonNegative(delay, "maxDelay");
            return this;
        }

        /**
         * Returns the faults.
         *
         * @return the immutable faults
         * @throws IllegalArgumentException if {@code maxDelay} is less than {@code minDelay}
         */
        public NetworkFaults build() {
            if (maxDelay.compareTo(minDelay) < 0) {
                throw new IllegalArgumentException("maxDelay (" + maxDelay + ") must be at least minDelay ("
                        + minDelay + ")");
            }
            return new NetworkFaults(this);
        }

        private static double probability(double rate, String name) {
            if (!(rate >= 0.0 && rate <= 1.0)) {
                throw new IllegalArgumentException(name + " must be in [0, 1]: " + rate);
            }
            return rate;
        }

        private static Duration nonNegative(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative: " + d);
            }
            return d;
        }
    }
}
