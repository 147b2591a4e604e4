package dev.roaf.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tests of {@link Json}: round trips, number forms, every rejected input, and the writers' output. */
class JsonTest {

    private enum Mode { TRAIN }

    private static JsonException parseError(String text) {
        return assertThrows(JsonException.class, () -> Json.parse(text), text);
    }

    /** Asserts that {@code text} is rejected at {@code offset} with a message containing each part. */
    private static void rejects(String text, int offset, String... parts) {
        JsonException e = parseError(text);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part),
                    "message for " + text + " should mention '" + part + "': " + e.getMessage());
        }
        assertTrue(e.getMessage().contains("at offset " + offset), e.getMessage());
        assertEquals(offset, e.offset(), e.getMessage());
    }

    private static Map<String, Object> sample() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("z", 1L);
        inner.put("a", List.of(1L, 2.5, -3L));
        inner.put("empty", new LinkedHashMap<>());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "r\u00f6af \"quoted\" \\ / \n\t\r\b\f \u0001 \u2028 \ud83d\ude00");
        m.put("inner", inner);
        m.put("list", new ArrayList<>(Arrays.asList("x", null, true, false, new ArrayList<>(),
                List.of(List.of("deep")))));
        m.put("big", Long.MIN_VALUE);
        m.put("small", 1.0e-300);
        m.put("neg", -0.0);
        m.put("nothing", null);
        return m;
    }

    @Test
    void compactAndPrettyRoundTripNestedStructures() {
        Map<String, Object> m = sample();
        assertEquals(m, Json.parse(Json.write(m)));
        assertEquals(m, Json.parse(Json.pretty(m)));
        // Key order survives.
        Map<?, ?> back = (Map<?, ?>) Json.parse(Json.write(m));
        assertEquals(new ArrayList<>(m.keySet()), new ArrayList<>(back.keySet()));
        assertInstanceOf(LinkedHashMap.class, back);
        assertInstanceOf(ArrayList.class, back.get("list"));
    }

    @Test
    void writesArraysEnumsAndJavaNumberTypes() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ints", new int[] {3, -1});
        m.put("longs", new long[] {Long.MAX_VALUE});
        m.put("floats", new float[] {0.1f, 1e-5f});
        m.put("doubles", new double[] {0.1, 2.0, 1e300});
        m.put("strings", new String[] {"a", null});
        m.put("mode", Mode.TRAIN);
        m.put("int", 7);
        m.put("float", 0.1f);
        m.put("set", new java.util.TreeSet<>(List.of(2, 1)));
        Map<?, ?> back = (Map<?, ?>) Json.parse(Json.write(m));
        assertEquals(List.of(3L, -1L), back.get("ints"));
        assertEquals(List.of(Long.MAX_VALUE), back.get("longs"));
        // Floats print in their own shortest form, so they read back to the same float.
        List<?> floats = (List<?>) back.get("floats");
        assertEquals(0.1f, ((Double) floats.get(0)).floatValue());
        assertEquals(1e-5f, ((Double) floats.get(1)).floatValue());
        assertEquals(List.of(0.1, 2.0, 1e300), back.get("doubles"));
        assertEquals(Arrays.asList("a", null), back.get("strings"));
        assertEquals("TRAIN", back.get("mode"));
        assertEquals(7L, back.get("int"));
        assertEquals(0.1f, ((Double) back.get("float")).floatValue());
        assertEquals(List.of(1L, 2L), back.get("set"));
    }

    @Test
    void prettyIndentsTwoSpacesAndKeepsNumberArraysOnOneLine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("perm", new int[] {2, 0, 1});
        m.put("shape", List.of(28L, 28L));
        m.put("layers", List.of(Map.of("n", 1L), "x"));
        m.put("e", List.of());
        m.put("o", Map.of());
        String expected = "{\n"
                + "  \"perm\": [2, 0, 1],\n"
                + "  \"shape\": [28, 28],\n"
                + "  \"layers\": [\n"
                + "    {\n"
                + "      \"n\": 1\n"
                + "    },\n"
                + "    \"x\"\n"
                + "  ],\n"
                + "  \"e\": [],\n"
                + "  \"o\": {}\n"
                + "}";
        assertEquals(expected, Json.pretty(m));
        assertEquals("{\"perm\":[2,0,1],\"shape\":[28,28],\"layers\":[{\"n\":1},\"x\"],\"e\":[],"
                + "\"o\":{}}", Json.write(m));
        int[] perm = new int[784];
        Arrays.setAll(perm, i -> 783 - i);
        assertEquals(1, Json.pretty(Map.of("p", perm)).split("\n").length - 2);
    }

    @Test
    void escapesStringsOnWrite() {
        assertEquals("\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f/\u00e9\ud83d\ude00\"",
                Json.write("a\"b\\c\n\t\r\b\f\u0001\u001f/\u00e9\ud83d\ude00"));
    }

    @Test
    void parsesNumberForms() {
        assertEquals(0L, Json.parse("0"));
        assertEquals(0L, Json.parse("-0"));
        assertEquals(-12L, Json.parse("-12"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertEquals(9.223372036854775808e18, Json.parse("9223372036854775808"));
        assertEquals(1e30, Json.parse("1000000000000000000000000000000"));
        assertEquals(1.5, Json.parse("1.5"));
        assertEquals(-0.0, Json.parse("-0.0"));
        assertEquals(1000.0, Json.parse("1e3"));
        assertEquals(0.01, Json.parse("1E-2"));
        assertEquals(250.0, Json.parse("2.5e+2"));
        assertEquals(0.0, Json.parse("1e-400"));
        assertInstanceOf(Double.class, Json.parse("1.0"));
        assertInstanceOf(Long.class, Json.parse(" 7 "));
        rejects("1e400", 0, "range of a double");
        rejects("-1e400", 0, "range of a double");
    }

    @Test
    void parsesLiteralsAndWhitespace() {
        assertEquals(Boolean.TRUE, Json.parse("true"));
        assertEquals(Boolean.FALSE, Json.parse("\tfalse\r\n"));
        assertNull(Json.parse(" null "));
        assertEquals(List.of(), Json.parse("[ ]"));
        assertEquals(Map.of(), Json.parse("{ }"));
        assertEquals(Map.of("a", List.of(1L)), Json.parse("{ \"a\" : [ 1 ] }"));
    }

    @Test
    void decodesUnicodeEscapesAndSurrogatePairs() {
        assertEquals("\u00e9", Json.parse("\"\\u00e9\""));
        assertEquals("\u00e9", Json.parse("\"\\u00E9\""));
        assertEquals("\ud83d\ude00", Json.parse("\"\\uD83D\\uDE00\""));
        assertEquals("a\ud83d\ude00b", Json.parse("\"a\ud83d\ude00b\""));
        assertEquals("\"\\/\b\f\n\r\t\u0000", Json.parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\""));
        rejects("\"\\uD83D\"", 7, "low surrogate");
        rejects("\"\\uD83Dx\"", 7, "low surrogate");
        rejects("\"\\uD83D\\u0041\"", 7, "low surrogate");
        rejects("\"\\uDE00\"", 1, "unpaired low surrogate");
        rejects("\"\ud83d\"", 2, "low surrogate");
        rejects("\"\ude00\"", 1, "unpaired low surrogate");
        rejects("\"\\u12G4\"", 5, "hex digits", "'G4'");
        rejects("\"\\u00\"", 5, "hex digits");
        rejects("\"\\u\uff10\uff10\uff10\uff10\"", 3, "hex digits");
    }

    @Test
    void rejectsMalformedText() {
        rejects("", 0, "expected a value", "end of input");
        rejects("   ", 3, "expected a value", "end of input");
        rejects("1 2", 2, "end of input after the value", "'2'");
        rejects("{} x", 3, "end of input after the value", "'x'");
        rejects("01", 1, "no leading zeros");
        rejects("-01", 2, "no leading zeros");
        rejects("NaN", 0, "NaN and Infinity are not JSON", "'NaN'");
        rejects("Infinity", 0, "NaN and Infinity are not JSON", "'Infinity'");
        rejects("-Infinity", 1, "Infinity is not JSON");
        rejects("[1, nan]", 4, "expected 'null'", "'nan'");
        rejects("tru", 0, "expected 'true'", "'tru'");
        rejects("+1", 0, "expected a value", "'+'");
        rejects(".5", 0, "expected a value", "'.'");
        rejects("1.", 2, "digit after the decimal point", "end of input");
        rejects("1.e3", 2, "digit after the decimal point", "'e3'");
        rejects("1e", 2, "digit in the exponent");
        rejects("-", 1, "expected a digit");
        rejects("\"a\nb\"", 2, "control characters must be escaped", "U+000A");
        rejects("\"a\u0000\"", 2, "control characters must be escaped", "U+0000");
        rejects("\"abc", 4, "closing the string that starts at offset 0", "end of input");
        rejects("\"\\x\"", 2, "escape character", "'x'");
        rejects("[1,]", 3, "expected a value", "']'");
        rejects("[1 2]", 3, "',' or ']'", "'2'");
        rejects("[1", 2, "',' or ']'", "end of input");
        rejects("{\"a\" 1}", 5, "':'", "'1'");
        rejects("{\"a\":1,}", 7, "object key", "'}'");
        rejects("{a:1}", 1, "object key", "'a'");
        rejects("{\"a\":1 \"b\":2}", 7, "',' or '}'");
        rejects("{'a':1}", 1, "object key", "'''");
    }

    @Test
    void rejectsDuplicateKeys() {
        rejects("{\"a\":1,\"b\":2,\"a\":3}", 13, "duplicate key \"a\"");
        rejects("{\"x\":{\"\\u0061\":1,\"a\":2}}", 17, "duplicate key \"a\"");
    }

    @Test
    void limitsNestingDepth() {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        Object v = Json.parse(ok);
        for (int i = 1; i < Json.MAX_DEPTH; i++) {
            v = ((List<?>) v).get(0);
        }
        assertEquals(List.of(), v);
        String objects = "{\"a\":".repeat(Json.MAX_DEPTH) + "1" + "}".repeat(Json.MAX_DEPTH);
        assertInstanceOf(Map.class, Json.parse(objects));

        rejects("[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1), Json.MAX_DEPTH,
                "nesting depth at most 64");
        // Far deeper input must fail the same way, not with a StackOverflowError.
        // The 65th container is the 33rd '[' of the repeated 6-character unit.
        rejects("[{\"a\":".repeat(100_000), 6 * 32, "nesting depth");
    }

    @Test
    void writerRejectsWhatJsonCannotHold() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("opt", Map.of("lrs", List.of(0.1, Double.NaN)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Json.write(m));
        assertTrue(e.getMessage().contains("$.opt.lrs[1]"), e.getMessage());
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> Json.pretty(Map.of("w", new float[] {1f, Float.POSITIVE_INFINITY})));
        assertTrue(e.getMessage().contains("$.w[1]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Json.write(Map.of("x", Float.NEGATIVE_INFINITY)));
        assertTrue(e.getMessage().contains("$.x"), e.getMessage());

        Map<Object, Object> badKey = new HashMap<>();
        badKey.put(1, "one");
        e = assertThrows(IllegalArgumentException.class, () -> Json.write(List.of(badKey)));
        assertTrue(e.getMessage().contains("$[0]") && e.getMessage().contains("Integer"),
                e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of("t", new Object())));
        assertTrue(e.getMessage().contains("$.t") && e.getMessage().contains("java.lang.Object"),
                e.getMessage());

        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        e = assertThrows(IllegalArgumentException.class, () -> Json.write(cycle));
        assertTrue(e.getMessage().contains("nesting deeper than 64"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> Json.write("a\ud800b"));
        assertTrue(e.getMessage().contains("unpaired surrogate"), e.getMessage());
    }

    @Test
    void typedHelpersExplainMismatches() {
        Map<String, Object> config = Json.asObject(Json.parse(
                "{\"n\":3,\"lr\":0.5,\"e\":1e3,\"s\":\"x\",\"a\":[1],\"f\":1.5}"), "config");
        assertEquals(3L, Json.asLong(config.get("n"), "n"));
        assertEquals(1000L, Json.asLong(config.get("e"), "e"));
        assertEquals(0.5, Json.asDouble(config.get("lr"), "lr"));
        assertEquals(3.0, Json.asDouble(config.get("n"), "n"));
        assertEquals("x", Json.asString(config.get("s"), "s"));
        assertEquals(List.of(1L), Json.asArray(config.get("a"), "a"));

        assertMessage("config.lr: expected a number, found a string",
                () -> Json.asDouble("0.1", "config.lr"));
        assertMessage("steps: expected an integer, found 1.5", () -> Json.asLong(1.5, "steps"));
        assertMessage("steps: expected an integer, found a boolean",
                () -> Json.asLong(true, "steps"));
        assertMessage("steps: expected an integer, found 1.0E19", () -> Json.asLong(1e19, "steps"));
        assertMessage("name: expected a string, found null", () -> Json.asString(null, "name"));
        assertMessage("model: expected an object, found an array",
                () -> Json.asObject(List.of(), "model"));
        assertMessage("dims: expected an array, found an object",
                () -> Json.asArray(Map.of(), "dims"));
        assertMessage("dims: expected an array, found a number", () -> Json.asArray(3L, "dims"));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        JsonException e = assertThrows(JsonException.class, call);
        assertEquals(expected, e.getMessage());
        assertEquals(-1, e.offset());
    }

    @Test
    void largeInputParsesInLinearTime() {
        // 1M numbers and long strings: a quadratic parser or per-char allocation would show here.
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < 1_000_000; i++) {
            sb.append(i).append(',');
        }
        sb.append('"').append("x".repeat(1_000_000)).append("\\n\"]");
        List<Object> list = Json.asArray(Json.parse(sb.toString()), "big");
        assertEquals(1_000_001, list.size());
        assertEquals(999_999L, list.get(999_999));
        assertEquals(1_000_001, ((String) list.get(1_000_000)).length());
    }
}
