package org.raftlib.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.helpers.MessageFormatter;

class WarnLimiterTest {

    /** One WARN per key a second; the next one says how many were suppressed in between. */
    @Test
    void warnsOncePerKeyASecondAndCountsTheRest() {
        List<String> logged = new ArrayList<>();
        Logger log = (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("warn")) {
                        Object[] rest = args.length == 2 && args[1] instanceof Object[] a ? a
                                : Arrays.copyOfRange(args, 1, args.length);
                        logged.add(MessageFormatter.arrayFormat((String) args[0], rest).getMessage());
                    }
                    return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
                });
        AtomicLong now = new AtomicLong(42);
        WarnLimiter limiter = new WarnLimiter(now::get);

        for (int i = 0; i < 5; i++) {
            limiter.warn(log, "a", "a {}", i);
            limiter.warn(log, "b", "b {}", i);
        }
        assertThat(logged).containsExactly("a 0", "b 0");
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        limiter.warn(log, "a", "a {}", 5);
        limiter.warn(log, "a", "a {}", 6);
        assertThat(logged).containsExactly("a 0", "b 0", "(4 similar warnings suppressed since the last one)", "a 5");
    }
}
