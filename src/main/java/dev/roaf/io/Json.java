package dev.roaf.io;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small, strict JSON (RFC 8259) reader and writer for configs, run records and safetensors
 * headers.
 *
 * <p>{@link #parse} maps objects to {@link LinkedHashMap} (key order kept), arrays to
 * {@link ArrayList}, strings to {@link String}, integral numbers that fit to {@link Long}, other
 * numbers to {@link Double}, {@code true}/{@code false} to {@link Boolean} and {@code null} to
 * {@code null}. It rejects everything RFC 8259 does not allow (trailing garbage, leading zeros,
 * {@code NaN}, unescaped control characters, ...) plus duplicate keys, unpaired surrogates, numbers
 * beyond the range of a double, and nesting deeper than {@value #MAX_DEPTH}. Memory use is a small
 * constant multiple of the input size and the recursion depth is bounded, so hostile input cannot
 * exhaust the heap or the stack.
 *
 * <p>{@link #write} and {@link #pretty} produce text that {@link #parse} reads back to an equal
 * value (arrays become lists, enums become their names, integral Java numbers become {@code Long}).
 */
public final class Json {
    /** The deepest nesting of objects and arrays that {@link #parse} and the writers accept. */
    public static final int MAX_DEPTH = 64;

    private Json() {
    }

    // ------------------------------------------------------------------------------------ parse

    /**
     * Parses one JSON value that makes up the whole of {@code text} (surrounding whitespace aside).
     *
     * @throws JsonException naming what was expected, what was found and the character offset
     */
    public static Object parse(String text) {
        Objects.requireNonNull(text, "text");
        Parser p = new Parser(text);
        p.skipWhitespace();
        Object value = p.value(0);
        p.skipWhitespace();
        if (p.pos < text.length()) {
            throw p.error("end of input after the value");
        }
        return value;
    }

    /** Recursive-descent parser over one string; {@code pos} is the next unread character. */
    private static final class Parser {
        private final String s;
        private final int n;
        private int pos;

        Parser(String s) {
            this.s = s;
            this.n = s.length();
        }

        /** The character at {@code pos}, or -1 at the end. */
        private int peek() {
            return pos < n ? s.charAt(pos) : -1;
        }

        void skipWhitespace() {
            while (pos < n) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                pos++;
            }
        }

        JsonException error(String expected) {
            return errorAt(expected, pos);
        }

        JsonException errorAt(String expected, int at) {
            return new JsonException(
                    "expected " + expected + ", found " + describe(at) + " at offset " + at, at);
        }

        /** What is at {@code at}, for messages: a word such as 'NaN', a quoted char, or U+XXXX. */
        private String describe(int at) {
            if (at >= n) {
                return "end of input";
            }
            char c = s.charAt(at);
            if (Character.isLetter(c)) {
                // Show a whole word so that NaN, Infinity or a misspelt literal is recognisable.
                int end = at;
                while (end < n && end - at < 16 && Character.isLetterOrDigit(s.charAt(end))) {
                    end++;
                }
                return "'" + s.substring(at, end) + "'";
            }
            if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) {
                return String.format("U+%04X", (int) c);
            }
            return "'" + c + "'";
        }

        Object value(int depth) {
            int c = peek();
            switch (c) {
                case '{':
                    return object(depth + 1);
                case '[':
                    return array(depth + 1);
                case '"':
                    return string();
                case 't':
                    literal("true");
                    return Boolean.TRUE;
                case 'f':
                    literal("false");
                    return Boolean.FALSE;
                case 'n':
                    literal("null");
                    return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        return number();
                    }
                    if (c == 'N' || c == 'I') {
                        throw error("a value (NaN and Infinity are not JSON)");
                    }
                    throw error("a value");
            }
        }

        private void checkDepth(int depth) {
            if (depth > MAX_DEPTH) {
                throw error("nesting depth at most " + MAX_DEPTH + " (objects and arrays)");
            }
        }

        private Map<String, Object> object(int depth) {
            checkDepth(depth);
            pos++; // '{'
            Map<String, Object> map = new LinkedHashMap<>();
            skipWhitespace();
            if (peek() == '}') {
                pos++;
                return map;
            }
            while (true) {
                skipWhitespace();
                if (peek() != '"') {
                    throw error("'\"' starting an object key");
                }
                int keyAt = pos;
                String key = string();
                if (map.containsKey(key)) {
                    throw new JsonException("expected unique object keys, found duplicate key "
                            + quote(key) + " at offset " + keyAt, keyAt);
                }
                skipWhitespace();
                if (peek() != ':') {
                    throw error("':' after an object key");
                }
                pos++;
                skipWhitespace();
                map.put(key, value(depth));
                skipWhitespace();
                int c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == '}') {
                    pos++;
                    return map;
                } else {
                    throw error("',' or '}' in an object");
                }
            }
        }

        private List<Object> array(int depth) {
            checkDepth(depth);
            pos++; // '['
            List<Object> list = new ArrayList<>();
            skipWhitespace();
            if (peek() == ']') {
                pos++;
                return list;
            }
            while (true) {
                skipWhitespace();
                list.add(value(depth));
                skipWhitespace();
                int c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == ']') {
                    pos++;
                    return list;
                } else {
                    throw error("',' or ']' in an array");
                }
            }
        }

        private void literal(String word) {
            if (!s.startsWith(word, pos)) {
                throw error("'" + word + "'");
            }
            pos += word.length();
        }

        private String string() {
            int open = pos;
            pos++; // '"'
            // Unescaped runs are copied in one piece; the builder only exists once an escape shows up.
            int runStart = pos;
            StringBuilder sb = null;
            while (true) {
                if (pos >= n) {
                    throw error("'\"' closing the string that starts at offset " + open);
                }
                char c = s.charAt(pos);
                if (c == '"') {
                    String result = sb == null
                            ? s.substring(runStart, pos)
                            : sb.append(s, runStart, pos).toString();
                    pos++;
                    return result;
                }
                if (c < 0x20) {
                    throw error("a string character (control characters must be escaped)");
                }
                if (Character.isHighSurrogate(c)) {
                    if (pos + 1 >= n || !Character.isLowSurrogate(s.charAt(pos + 1))) {
                        throw errorAt("a low surrogate after a high surrogate", pos + 1);
                    }
                    pos += 2;
                    continue;
                }
                if (Character.isLowSurrogate(c)) {
                    throw error("a string character (unpaired low surrogate)");
                }
                if (c != '\\') {
                    pos++;
                    continue;
                }
                if (sb == null) {
                    sb = new StringBuilder(Math.max(16, pos - runStart + 16));
                }
                sb.append(s, runStart, pos);
                pos++; // '\\'
                int e = peek();
                switch (e) {
                    case '"': sb.append('"'); break;
                    case '\\': sb.append('\\'); break;
                    case '/': sb.append('/'); break;
                    case 'b': sb.append('\b'); break;
                    case 'f': sb.append('\f'); break;
                    case 'n': sb.append('\n'); break;
                    case 'r': sb.append('\r'); break;
                    case 't': sb.append('\t'); break;
                    case 'u': {
                        int escapeAt = pos - 1;
                        char u = (char) hex4(pos + 1);
                        pos += 4;
                        if (Character.isHighSurrogate(u)) {
                            // A high surrogate must be followed by an escaped low surrogate.
                            if (!s.startsWith("\\u", pos + 1)) {
                                throw errorAt("'\\u' with a low surrogate after the high surrogate"
                                        + " escape at offset " + escapeAt, pos + 1);
                            }
                            char low = (char) hex4(pos + 3);
                            if (!Character.isLowSurrogate(low)) {
                                throw errorAt("a low surrogate (\\uDC00-\\uDFFF) after the high"
                                        + " surrogate escape at offset " + escapeAt, pos + 1);
                            }
                            sb.append(u).append(low);
                            pos += 6;
                        } else if (Character.isLowSurrogate(u)) {
                            throw new JsonException("expected a high surrogate escape before a low"
                                    + " surrogate, found an unpaired low surrogate escape at offset "
                                    + escapeAt, escapeAt);
                        } else {
                            sb.append(u);
                        }
                        break;
                    }
                    default:
                        throw error("an escape character (one of \"\\/bfnrtu)");
                }
                pos++;
                runStart = pos;
            }
        }

        /** The value of the four hex digits at {@code at}. */
        private int hex4(int at) {
            int v = 0;
            for (int i = at; i < at + 4; i++) {
                // Only ASCII hex digits: Character.digit would also accept e.g. fullwidth ones.
                char c = i < n ? s.charAt(i) : 0;
                int d = c >= '0' && c <= '9' ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (d < 0) {
                    throw errorAt("four hex digits after \\u", i);
                }
                v = v * 16 + d;
            }
            return v;
        }

        private Object number() {
            int start = pos;
            if (peek() == '-') {
                pos++;
            }
            int c = peek();
            if (c == '0') {
                pos++;
                if (isDigit(peek())) {
                    throw error("'.', 'e' or the end of the number (no leading zeros)");
                }
            } else if (c >= '1' && c <= '9') {
                skipDigits();
            } else if (c == 'I') {
                throw error("a digit (Infinity is not JSON)");
            } else {
                throw error("a digit");
            }
            boolean integral = true;
            if (peek() == '.') {
                integral = false;
                pos++;
                if (!isDigit(peek())) {
                    throw error("a digit after the decimal point");
                }
                skipDigits();
            }
            if (peek() == 'e' || peek() == 'E') {
                integral = false;
                pos++;
                if (peek() == '+' || peek() == '-') {
                    pos++;
                }
                if (!isDigit(peek())) {
                    throw error("a digit in the exponent");
                }
                skipDigits();
            }
            String token = s.substring(start, pos);
            if (integral && pos - start <= 20) {
                try {
                    return Long.parseLong(token);
                } catch (NumberFormatException tooLarge) {
                    // Falls through: integers beyond the long range become doubles.
                }
            }
            double d = Double.parseDouble(token);
            if (Double.isInfinite(d)) {
                String shown = token.length() > 40 ? token.substring(0, 40) + "..." : token;
                throw new JsonException("expected a number within the range of a double, found "
                        + shown + " at offset " + start, start);
            }
            return d;
        }

        private void skipDigits() {
            while (isDigit(peek())) {
                pos++;
            }
        }

        private static boolean isDigit(int c) {
            return c >= '0' && c <= '9';
        }
    }

    // ------------------------------------------------------------------------------------ write

    /**
     * Writes {@code value} as compact JSON (no whitespace).
     *
     * <p>Accepted: {@link Map} with String keys, {@link Collection}, arrays ({@code int[]},
     * {@code long[]}, {@code float[]}, {@code double[]}, object arrays such as {@code String[]}),
     * {@link Number}, {@link String}, {@link Boolean}, {@link Enum} (written as its name) and
     * {@code null}.
     *
     * @throws IllegalArgumentException naming the path (e.g. {@code $.layers[2].lr}) of a value that
     *     cannot be written: a non-finite number, a non-String key, an unsupported type, a string
     *     with an unpaired surrogate, or nesting deeper than {@value #MAX_DEPTH} (e.g. a cycle)
     */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        new Writer(sb, false).value(value, Where.ROOT, 0, 0);
        return sb.toString();
    }

    /**
     * Writes {@code value} as indented JSON: two spaces per level, one object key or array element
     * per line, except that arrays holding only numbers go on one line ({@code [3, 1, 2]}) so that
     * long permutations and shapes stay readable. Accepts the same values as {@link #write}.
     *
     * @throws IllegalArgumentException as {@link #write}
     */
    public static String pretty(Object value) {
        StringBuilder sb = new StringBuilder();
        new Writer(sb, true).value(value, Where.ROOT, 0, 0);
        return sb.toString();
    }

    /**
     * Where a value sits in the tree being written; built per element but only rendered into a
     * string when an error is reported.
     */
    private record Where(Where parent, String key, int index) {
        static final Where ROOT = new Where(null, null, -1);

        Where child(String k) {
            return new Where(this, k, -1);
        }

        Where child(int i) {
            return new Where(this, null, i);
        }

        @Override
        public String toString() {
            if (parent == null) {
                return "$";
            }
            return parent + (key != null ? "." + key : "[" + index + "]");
        }
    }

    private static final class Writer {
        private final StringBuilder out;
        private final boolean pretty;

        Writer(StringBuilder out, boolean pretty) {
            this.out = out;
            this.pretty = pretty;
        }

        void value(Object v, Where where, int depth, int indent) {
            if (v == null) {
                out.append("null");
            } else if (v instanceof String str) {
                string(str, where);
            } else if (v instanceof Boolean b) {
                out.append(b.booleanValue());
            } else if (v instanceof Number num) {
                number(num, where);
            } else if (v instanceof Enum<?> e) {
                string(e.name(), where);
            } else if (v instanceof Map<?, ?> map) {
                checkDepth(depth + 1, where);
                object(map, where, depth + 1, indent);
            } else if (v instanceof Collection<?> c) {
                checkDepth(depth + 1, where);
                array(c.size(), c.iterator(), allNumbers(c), where, depth + 1, indent);
            } else if (v.getClass().isArray()) {
                checkDepth(depth + 1, where);
                primitiveOrObjectArray(v, where, depth + 1, indent);
            } else {
                throw new IllegalArgumentException(where + ": cannot write a "
                        + v.getClass().getName() + " as JSON");
            }
        }

        private static void checkDepth(int depth, Where where) {
            if (depth > MAX_DEPTH) {
                throw new IllegalArgumentException(where + ": nesting deeper than " + MAX_DEPTH
                        + " levels (a cycle?)");
            }
        }

        private static boolean allNumbers(Collection<?> c) {
            for (Object o : c) {
                if (!(o instanceof Number)) {
                    return false;
                }
            }
            return true;
        }

        private void newline(int indent) {
            out.append('\n');
            for (int i = 0; i < indent; i++) {
                out.append("  ");
            }
        }

        private void object(Map<?, ?> map, Where where, int depth, int indent) {
            if (map.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new IllegalArgumentException(where + ": object keys must be strings, found "
                            + (e.getKey() == null ? "null" : e.getKey().getClass().getName()));
                }
                if (!first) {
                    out.append(',');
                }
                first = false;
                if (pretty) {
                    newline(indent + 1);
                }
                Where child = where.child(key);
                string(key, child);
                out.append(pretty ? ": " : ":");
                value(e.getValue(), child, depth, indent + 1);
            }
            if (pretty) {
                newline(indent);
            }
            out.append('}');
        }

        private void array(int size, Iterator<?> it, boolean oneLine, Where where, int depth,
                int indent) {
            if (size == 0 || !it.hasNext()) {
                out.append("[]");
                return;
            }
            out.append('[');
            int i = 0;
            while (it.hasNext()) {
                Object element = it.next();
                if (i > 0) {
                    out.append(',');
                    if (pretty && oneLine) {
                        out.append(' ');
                    }
                }
                if (pretty && !oneLine) {
                    newline(indent + 1);
                }
                value(element, where.child(i), depth, indent + 1);
                i++;
            }
            if (pretty && !oneLine) {
                newline(indent);
            }
            out.append(']');
        }

        private void primitiveOrObjectArray(Object array, Where where, int depth, int indent) {
            if (array instanceof Object[] objects) {
                List<Object> list = Arrays.asList(objects);
                array(objects.length, list.iterator(), allNumbers(list), where, depth, indent);
                return;
            }
            int length = Array.getLength(array);
            if (!(array instanceof int[] || array instanceof long[] || array instanceof float[]
                    || array instanceof double[] || array instanceof short[]
                    || array instanceof byte[])) {
                throw new IllegalArgumentException(where + ": cannot write a "
                        + array.getClass().getSimpleName() + " as JSON");
            }
            out.append('[');
            for (int i = 0; i < length; i++) {
                if (i > 0) {
                    out.append(pretty ? ", " : ",");
                }
                if (array instanceof int[] a) {
                    out.append(a[i]);
                } else if (array instanceof long[] a) {
                    out.append(a[i]);
                } else if (array instanceof float[] a) {
                    floating(a[i], Float.toString(a[i]), where, i);
                } else if (array instanceof double[] a) {
                    floating(a[i], Double.toString(a[i]), where, i);
                } else if (array instanceof short[] a) {
                    out.append(a[i]);
                } else {
                    out.append(((byte[]) array)[i]);
                }
            }
            out.append(']');
        }

        private void floating(double value, String text, Where where, int index) {
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException(where.child(index)
                        + ": JSON has no representation for " + text);
            }
            out.append(text);
        }

        private void number(Number num, Where where) {
            if (num instanceof Integer || num instanceof Long || num instanceof Short
                    || num instanceof Byte || num instanceof BigInteger || num instanceof AtomicInteger
                    || num instanceof AtomicLong) {
                out.append(num.toString());
            } else if (num instanceof Float f) {
                if (!Float.isFinite(f)) {
                    throw new IllegalArgumentException(where + ": JSON has no representation for "
                            + f);
                }
                out.append(f.toString());
            } else if (num instanceof BigDecimal bd) {
                out.append(bd.toString());
            } else {
                double d = num.doubleValue();
                if (!Double.isFinite(d)) {
                    throw new IllegalArgumentException(where + ": JSON has no representation for "
                            + d);
                }
                out.append(Double.toString(d));
            }
        }

        private void string(String str, Where where) {
            out.append('"');
            int runStart = 0;
            int len = str.length();
            for (int i = 0; i < len; i++) {
                char c = str.charAt(i);
                String escape = null;
                if (c == '"') {
                    escape = "\\\"";
                } else if (c == '\\') {
                    escape = "\\\\";
                } else if (c == '\n') {
                    escape = "\\n";
                } else if (c == '\r') {
                    escape = "\\r";
                } else if (c == '\t') {
                    escape = "\\t";
                } else if (c == '\b') {
                    escape = "\\b";
                } else if (c == '\f') {
                    escape = "\\f";
                } else if (c < 0x20) {
                    escape = String.format("\\u%04x", (int) c);
                } else if (Character.isSurrogate(c)) {
                    // parse() rejects unpaired surrogates, so writing one would break round trips.
                    if (Character.isHighSurrogate(c) && i + 1 < len
                            && Character.isLowSurrogate(str.charAt(i + 1))) {
                        i++;
                        continue;
                    }
                    throw new IllegalArgumentException(where + ": string has an unpaired surrogate "
                            + String.format("U+%04X", (int) c) + " at index " + i);
                }
                if (escape != null) {
                    out.append(str, runStart, i).append(escape);
                    runStart = i + 1;
                }
            }
            out.append(str, runStart, len).append('"');
        }
    }

    /** {@code s} as a JSON string literal, for messages. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder();
        new Writer(sb, false).string(s, Where.ROOT);
        return sb.toString();
    }

    // ------------------------------------------------------------------------------ typed access

    /**
     * {@code value} as a JSON object (a map with String keys).
     *
     * @param what names the value in the error message, e.g. {@code "config.model"}
     * @throws JsonException {@code "<what>: expected an object, found an array"} and the like
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> asObject(Object value, String what) {
        if (value instanceof Map<?, ?> map) {
            for (Object key : map.keySet()) {
                if (!(key instanceof String)) {
                    throw new JsonException(what + ": expected an object with string keys, found a "
                            + (key == null ? "null" : key.getClass().getSimpleName()) + " key");
                }
            }
            return (Map<String, Object>) map;
        }
        throw mismatch(what, "an object", value);
    }

    /**
     * {@code value} as a JSON array.
     *
     * @throws JsonException {@code "<what>: expected an array, found an object"} and the like
     */
    @SuppressWarnings("unchecked")
    public static List<Object> asArray(Object value, String what) {
        if (value instanceof List<?> list) {
            return (List<Object>) list;
        }
        throw mismatch(what, "an array", value);
    }

    /**
     * {@code value} as a long: a {@link Long} (or smaller integer type), or a double with an exact
     * integral value in the long range (so that {@code 1e3} is accepted).
     *
     * @throws JsonException {@code "<what>: expected an integer, found 1.5"} and the like
     */
    public static long asLong(Object value, String what) {
        if (value instanceof Long || value instanceof Integer || value instanceof Short
                || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            // 2^63 is exactly representable; anything below it and integral converts exactly.
            if (d == Math.rint(d) && d >= -0x1p63 && d < 0x1p63) {
                return (long) d;
            }
            throw new JsonException(what + ": expected an integer, found " + value);
        }
        if (value instanceof BigInteger big) {
            try {
                return big.longValueExact();
            } catch (ArithmeticException e) {
                throw new JsonException(what + ": expected an integer in the long range, found "
                        + big);
            }
        }
        throw mismatch(what, "an integer", value);
    }

    /**
     * {@code value} as a double; any JSON number is accepted.
     *
     * @throws JsonException {@code "<what>: expected a number, found a string"} and the like
     */
    public static double asDouble(Object value, String what) {
        if (value instanceof Number num) {
            return num.doubleValue();
        }
        throw mismatch(what, "a number", value);
    }

    /**
     * {@code value} as a string.
     *
     * @throws JsonException {@code "<what>: expected a string, found a number"} and the like
     */
    public static String asString(Object value, String what) {
        if (value instanceof String s) {
            return s;
        }
        throw mismatch(what, "a string", value);
    }

    private static JsonException mismatch(String what, String expected, Object found) {
        return new JsonException(what + ": expected " + expected + ", found " + kind(found));
    }

    /** The JSON kind of a parsed value, with its article, for messages. */
    static String kind(Object value) {
        if (value == null) {
            return "null";
        } else if (value instanceof String) {
            return "a string";
        } else if (value instanceof Boolean) {
            return "a boolean";
        } else if (value instanceof Number) {
            return "a number";
        } else if (value instanceof Map) {
            return "an object";
        } else if (value instanceof List) {
            return "an array";
        }
        return "a " + value.getClass().getSimpleName();
    }
}
