package org.raftlib.examples.kv;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One HTTP answer of the key-value API: a status code and a JSON object.
 *
 * @param status the HTTP status code
 * @param json the body, a JSON object
 * @param notLeader whether the answering node refused because it does not lead (so the caller may retry elsewhere)
 */
record Reply(int status, String json, boolean notLeader) {

    static Reply of(int status, Map<String, ?> fields) {
        return new Reply(status, Json.encode(fields), false);
    }

    static Reply error(int status, String message) {
        return error(status, message, Map.of());
    }

    static Reply error(int status, String message, Map<String, ?> extra) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("error", message);
        fields.putAll(extra);
        return of(status, fields);
    }
}
