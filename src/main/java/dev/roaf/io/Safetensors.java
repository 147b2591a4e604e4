package dev.roaf.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reader and writer of the safetensors format (https://github.com/huggingface/safetensors).
 *
 * <p>Layout: an 8-byte little-endian unsigned header length {@code n}; {@code n} bytes of UTF-8
 * JSON mapping each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets
 * relative to the data buffer) plus an optional {@code "__metadata__"} object of strings; then the
 * data buffer, little-endian and row-major. roaf reads and writes the dtypes F32, F64, I32 and I64.
 *
 * <p>Reading validates everything the reference implementation does, and a little more (extra keys
 * in a tensor entry are rejected); any problem with the contents is an
 * {@link InvalidFileException}. The header length is checked against the file size and a 100 MiB
 * cap before anything is allocated, so a hostile file cannot make the reader allocate more than
 * about its own size.
 */
public final class Safetensors {
    /** The largest header accepted, in bytes (100 MiB). */
    public static final long MAX_HEADER_BYTES = 100L << 20;

    private static final String METADATA_KEY = "__metadata__";
    private static final String SUPPORTED = "F32, F64, I32, I64";
    /** Valid safetensors dtypes that roaf does not read, so that they get a clearer message. */
    private static final Set<String> OTHER_DTYPES = Set.of("BOOL", "U8", "I8", "U16", "I16", "F16",
            "BF16", "U32", "U64", "C64", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3",
            "F6_E3M2");
    private static final Set<String> ENTRY_KEYS = Set.of("dtype", "shape", "data_offsets");
    /** Data is moved through a buffer of at most this size, so large tensors cost no extra copy. */
    private static final int CHUNK_BYTES = 1 << 20;

    private Safetensors() {
    }

    // ------------------------------------------------------------------------------------- write

