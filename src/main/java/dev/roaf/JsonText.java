package dev.roaf;

import dev.roaf.io.Json;

/**
 * The JSON reader and writer of roaf's run records ({@code config.json}, {@code metrics.jsonl},
 * checkpoint metadata), for callers that read or extend them.
 *
 * <p>Values map to Java as follows: objects to insertion-ordered {@code Map<String, Object>},
 * arrays to {@code List<Object>}, integral numbers that fit to {@code Long}, other
 * numbers to {@code Double}, strings to {@code String}, {@code true}/{@code false} to
 * {@code Boolean}, and {@code null} to {@code null}. Writing accepts {@code Map} with string keys,
 * {@code Collection}, arrays (primitive and object), finite {@code Number}, {@code String},
 * {@code Boolean}, {@code Enum} (written as its name) and {@code null}.
 */
public final class JsonText {
    private JsonText() {
    }

    /**
     * Parses one JSON value.
     *
     * @param text the JSON text
     * @return the value, in the types listed in the class comment
     * @throws IllegalArgumentException if the text is not valid JSON (the message says where), or is
     *                                  nested too deeply
     */
    public static Object parse(String text) {
        return Json.parse(text);
    }

    /**
     * Writes a value as compact JSON on one line, as in {@code metrics.jsonl}.
     *
     * @param value the value, in the types listed in the class comment
     * @return the JSON text
     * @throws IllegalArgumentException if the value holds a type JSON cannot represent
     */
    public static String write(Object value) {
        return Json.write(value);
    }

    /**
     * Writes a value as indented JSON, as in {@code config.json}.
     *
     * @param value the value, in the types listed in the class comment
     * @return the JSON text, without a trailing newline
     * @throws IllegalArgumentException if the value holds a type JSON cannot represent
     */
    public static String pretty(Object value) {
        return Json.pretty(value);
    }
}
