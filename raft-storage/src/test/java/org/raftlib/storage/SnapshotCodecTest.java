package org.raftlib.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.raftlib.ClusterConfig;
import org.raftlib.Member;
import org.raftlib.NodeId;
import org.raftlib.SnapshotMeta;
import org.raftlib.SnapshotStore;

/**
 * Snapshot header formats: version 4 (the cluster configuration and its entry's index), version 3 (without the
 * index), version 2 (voters only), and a damaged configuration.
 */
class SnapshotCodecTest {

    /** Where the encoded configuration starts in a version-4 header; its length is the int32 just before it. */
    private static final int CONFIG_AT = 60;

    /** A joint change from n1, n2, n3 to n2, n3, n4 with learner l1 (the first member in id order). */
    private static final ClusterConfig JOINT = new ClusterConfig(List.of(Member.of("n1", "10.0.0.1:7001"),
            Member.of("n2", "10.0.0.2:7001"), Member.of("n3", ""), Member.of("n4", "[::1]:7004"),
            Member.of("l1", "learner.example:7005")), ids("n2", "n3", "n4"), ids("n1", "n2", "n3"), ids("l1"));

    @TempDir
    Path dir;

    private static Set<NodeId> ids(String... ids) {
        return Stream.of(ids).map(NodeId::of).collect(Collectors.toSet());
    }

    private static SnapshotMeta commit(SnapshotStore store, long index, ClusterConfig config) throws IOException {
        try (SnapshotStore.Writer w = store.write(new SnapshotMeta(index, 2, config, index / 2, 0, 0))) {
            w.stream().write(FileSnapshotStoreTest.payload(index));
            return w.commit();
        }
    }

    private Path file(SnapshotMeta meta) {
        return dir.resolve(FileSnapshotStore.fileName(meta.index(), meta.term()));
    }

    private int formatVersion(SnapshotMeta meta) throws IOException {
        return ByteBuffer.wrap(Files.readAllBytes(file(meta))).getInt(4);
    }

    @Test
    void aJointConfigurationWithLearnersAndAddressesReadsBackEqual() throws IOException {
        FileSnapshotStore store = FileSnapshotStore.open(dir);

        SnapshotMeta committed = commit(store, 30, JOINT);

        assertThat(formatVersion(committed)).isEqualTo(SnapshotCodec.VERSION).isEqualTo(4);
        SnapshotMeta read = FileSnapshotStore.open(dir).latest().orElseThrow();
        assertThat(read).isEqualTo(committed);
        assertThat(read.configIndex()).isEqualTo(15);
        assertThat(read.config()).isEqualTo(JOINT);
        assertThat(read.config().isJoint()).isTrue();
        assertThat(read.config().learners()).containsExactly(NodeId.of("l1"));
        assertThat(read.config().member(NodeId.of("n4")).orElseThrow().address()).isEqualTo("[::1]:7004");
        assertThat(read.voters()).isEqualTo(ids("n1", "n2", "n3", "n4"));
        try (InputStream in = store.read(read)) {
            assertThat(in.readAllBytes()).isEqualTo(FileSnapshotStoreTest.payload(30));
        }
    }

    /** The bytes of a version-2 snapshot file, laid out exactly as the version-2 writer did. */
    private static byte[] version2File(long index, long term, long created, List<String> voters, byte[] payload) {
        List<byte[]> ids = voters.stream().sorted().map(v -> v.getBytes(StandardCharsets.UTF_8)).toList();
        int length = 56 + ids.stream().mapToInt(id -> Short.BYTES + id.length).sum();   // fixed fields and CRC: 56
        CRC32C crc = new CRC32C();
        crc.update(payload);
        ByteBuffer b = ByteBuffer.allocate(length + payload.length);
        b.putInt(SnapshotCodec.MAGIC).putInt(2).putInt(length).putLong(index).putLong(term).putLong(payload.length)
                .putLong(created).putInt((int) crc.getValue()).putInt(ids.size());
        for (byte[] id : ids) {
            b.putShort((short) id.length).put(id);
        }
        b.putInt(RecordCodec.checksum(b, 0, b.position())).put(payload);
        return b.array();
    }

