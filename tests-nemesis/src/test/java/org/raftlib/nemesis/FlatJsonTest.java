package org.raftlib.nemesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class FlatJsonTest {

    @Test
    void readsTheExamplesAnswers() {
        Map<String, String> m = FlatJson.parse("{\"key\":\"k\",\"value\":\"a\\\"b\\u00e9\",\"previous\":null,"
                + " \"term\": 12, \"voter\":true, \"list\":[\"x\",{\"y\":1}], \"e\":{}}");
        assertThat(m).containsEntry("key", "k").containsEntry("value", "a\"b\u00e9").containsEntry("previous", null)
                .containsEntry("term", "12").containsEntry("voter", "true")
                .containsEntry("list", "[\"x\",{\"y\":1}]").containsEntry("e", "{}");
        assertThat(FlatJson.parse(" { } ")).isEmpty();
    }

    @Test
    void refusesWhatIsNotAnObject() {
        assertThatThrownBy(() -> FlatJson.parse("[1]")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FlatJson.parse("{\"a\":}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FlatJson.parse("{\"a\":\"x")).isInstanceOf(IllegalArgumentException.class);
    }
}
