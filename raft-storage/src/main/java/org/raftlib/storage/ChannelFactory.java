package org.raftlib.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;

/**
 * Opens every {@link FileChannel} the storage uses. The seam through which tests inject write and fsync failures;
 * production code uses {@link #DEFAULT}.
 */
@FunctionalInterface
interface ChannelFactory {

    /** Opens channels with {@link FileChannel#open(Path, Set, java.nio.file.attribute.FileAttribute[])}. */
    ChannelFactory DEFAULT = FileChannel::open;

    /** Opens {@code path} with {@code options}. */
    FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException;
}
