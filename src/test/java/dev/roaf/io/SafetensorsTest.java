package dev.roaf.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tests of {@link Safetensors}: round trips, a hand-built golden file, validation and mutation. */
class SafetensorsTest {

    private static final String NAME = "mem.safetensors";

    @TempDir
    Path dir;

    /** The bytes of a file with the given header text (not padded) followed by {@code data}. */
    private static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).put(data).array();
    }

    private static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    private static Map<String, TensorData> sampleTensors() {
        Map<String, TensorData> t = new LinkedHashMap<>();
        t.put("layer.0.weight", TensorData.f32(new float[] {1, -2, 3.5f, Float.NaN, 0, -0f}, 2, 3));
        t.put("perm", TensorData.i64(new long[] {3, 0, 2, 1, Long.MIN_VALUE}, 5));
        t.put("empty", TensorData.f32(new float[0], 0));
        t.put("labels", TensorData.i32(new int[] {7, -1, Integer.MAX_VALUE}, 3));
        t.put("scalar", TensorData.f64(new double[] {Math.PI}));
        t.put("empty2d", TensorData.i32(new int[0], 3, 0));
        t.put("grid", TensorData.f64(new double[] {1e-300, 2, 3, 4}, 2, 1, 2));
        return t;
    }

    private static Map<String, String> sampleMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        m.put("roaf.config", "{\"depth\": 3, \"note\": \"\u00e9\ud83d\ude00\"}");
        return m;
    }

    @Test
    void writeThenReadGivesIdenticalTensorsMetadataAndOrder() throws IOException {
        Path f = dir.resolve("model.safetensors");
        Map<String, TensorData> tensors = sampleTensors();
        Safetensors.write(f, tensors, sampleMetadata());
        SafetensorsFile back = Safetensors.read(f);
        assertEquals(new ArrayList<>(tensors.keySet()), new ArrayList<>(back.tensors().keySet()));
        assertEquals(tensors, back.tensors());
        for (String name : tensors.keySet()) {
            assertArrayEquals(tensors.get(name).shape(), back.tensor(name).shape(), name);
            assertEquals(tensors.get(name).dtype(), back.tensor(name).dtype(), name);
        }
        assertEquals(sampleMetadata(), back.metadata());
        assertArrayEquals(new float[] {1, -2, 3.5f, Float.NaN, 0, -0f},
                back.tensor("layer.0.weight").floats());
        assertArrayEquals(new long[] {3, 0, 2, 1, Long.MIN_VALUE}, back.tensor("perm").longs());
        // The same bytes read from memory give the same result.
        SafetensorsFile fromBytes = Safetensors.read(Files.readAllBytes(f), "copy");
        assertEquals(back.tensors(), fromBytes.tensors());
    }

    @Test
    void emptyFileAndZeroSizeTensors() throws IOException {
        Path f = dir.resolve("empty.safetensors");
        Safetensors.write(f, Map.of(), null);
        byte[] bytes = Files.readAllBytes(f);
        assertEquals(16, bytes.length); // length field + "{}" padded to 8
        assertEquals(Map.of(), Safetensors.read(f).tensors());
        assertEquals(Map.of(), Safetensors.read(f).metadata());

        Safetensors.write(f, Map.of("z", TensorData.f32(new float[0], 0)), Map.of());
        TensorData z = Safetensors.read(f).tensor("z");
        assertArrayEquals(new long[] {0}, z.shape());
        assertEquals(0, z.floats().length);

        // Zero-size tensors may sit at any boundary, including the end of the buffer.
        SafetensorsFile mixed = Safetensors.read(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
                + "\"data_offsets\":[0,4]},\"z\":{\"dtype\":\"I64\",\"shape\":[0,5],"
                + "\"data_offsets\":[4,4]}}", floats(2f)), NAME);
        assertEquals(List.of("a", "z"), new ArrayList<>(mixed.tensors().keySet()));
    }

    @Test
    void goldenFileBuiltByHandPerTheSpec() throws IOException {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[24,32]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}";
        ByteBuffer data = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : new float[] {1.5f, -2f, 0.25f, 1e-3f, 100f, -0f}) {
            data.putFloat(v);
        }
        data.putInt(-7).putInt(1 << 20);
        byte[] golden = file(header, data.array());

        SafetensorsFile read = Safetensors.read(golden, NAME);
        // Order follows the data offsets, not the header.
        assertEquals(List.of("a", "b"), new ArrayList<>(read.tensors().keySet()));
        assertArrayEquals(new float[] {1.5f, -2f, 0.25f, 1e-3f, 100f, -0f},
                read.tensor("a").floats());
        assertArrayEquals(new long[] {2, 3}, read.tensor("a").shape());
        assertArrayEquals(new int[] {-7, 1 << 20}, read.tensor("b").ints());
        assertEquals(Map.of("format", "pt"), read.metadata());

        // Writing the same content gives an equivalent, space-padded header and the same data.
        Path f = dir.resolve("golden.safetensors");
        Safetensors.write(f, read.tensors(), read.metadata());
        byte[] written = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(written).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, n % 8);
        String writtenHeader = new String(written, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(writtenHeader.length() - writtenHeader.stripTrailing().length() < 8);
        assertEquals(Json.parse(header), Json.parse(writtenHeader));
        assertArrayEquals(data.array(), Arrays.copyOfRange(written, 8 + (int) n, written.length));
    }

    @Test
    void acceptsHeaderPaddingAndUnsortedOffsets() {
        String header = "{\"y\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[4,12]},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}   ";
        ByteBuffer data = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(3f).putDouble(-1.25);
        SafetensorsFile f = Safetensors.read(file(header, data.array()), NAME);
        assertEquals(List.of("x", "y"), new ArrayList<>(f.tensors().keySet()));
        assertArrayEquals(new double[] {-1.25}, f.tensor("y").doubles());
        assertArrayEquals(new long[0], f.tensor("y").shape());
    }

    /** Asserts that reading {@code bytes} fails with a message naming the file and each part. */
    private static void invalid(byte[] bytes, String... parts) {
        InvalidFileException e = assertThrows(InvalidFileException.class,
                () -> Safetensors.read(bytes, NAME));
        assertTrue(e.getMessage().startsWith(NAME + ": "), e.getMessage());
        assertEquals(NAME, e.source());
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part),
                    "message should mention '" + part + "': " + e.getMessage());
        }
    }

    private static void invalidHeader(String header, byte[] data, String... parts) {
        invalid(file(header, data), parts);
    }

    private static String entry(String dtype, String shape, String offsets) {
        return "{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets
                + "}";
    }

    @Test
    void rejectsBrokenFraming() {
        invalid(new byte[0], "at least 8 bytes", "found 0");
        invalid(new byte[7], "at least 8 bytes", "found 7");
        invalid(new byte[8], "at least 2", "found 0");
        byte[] tooLong = file("{}", new byte[0]);
        tooLong[0] = 3;
        invalid(tooLong, "within the 2 bytes after the length field", "found 3");
        byte[] huge = file("{}", new byte[0]);
        Arrays.fill(huge, 0, 8, (byte) 0xff);
        invalid(huge, "at most 104857600", "found 18446744073709551615");
        byte[] big = file("{}", new byte[0]);
        ByteBuffer.wrap(big).order(ByteOrder.LITTLE_ENDIAN).putLong(0, (100L << 20) + 1);
        invalid(big, "at most 104857600", "found 104857601");
    }

    @Test
    void rejectsHeadersThatAreNotJsonObjects() {
        byte[] badUtf8 = file("{\"a\u00e9\":1}", new byte[0]);
        badUtf8[8 + 3] = (byte) 0xff;
        invalid(badUtf8, "UTF-8", "header byte 3");
        invalidHeader("{\"a\":", new byte[0], "JSON", "end of input");
        invalidHeader("{} x", new byte[0], "JSON", "'x'");
        invalidHeader("[]", new byte[0], "JSON object", "found an array");
        invalidHeader("{\"a\":" + entry("F32", "[0]", "[0,0]") + ",\"a\":" + entry("F32", "[0]",
                "[0,0]") + "}", new byte[0], "duplicate key \"a\"");
        invalidHeader("{\"a\":{}}", new byte[0], "tensor \"a\"", "key \"");
    }

    @Test
    void rejectsMalformedEntries() {
        byte[] four = floats(1f);
        invalidHeader("{\"w\":[1]}", four, "tensor \"w\" to be an object", "found an array");
        invalidHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", four,
                "tensor \"w\" to have the key \"data_offsets\"");
        invalidHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}",
                four, "only the keys", "\"x\"");
        invalidHeader("{\"w\":" + entry("F31", "[1]", "[0,4]") + "}", four, "safetensors dtype",
                "\"F31\"");
        invalidHeader("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", four,
                "dtype of tensor \"w\" to be a string", "found a number");
        invalidHeader("{\"w\":" + entry("BF16", "[2]", "[0,4]") + "}", four,
                "tensor \"w\" has dtype BF16; roaf reads F32, F64, I32, I64");
        invalidHeader("{\"w\":" + entry("U8", "[4]", "[0,4]") + "}", four, "dtype U8; roaf reads");
        invalidHeader("{\"w\":" + entry("F32", "{}", "[0,4]") + "}", four, "shape", "an object");
        invalidHeader("{\"w\":" + entry("F32", "[-1]", "[0,4]") + "}", four, "shape",
                "non-negative", "found -1 at index 0");
        invalidHeader("{\"w\":" + entry("F32", "[1.0]", "[0,4]") + "}", four, "shape",
                "found a number at index 0");
        invalidHeader("{\"w\":" + entry("F32", "[\"1\"]", "[0,4]") + "}", four, "shape",
                "found a string");
        invalidHeader("{\"w\":" + entry("F32", "[4294967296,4294967296]", "[0,4]") + "}", four,
                "fits in 64 bits");
        invalidHeader("{\"w\":" + entry("F64", "[2305843009213693952]", "[0,4]") + "}", four,
                "fits in 64 bits");
        invalidHeader("{\"w\":" + entry("F32", "[1]", "[0]") + "}", four, "data_offsets",
                "2 non-negative integers", "found 1 elements");
        invalidHeader("{\"w\":" + entry("F32", "[1]", "[0,4,8]") + "}", four, "found 3 elements");
        invalidHeader("{\"w\":" + entry("F32", "[1]", "[-4,0]") + "}", four, "found -4");
        invalidHeader("{\"w\":" + entry("F32", "[1]", "[0,1e1]") + "}", four, "found a number");
        invalidHeader("{\"w\":" + entry("F32", "[1]", "[0,9223372036854775808]") + "}", four,
                "found a number");
        invalidHeader("{\"w\":" + entry("F32", "[1]", "[4,0]") + "}", four, "begin <= end",
                "[4, 0]");
        invalidHeader("{\"w\":" + entry("F32", "[2]", "[0,4]") + "}", four, "span 8 bytes",
                "spanning 4");
        invalidHeader("{\"w\":" + entry("F32", "[1]", "[4,8]") + "}", four, "within the 4-byte",
                "[4, 8]");
    }

    @Test
    void rejectsOverlapsGapsAndUncoveredBytes() {
        byte[] eight = floats(1f, 2f);
        invalidHeader("{\"a\":" + entry("F32", "[2]", "[0,8]") + ",\"b\":"
                + entry("F32", "[1]", "[4,8]") + "}", eight, "not to overlap", "\"a\"", "\"b\"");
        invalidHeader("{\"a\":" + entry("F32", "[1]", "[4,8]") + "}", eight,
                "every data byte", "[0, 4)");
        invalidHeader("{\"a\":" + entry("F32", "[1]", "[0,4]") + "}", eight,
                "every data byte", "[4, 8)", "end of the data buffer");
        invalidHeader("{}", floats(1f), "every data byte", "[0, 4)");
        // A zero-size tensor inside another one is an overlap, as in the reference reader.
        invalidHeader("{\"a\":" + entry("F32", "[2]", "[0,8]") + ",\"z\":"
                + entry("F32", "[0]", "[4,4]") + "}", eight, "not to overlap");
    }

    @Test
    void rejectsBadMetadata() {
        invalidHeader("{\"__metadata__\":[]}", new byte[0], "__metadata__", "found an array");
        invalidHeader("{\"__metadata__\":{\"k\":1}}", new byte[0], "values to be strings",
                "found a number for key \"k\"");
        invalidHeader("{\"__metadata__\":{\"k\":{\"n\":\"x\"}}}", new byte[0], "found an object");
    }

    @Test
    void invalidFileMessageNamesThePath() throws IOException {
        Path f = dir.resolve("broken.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        InvalidFileException e = assertThrows(InvalidFileException.class,
                () -> Safetensors.read(f));
        assertEquals(f + ": expected at least 8 bytes (the header length), found 3 bytes",
                e.getMessage());
    }

    @Test
    void writerRejectsBadNames() {
        Path f = dir.resolve("bad.safetensors");
        TensorData t = TensorData.f32(new float[] {1}, 1);
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(f, Map.of("", t), null));
        assertThrows(IllegalArgumentException.class,
                () -> Safetensors.write(f, Map.of("__metadata__", t), null));
        assertTrue(Files.notExists(f));
    }

    @Test
    void tensorDataChecksShapesAndDtypes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorData.f32(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("[2, 3] holds 6 elements"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TensorData.i32(new int[0], -1));
        assertThrows(IllegalArgumentException.class,
                () -> TensorData.i64(new long[0], Long.MAX_VALUE, 2, 0));
        IllegalStateException s = assertThrows(IllegalStateException.class,
                () -> TensorData.i64(new long[1]).floats());
        assertTrue(s.getMessage().contains("I64, not F32"), s.getMessage());
        assertEquals("F32[2, 3]", TensorData.f32(new float[6], 2, 3).toString());
    }

    @Test
    void atomicWriteReplacesExistingFileAndLeavesNoTemporaries() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        Files.writeString(f, "old contents");
        Safetensors.write(f, sampleTensors(), Map.of("step", "1"));
        Map<String, TensorData> second = Map.of("w", TensorData.f32(new float[] {9f}, 1));
        Safetensors.write(f, second, Map.of("step", "2"));
        SafetensorsFile back = Safetensors.read(f);
        assertEquals(second, back.tensors());
        assertEquals(Map.of("step", "2"), back.metadata());
        assertEquals(List.of("ckpt.safetensors"), listing());

        // A failed move (the target is a non-empty directory) must clean up its temporary file.
        Path blocked = dir.resolve("blocked.safetensors");
        Files.createDirectory(blocked);
        Files.writeString(blocked.resolve("inside"), "x");
        assertThrows(IOException.class, () -> Safetensors.write(blocked, second, null));
        assertEquals(List.of("blocked.safetensors", "ckpt.safetensors"), listing());
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void largeTensorCrossesChunkBoundaries() throws IOException {
        float[] values = new float[(1 << 18) + 3]; // just over the 1 MiB transfer buffer
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextDouble(-1, 1);
        }
        long[] longs = random.longs(200_001).toArray();
        Path f = dir.resolve("large.safetensors");
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        tensors.put("f", TensorData.f32(values, values.length));
        tensors.put("l", TensorData.i64(longs, longs.length));
        Safetensors.write(f, tensors, null);
        assertEquals(tensors, Safetensors.read(f).tensors());
    }

    /** Seeded random damage to a valid file: the reader must succeed or report an invalid file. */
    @Test
    void mutatedFilesNeverFailWithAnythingButInvalidFileException() throws IOException {
        Path f = dir.resolve("base.safetensors");
        Safetensors.write(f, sampleTensors(), sampleMetadata());
        byte[] base = Files.readAllBytes(f);
        int headerEnd = 8 + (int) ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        int[] outcomes = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            SplittableRandom random = new SplittableRandom(20240611L);
            for (int trial = 0; trial < 3000; trial++) {
                byte[] bytes = base;
                int mutations = 1 + random.nextInt(3);
                for (int m = 0; m < mutations; m++) {
                    bytes = mutate(bytes, random, headerEnd);
                }
                try {
                    Safetensors.read(bytes, NAME);
                    outcomes[0]++;
                } catch (InvalidFileException expected) {
                    outcomes[1]++;
                } catch (Throwable t) {
                    fail("trial " + trial + " threw " + t, t);
                }
            }
        });
        // Both outcomes must occur, or the mutations are not exercising the reader.
        assertTrue(outcomes[0] > 0 && outcomes[1] > 0, Arrays.toString(outcomes));
    }

    /** One random change, aimed at the length field, the header or anywhere. */
    private static byte[] mutate(byte[] in, SplittableRandom random, int headerEnd) {
        if (in.length == 0) {
            return new byte[] {(byte) random.nextInt(256)};
        }
        int region = random.nextInt(3);
        int limit = Math.min(in.length, region == 0 ? 8 : region == 1 ? headerEnd : in.length);
        int at = random.nextInt(limit);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        switch (random.nextInt(6)) {
            case 0 -> { // flip one bit
                byte[] copy = in.clone();
                copy[at] ^= (byte) (1 << random.nextInt(8));
                return copy;
            }
            case 1 -> { // overwrite a byte, favouring JSON-significant ones
                byte[] copy = in.clone();
                byte[] interesting = "{}[]\":,-0123456789e. \\u\u00ff".getBytes(
                        StandardCharsets.ISO_8859_1);
                copy[at] = random.nextBoolean() ? (byte) random.nextInt(256)
                        : interesting[random.nextInt(interesting.length)];
                return copy;
            }
            case 2 -> { // insert a few bytes
                out.write(in, 0, at);
                int count = 1 + random.nextInt(8);
                for (int i = 0; i < count; i++) {
                    out.write(random.nextInt(256));
                }
                out.write(in, at, in.length - at);
                return out.toByteArray();
            }
            case 3 -> { // delete a few bytes
                int count = Math.min(in.length - at, 1 + random.nextInt(8));
                out.write(in, 0, at);
                out.write(in, at + count, in.length - at - count);
                return out.toByteArray();
            }
            case 4 -> { // truncate
                return Arrays.copyOf(in, at);
            }
            default -> { // rewrite one digit inside the header, shifting sizes and offsets
                byte[] copy = in.clone();
                int start = Math.min(8 + random.nextInt(Math.max(1, headerEnd - 8)), copy.length - 1);
                for (int i = start; i < Math.min(copy.length, headerEnd); i++) {
                    if (copy[i] >= '0' && copy[i] <= '9') {
                        copy[i] = (byte) ('0' + random.nextInt(10));
                        break;
                    }
                }
                return copy;
            }
        }
    }
}
