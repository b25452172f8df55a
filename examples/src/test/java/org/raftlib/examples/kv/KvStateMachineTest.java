package org.raftlib.examples.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class KvStateMachineTest {

    private final KvStateMachine sm = new KvStateMachine();
    private long index;

    private KvResult apply(KvCommand c) {
        return KvResult.decode(sm.apply(++index, c.encode()));
    }

    private KvResult get(String key) {
        return KvResult.decode(sm.query(KvCommand.get(key).encode()));
    }

    private static KvResult ok(String value) {
        return new KvResult(KvResult.Status.OK, Optional.ofNullable(value));
    }

    private static final KvResult NOT_FOUND = new KvResult(KvResult.Status.NOT_FOUND, Optional.empty());

    @Test
    void putReturnsThePreviousValueAndGetSeesTheNewOne() {
        assertThat(apply(KvCommand.put("a", "1"))).isEqualTo(ok(null));
        assertThat(apply(KvCommand.put("a", "2"))).isEqualTo(ok("1"));
        assertThat(get("a")).isEqualTo(ok("2"));
        assertThat(get("b")).isEqualTo(NOT_FOUND);
    }

    @Test
    void deleteReturnsTheRemovedValueOrNotFound() {
        apply(KvCommand.put("a", "1"));
        assertThat(apply(KvCommand.delete("a"))).isEqualTo(ok("1"));
        assertThat(apply(KvCommand.delete("a"))).isEqualTo(NOT_FOUND);
        assertThat(get("a")).isEqualTo(NOT_FOUND);
    }

    @Test
    void casStoresOnlyWhenTheExpectationHolds() {
        assertThat(apply(KvCommand.cas("a", Optional.empty(), "1"))).isEqualTo(ok(null));
        assertThat(apply(KvCommand.cas("a", Optional.empty(), "x")))
                .isEqualTo(new KvResult(KvResult.Status.CAS_FAILED, Optional.of("1")));
        assertThat(apply(KvCommand.cas("a", Optional.of("0"), "x")))
                .isEqualTo(new KvResult(KvResult.Status.CAS_FAILED, Optional.of("1")));
        assertThat(apply(KvCommand.cas("a", Optional.of("1"), "2"))).isEqualTo(ok("1"));
        assertThat(get("a")).isEqualTo(ok("2"));
        assertThat(apply(KvCommand.cas("missing", Optional.of("1"), "2")))
                .isEqualTo(new KvResult(KvResult.Status.CAS_FAILED, Optional.empty()));
    }

    @Test
    void malformedCommandYieldsAnErrorAndChangesNothing() {
        apply(KvCommand.put("a", "1"));
        KvResult r = KvResult.decode(sm.apply(++index, new byte[] {1, 2, 0}));
        assertThat(r.status()).isEqualTo(KvResult.Status.ERROR);
        assertThat(r.value()).hasValueSatisfying(v -> assertThat(v).startsWith("malformed command:"));
        assertThat(KvResult.decode(sm.apply(++index, new byte[0])).status()).isEqualTo(KvResult.Status.ERROR);
        assertThat(sm.size()).isEqualTo(1);
        assertThat(get("a")).isEqualTo(ok("1"));
    }

    @Test
    void queryRefusesWritesAndMalformedRequests() {
        assertThat(KvResult.decode(sm.query(KvCommand.put("a", "1").encode())).status())
                .isEqualTo(KvResult.Status.ERROR);
        assertThat(KvResult.decode(sm.query(new byte[] {42})).status()).isEqualTo(KvResult.Status.ERROR);
        assertThat(sm.size()).isZero();
    }
}