    @Test
    void aVersion2FileIsReadAsAConfigurationOfItsVotersWithoutAddresses() throws IOException {
        FileSnapshotStore store = FileSnapshotStore.open(dir, 5);
        commit(store, 10, JOINT);
        byte[] payload = FileSnapshotStoreTest.payload(20);
        Files.write(dir.resolve(FileSnapshotStore.fileName(20, 4)),
                version2File(20, 4, 1_700_000_000_000L, List.of("n3", "node-é-1", "n1"), payload));

        SnapshotMeta latest = store.latest().orElseThrow();

        assertThat(latest.index()).isEqualTo(20);
        assertThat(latest.term()).isEqualTo(4);
        assertThat(latest.sizeBytes()).isEqualTo(payload.length);
        assertThat(latest.createdMillis()).isEqualTo(1_700_000_000_000L);
        assertThat(latest.config().voters()).isEqualTo(ids("n1", "n3", "node-é-1"));
        assertThat(latest.config()).isEqualTo(ClusterConfig.ofVoters(List.of(Member.of("n1", ""),
                Member.of("n3", ""), Member.of("node-é-1", ""))));
        try (InputStream in = store.read(latest)) {
            assertThat(in.readAllBytes()).isEqualTo(payload);
        }
        SnapshotMeta next = commit(store, 40, latest.config());
        assertThat(formatVersion(next)).as("always written in version 4").isEqualTo(4);
        assertThat(store.latest()).contains(next);
    }

    /**
     * A file of a format this release does not know whose header checksum holds was written by a newer release: not
     * damage (an operator rolls forward rather than replacing the member); the same with a broken checksum is damage.
     */
    @Test
    void aNewerFormatIsUnusableWhileABrokenVersionFieldIsDamage() throws IOException {
        FileSnapshotStore store = FileSnapshotStore.open(dir, 5);
        SnapshotMeta meta = commit(store, 30, JOINT);
        byte[] bytes = Files.readAllBytes(file(meta));
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int length = b.getInt(8);
        b.putInt(4, 5);
        Files.write(file(meta), bytes);
        assertThatThrownBy(() -> store.read(meta)).isInstanceOf(StorageException.class)
                .hasMessageContaining("checksum mismatch")
                .satisfies(e -> assertThat(((StorageException) e).isDamage()).isTrue());

        b.putInt(length - Integer.BYTES, RecordCodec.checksum(b, 0, length - Integer.BYTES));
        Files.write(file(meta), bytes);
        assertThatThrownBy(() -> store.read(meta)).isInstanceOf(StorageException.class)
                .hasMessageContaining("format version 5").hasMessageContaining("newer release")
                .satisfies(e -> assertThat(((StorageException) e).isDamage()).isFalse());
    }

    /** The bytes of a version-3 snapshot file: version 4 without the configuration's index. */
    private static byte[] version3File(long index, long term, ClusterConfig config, byte[] payload) {
        byte[] encoded = config.encode();
        int length = 52 + encoded.length + Integer.BYTES;
        CRC32C crc = new CRC32C();
        crc.update(payload);
        ByteBuffer b = ByteBuffer.allocate(length + payload.length);
        b.putInt(SnapshotCodec.MAGIC).putInt(3).putInt(length).putLong(index).putLong(term).putLong(payload.length)
                .putLong(0).putInt((int) crc.getValue()).putInt(encoded.length).put(encoded);
        b.putInt(RecordCodec.checksum(b, 0, b.position())).put(payload);
        return b.array();
    }

    @Test
    void aVersion3FileIsReadWithItsConfigurationAtTheSnapshotsIndex() throws IOException {
        FileSnapshotStore store = FileSnapshotStore.open(dir, 5);
        byte[] payload = FileSnapshotStoreTest.payload(20);
        Files.write(dir.resolve(FileSnapshotStore.fileName(20, 4)), version3File(20, 4, JOINT, payload));

        SnapshotMeta latest = store.latest().orElseThrow();

        assertThat(latest.index()).isEqualTo(20);
        assertThat(latest.config()).isEqualTo(JOINT);
        assertThat(latest.configIndex()).as("not recorded: the snapshot's index, as before").isEqualTo(20);
        try (InputStream in = store.read(latest)) {
            assertThat(in.readAllBytes()).isEqualTo(payload);
        }
    }