    /**
     * Writes {@code tensors} (data laid out in map order) and {@code metadata} to {@code file},
     * atomically: the bytes go to a temporary file in the same directory, which is forced to disk
     * and then moved over {@code file}, so readers see either the old or the new file, never a
     * partial one. On failure the temporary file is deleted.
     *
     * @param metadata the {@code __metadata__} strings; {@code null} or empty writes none
     * @throws IllegalArgumentException if a name is empty or {@code "__metadata__"}, or a tensor,
     *     metadata key or value is {@code null}
     * @throws IOException if writing, forcing or moving fails
     */
    public static void write(Path file, Map<String, TensorData> tensors, Map<String, String> metadata)
            throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(tensors, "tensors");
        byte[] headerBytes = header(tensors, metadata);
        // The header is padded with spaces so that the data buffer starts 8-byte aligned.
        int paddedLength = (headerBytes.length + 7) & ~7;
        ByteBuffer head = ByteBuffer.allocate(8 + paddedLength).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(paddedLength).put(headerBytes);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();

        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = createTemporary(dir, target.getFileName().toString());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                writeFully(ch, head);
                writeData(ch, tensors.values());
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (Throwable t) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException | RuntimeException e) {
                t.addSuppressed(e);
            }
            throw t;
        }
        syncDirectory(dir);
    }

    /** The header JSON of {@code tensors} laid out in map order, validated, as UTF-8. */
    private static byte[] header(Map<String, TensorData> tensors, Map<String, String> metadata) {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("metadata keys and values must not be null,"
                            + " found " + e.getKey() + "=" + e.getValue());
                }
            }
            header.put(METADATA_KEY, new LinkedHashMap<>(metadata));
        }
        long offset = 0;
        for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name == null || name.isEmpty() || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("tensor names must be non-empty and not "
                        + METADATA_KEY + ", found " + (name == null ? "null" : Json.quote(name)));
            }
            TensorData t = e.getValue();
            if (t == null) {
                throw new IllegalArgumentException("tensor " + Json.quote(name) + " is null");
            }
            long end = offset + t.byteSize();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", t.dtype());
            entry.put("shape", t.shape());
            entry.put("data_offsets", new long[] {offset, end});
            header.put(name, entry);
            offset = end;
        }
        return Json.write(header).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A new empty file next to {@code name} in {@code dir}. Not {@link Files#createTempFile}: that
     * makes the file owner-only, and the permissions would carry over to the final file.
     */
    private static Path createTemporary(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + name + "." + Long.toHexString(
                    ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE) + ".tmp");
            try {
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)
                        .close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    private static void writeData(FileChannel ch, Iterable<TensorData> tensors) throws IOException {
        long largest = 0;
        for (TensorData t : tensors) {
            largest = Math.max(largest, t.byteSize());
        }
        ByteBuffer chunk = ByteBuffer.allocate((int) Math.max(8, Math.min(CHUNK_BYTES, largest)))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (TensorData t : tensors) {
            int elementSize = TensorData.elementSize(t.dtype());
            int perChunk = chunk.capacity() / elementSize;
            int count = t.size();
            for (int done = 0; done < count; done += perChunk) {
                int take = Math.min(perChunk, count - done);
                chunk.clear();
                switch (t.dtype()) {
                    case TensorData.F32 -> chunk.asFloatBuffer().put(t.floats(), done, take);
                    case TensorData.F64 -> chunk.asDoubleBuffer().put(t.doubles(), done, take);
                    case TensorData.I32 -> chunk.asIntBuffer().put(t.ints(), done, take);
                    default -> chunk.asLongBuffer().put(t.longs(), done, take);
                }
                chunk.limit(take * elementSize);
                writeFully(ch, chunk);
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            ch.write(buffer);
        }
    }

    /**
     * Forces the directory entry of the moved file to disk where the platform allows it; without
     * this a crash right after the move could lose the rename on some file systems. Best effort:
     * not every platform can open a directory as a channel.
     */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // The file itself is complete and in place; only durability of the rename is at stake.
        }
    }

    // -------------------------------------------------------------------------------------- read

    /**
     * Reads and validates a safetensors file.
     *
     * @throws InvalidFileException if the contents are not a valid safetensors file of dtypes that
     *     roaf reads; the message names the file, what was expected and what was found
     * @throws IOException if the file cannot be read
     */
    public static SafetensorsFile read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(new ChannelSource(ch), file.toString());
        }
    }

    /**
     * Reads and validates the image of a safetensors file held in memory, with the same checks as
     * {@link #read(Path)}.
     *
     * @param nameForMessages names the bytes in {@link InvalidFileException} messages
     * @throws InvalidFileException if {@code bytes} are not a valid safetensors file
     */
    public static SafetensorsFile read(byte[] bytes, String nameForMessages) {
        Objects.requireNonNull(bytes, "bytes");
        try {
            return read(new ArraySource(bytes), nameForMessages);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // an array source never throws
        }
    }

    /** Random access to the bytes of a file or an array. */
    private interface Source {
        long size() throws IOException;

        /** Fills {@code dst} from {@code position}, or returns false if the source ends first. */
        boolean readFully(long position, ByteBuffer dst) throws IOException;
    }

    private record ChannelSource(FileChannel ch) implements Source {
        @Override
        public long size() throws IOException {
            return ch.size();
        }

        @Override
        public boolean readFully(long position, ByteBuffer dst) throws IOException {
            long at = position;
            while (dst.hasRemaining()) {
                int n = ch.read(dst, at);
                if (n < 0) {
                    return false;
                }
                at += n;
            }
            return true;
        }
    }

    private record ArraySource(byte[] bytes) implements Source {
        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public boolean readFully(long position, ByteBuffer dst) {
            if (position + dst.remaining() > bytes.length) {
                return false;
            }
            dst.put(bytes, (int) position, dst.remaining());
            return true;
        }
    }

    /** One validated header entry. */
    private record Entry(String name, String dtype, long[] shape, int count, long begin, long end) {
    }

    private static SafetensorsFile read(Source src, String name) throws IOException {
        long size = src.size();
        if (size < 8) {
            throw invalid(name, "expected at least 8 bytes (the header length), found " + size
                    + " bytes");
        }
        ByteBuffer lengthField = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readOrFail(src, 0, lengthField, name);
        long headerLength = lengthField.getLong(0);
        // The length is unsigned: a negative long is a length of 2^63 or more.
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw invalid(name, "expected a header length of at most " + MAX_HEADER_BYTES
                    + " bytes, found " + Long.toUnsignedString(headerLength));
        }
        if (headerLength == 0) {
            throw invalid(name, "expected a header length of at least 2 (\"{}\"), found 0");
        }
        if (headerLength > size - 8) {
            throw invalid(name, "expected a header length within the " + (size - 8)
                    + " bytes after the length field, found " + headerLength);
        }
        Map<String, Object> header = parseHeader(src, (int) headerLength, name);
        long dataStart = 8 + headerLength;
        long dataSize = size - dataStart;

        LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            if (e.getKey().equals(METADATA_KEY)) {
                metadata = metadata(e.getValue(), name);
            } else {
                entries.add(entry(e.getKey(), e.getValue(), dataSize, name));
            }
        }
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));

        // Tensors must tile the data buffer exactly: no overlaps, no gaps, nothing left over.
        long covered = 0;
        Entry previous = null;
        for (Entry en : entries) {
            if (en.begin < covered) {
                throw invalid(name, "expected tensors not to overlap, found " + describe(previous)
                        + " and " + describe(en));
            }
            if (en.begin > covered) {
                throw invalid(name, "expected every data byte to belong to a tensor, found bytes ["
                        + covered + ", " + en.begin + ") before " + describe(en)
                        + " covered by none");
            }
            covered = en.end;
            previous = en;
        }
        if (covered != dataSize) {
            throw invalid(name, "expected every data byte to belong to a tensor, found bytes ["
                    + covered + ", " + dataSize + ") at the end of the data buffer covered by none");
        }

        LinkedHashMap<String, TensorData> tensors = new LinkedHashMap<>();
        long largest = 0;
        for (Entry en : entries) {
            largest = Math.max(largest, en.end - en.begin);
        }
        ByteBuffer chunk = ByteBuffer.allocate((int) Math.max(8, Math.min(CHUNK_BYTES, largest)))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (Entry en : entries) {
            tensors.put(en.name, readTensor(src, dataStart, en, chunk, name));
        }
        return new SafetensorsFile(tensors, metadata);
    }

    private static void readOrFail(Source src, long position, ByteBuffer dst, String name)
            throws IOException {
        if (!src.readFully(position, dst)) {
            // Only possible if the file shrinks while being read.
            throw invalid(name, "expected " + dst.limit() + " bytes at offset " + position
                    + ", found the end of the file");
        }
    }

    private static Map<String, Object> parseHeader(Source src, int length, String name)
            throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(length);
        readOrFail(src, 8, bytes, name);
        bytes.flip();
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        // UTF-8 never takes fewer bytes than UTF-16 chars, so this buffer is large enough.
        CharBuffer chars = CharBuffer.allocate(length);
        CoderResult result = decoder.decode(bytes, chars, true);
        if (!result.isError()) {
            result = decoder.flush(chars);
        }
        if (result.isError()) {
            throw invalid(name, "expected a UTF-8 header, found an invalid byte sequence at header"
                    + " byte " + bytes.position());
        }
        chars.flip();
        Object parsed;
        try {
            parsed = Json.parse(chars.toString());
        } catch (JsonException e) {
            throw new InvalidFileException(name, "expected a JSON header, found a syntax error: "
                    + e.getMessage() + " of the header", e);
        }
        if (!(parsed instanceof Map)) {
            throw invalid(name, "expected the header to be a JSON object, found "
                    + Json.kind(parsed));
        }
        return Json.asObject(parsed, "header");
    }

    private static LinkedHashMap<String, String> metadata(Object value, String name) {
        if (!(value instanceof Map<?, ?> map)) {
            throw invalid(name, "expected " + METADATA_KEY + " to be an object of strings, found "
                    + Json.kind(value));
        }
        LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw invalid(name, "expected " + METADATA_KEY + " values to be strings, found "
                        + Json.kind(e.getValue()) + " for key " + Json.quote((String) e.getKey()));
            }
            metadata.put((String) e.getKey(), s);
        }
        return metadata;
    }

    private static Entry entry(String tensor, Object value, long dataSize, String name) {
        String what = "tensor " + Json.quote(tensor);
        if (!(value instanceof Map<?, ?> map)) {
            throw invalid(name, "expected " + what + " to be an object, found " + Json.kind(value));
        }
        for (String key : ENTRY_KEYS) {
            if (!map.containsKey(key)) {
                throw invalid(name, "expected " + what + " to have the key \"" + key
                        + "\", found keys " + map.keySet());
            }
        }
        for (Object key : map.keySet()) {
            if (!ENTRY_KEYS.contains(key)) {
                throw invalid(name, "expected " + what + " to have only the keys dtype, shape and"
                        + " data_offsets, found the key " + Json.quote((String) key));
            }
        }

        if (!(map.get("dtype") instanceof String dtype)) {
            throw invalid(name, "expected the dtype of " + what + " to be a string, found "
                    + Json.kind(map.get("dtype")));
        }
        int elementSize = TensorData.elementSize(dtype);
        if (elementSize == 0) {
            if (OTHER_DTYPES.contains(dtype)) {
                throw invalid(name, what + " has dtype " + dtype + "; roaf reads " + SUPPORTED);
            }
            throw invalid(name, "expected the dtype of " + what + " to be a safetensors dtype"
                    + " (roaf reads " + SUPPORTED + "), found " + Json.quote(dtype));
        }

        long[] shape = nonNegativeIntegers(map.get("shape"), -1, "shape of " + what, name);
        long count = 1;
        long bytes;
        try {
            for (long d : shape) {
                count = Math.multiplyExact(count, d);
            }
            bytes = Math.multiplyExact(count, elementSize);
        } catch (ArithmeticException e) {
            throw invalid(name, "expected the shape of " + what + " to have a size that fits in"
                    + " 64 bits, found " + java.util.Arrays.toString(shape));
        }

        long[] offsets = nonNegativeIntegers(map.get("data_offsets"), 2, "data_offsets of " + what,
                name);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw invalid(name, "expected the data_offsets of " + what + " to have begin <= end,"
                    + " found [" + begin + ", " + end + "]");
        }
        if (end - begin != bytes) {
            throw invalid(name, "expected the data_offsets of " + what + " to span " + bytes
                    + " bytes (" + count + " " + dtype + " elements), found [" + begin + ", " + end
                    + "] spanning " + (end - begin));
        }
        if (end > dataSize) {
            throw invalid(name, "expected the data_offsets of " + what + " to lie within the "
                    + dataSize + "-byte data buffer, found [" + begin + ", " + end + "]");
        }
        // Java arrays are int-indexed; leave a little room for the VM's own array size limit.
        if (count > Integer.MAX_VALUE - 8) {
            throw invalid(name, "expected " + what + " to have at most " + (Integer.MAX_VALUE - 8)
                    + " elements (a Java array), found " + count);
        }
        return new Entry(tensor, dtype, shape, (int) count, begin, end);
    }

    /**
     * {@code value} as an array of non-negative JSON integers, of length {@code length} unless that
     * is negative.
     */
    private static long[] nonNegativeIntegers(Object value, int length, String what, String name) {
        String expected = length < 0 ? "an array of non-negative integers"
                : "an array of " + length + " non-negative integers";
        if (!(value instanceof List<?> list)) {
            throw invalid(name, "expected the " + what + " to be " + expected + ", found "
                    + Json.kind(value));
        }
        if (length >= 0 && list.size() != length) {
            throw invalid(name, "expected the " + what + " to be " + expected + ", found "
                    + list.size() + " elements");
        }
        long[] result = new long[list.size()];
        for (int i = 0; i < result.length; i++) {
            Object element = list.get(i);
            if (!(element instanceof Long v) || v < 0) {
                throw invalid(name, "expected the " + what + " to be " + expected + ", found "
                        + (element instanceof Long ? element : Json.kind(element)) + " at index "
                        + i);
            }
            result[i] = v;
        }
        return result;
    }

    private static TensorData readTensor(Source src, long dataStart, Entry en, ByteBuffer chunk,
            String name) throws IOException {
        int elementSize = TensorData.elementSize(en.dtype);
        int perChunk = chunk.capacity() / elementSize;
        Object array = switch (en.dtype) {
            case TensorData.F32 -> new float[en.count];
            case TensorData.F64 -> new double[en.count];
            case TensorData.I32 -> new int[en.count];
            default -> new long[en.count];
        };
        long position = dataStart + en.begin;
        for (int done = 0; done < en.count; done += perChunk) {
            int take = Math.min(perChunk, en.count - done);
            chunk.clear().limit(take * elementSize);
            readOrFail(src, position, chunk, name);
            chunk.flip();
            switch (en.dtype) {
                case TensorData.F32 -> chunk.asFloatBuffer().get((float[]) array, done, take);
                case TensorData.F64 -> chunk.asDoubleBuffer().get((double[]) array, done, take);
                case TensorData.I32 -> chunk.asIntBuffer().get((int[]) array, done, take);
                default -> chunk.asLongBuffer().get((long[]) array, done, take);
            }
            position += (long) take * elementSize;
        }
        return switch (en.dtype) {
            case TensorData.F32 -> TensorData.f32((float[]) array, en.shape);
            case TensorData.F64 -> TensorData.f64((double[]) array, en.shape);
            case TensorData.I32 -> TensorData.i32((int[]) array, en.shape);
            default -> TensorData.i64((long[]) array, en.shape);
        };
    }

    private static String describe(Entry en) {
        return "tensor " + Json.quote(en.name) + " at [" + en.begin + ", " + en.end + ")";
    }

    private static InvalidFileException invalid(String name, String message) {
        return new InvalidFileException(name, message, null);
    }
}
