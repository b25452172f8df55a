package org.raftlib.internal.core;

import java.util.Objects;
import org.raftlib.ClusterConfig;

/**
 * A cluster configuration with the log index of the entry that holds it (0: the bootstrap configuration, in no
 * entry). A snapshot carries the one in force at its index, so every node reports a configuration by the same index
 * however far its log is compacted.
 *
 * @param config the configuration
 * @param index the index of its entry; 0 for the bootstrap configuration
 */
public record IndexedConfig(ClusterConfig config, long index) {

    /**
     * Checks the fields.
     *
     * @throws NullPointerException if {@code config} is null
     * @throws IllegalArgumentException if {@code index} is negative
     */
    public IndexedConfig {
        Objects.requireNonNull(config, "config");
        if (index < 0) {
            throw new IllegalArgumentException("configuration index " + index + " is negative");
        }
    }
}