    static Stream<Arguments> configDamage() {
        return Stream.of(
                damage("unknown encoding version", b -> b.put(CONFIG_AT, (byte) 9), "encoding version 9"),
                damage("one member more", b -> b.putInt(CONFIG_AT + 1, b.getInt(CONFIG_AT + 1) + 1), "truncated"),
                damage("no role", b -> b.put(CONFIG_AT + 5, (byte) 0), "bad role flags 0"),
                damage("unknown role", b -> b.put(CONFIG_AT + 5, (byte) 12), "bad role flags 12"),
                damage("learner and voter", b -> b.put(CONFIG_AT + 5, (byte) 5), "both a voter and a learner"),
                damage("id length", b -> b.putShort(CONFIG_AT + 6, (short) 0x7fff), "bad string length"),
                damage("invalid id", b -> b.put(CONFIG_AT + 8, (byte) ' '), "whitespace"));
    }

    private static Arguments damage(String name, Consumer<ByteBuffer> change, String message) {
        return Arguments.of(name, change, message);
    }

    /** Only the configuration is damaged: the header checksum is recomputed over the changed bytes. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("configDamage")
    void aHeaderWhoseConfigurationDoesNotDecodeIsSkipped(String name, Consumer<ByteBuffer> change, String message)
            throws IOException {
        FileSnapshotStore store = FileSnapshotStore.open(dir, 5);
        ClusterConfig plain = ClusterConfig.ofVoters(List.of(Member.of("n1", "a:1"), Member.of("n2", "b:2")));
        SnapshotMeta older = commit(store, 10, plain);
        SnapshotMeta damaged = commit(store, 20, JOINT);
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file(damaged)));
        int headerLength = bytes.getInt(8);
        assertThat(bytes.getInt(CONFIG_AT - Integer.BYTES)).isEqualTo(JOINT.encode().length);
        change.accept(bytes);
        bytes.putInt(headerLength - Integer.BYTES, RecordCodec.checksum(bytes, 0, headerLength - Integer.BYTES));
        Files.write(file(damaged), bytes.array());

        assertThat(store.latest()).contains(older);
        assertThat(store.latest().orElseThrow().config()).isEqualTo(plain);
        assertThatThrownBy(() -> store.read(damaged)).isInstanceOf(StorageException.class)
                .hasMessageContaining("cluster configuration of " + JOINT.encode().length + " bytes")
                .hasMessageContaining("does not decode").hasMessageContaining(message);
    }

    @Test
    void aConfigurationLengthThatDoesNotEndAtTheChecksumIsRejected() throws IOException {
        FileSnapshotStore store = FileSnapshotStore.open(dir);
        SnapshotMeta meta = commit(store, 20, JOINT);
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file(meta)));
        int headerLength = bytes.getInt(8);
        bytes.putInt(CONFIG_AT - Integer.BYTES, JOINT.encode().length - 1);
        bytes.putInt(headerLength - Integer.BYTES, RecordCodec.checksum(bytes, 0, headerLength - Integer.BYTES));
        Files.write(file(meta), bytes.array());

        assertThat(store.latest()).isEmpty();
        assertThatThrownBy(() -> store.read(meta)).isInstanceOf(StorageException.class)
                .hasMessageContaining("does not end at the checksum");
    }

    @Test
    void aConfigurationTooLargeForAHeaderIsRefusedBeforeAnythingIsWritten() throws IOException {
        FileSnapshotStore store = FileSnapshotStore.open(dir);
        List<Member> members = new ArrayList<>();
        IntStream.range(0, 40).forEach(i -> members.add(Member.of("n" + i, "h".repeat(30_000))));
        SnapshotMeta meta = new SnapshotMeta(5, 1, ClusterConfig.ofVoters(members), 0, 0, 0);

        assertThatThrownBy(() -> store.write(meta)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("40 members").hasMessageContaining("more than " + SnapshotCodec.MAX_HEADER_BYTES);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }
}
