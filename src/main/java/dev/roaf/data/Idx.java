package dev.roaf.data;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reader for IDX files, the format of the MNIST and Fashion-MNIST distributions, raw or gzip-compressed.
 *
 * <p>Layout (all integers big-endian): two zero bytes, a type byte (only {@code 0x08}, unsigned byte, is supported),
 * the number of dimensions {@code n}, then {@code n} int32 dimensions, then the product of the dimensions in data
 * bytes and nothing after. Gzip is detected by its magic bytes {@code 1f 8b}, not by the file name. Every check is made
 * before anything is allocated from the header, so a hostile header cannot cause a huge allocation.
 */
public final class Idx {
    /** The largest number of elements accepted (100 million): far above MNIST's 47 million, far below the heap. */
    public static final long MAX_ELEMENTS = 100_000_000L;
    /** The most dimensions accepted; the format allows 255 but real files have 1 to 3. */
    public static final int MAX_DIMS = 8;
    private static final int TYPE_UBYTE = 0x08;
    /** Trailing bytes are counted up to this many for the message, then reading stops. */
    private static final long MAX_TRAILING_COUNTED = 1 << 20;
    /** The largest file read: a raw file of {@link #MAX_ELEMENTS} plus its header, with room for gzip overhead. */
    static final long MAX_FILE_BYTES = MAX_ELEMENTS + (4 << 20);

    private Idx() {
    }

    /**
     * Reads an IDX file (raw or gzip).
     *
     * @throws DataException if the file is missing, unreadable or malformed; the message names the file
     */
    public static IdxArray read(Path file) {
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new DataException(file + ": expected an IDX file of at most " + MAX_FILE_BYTES + " bytes, found "
                        + size + " bytes");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": file not found", e);
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        return parse(bytes, file.toString());
    }

    /**
     * Parses the bytes of an IDX file as stored (raw or gzip); {@code name} is used in error messages.
     *
     * @throws DataException if the content is malformed; the message names {@code name}, what was expected and what
     *                       was found
     */
    public static IdxArray parse(byte[] stored, String name) {
        boolean gzip = stored.length >= 2 && (stored[0] & 0xff) == 0x1f && (stored[1] & 0xff) == 0x8b;
        try (InputStream in = gzip
                ? new BufferedInputStream(new GZIPInputStream(new ByteArrayInputStream(stored), 1 << 16), 1 << 16)
                : new ByteArrayInputStream(stored)) {
            return readStream(in, name, gzip);
        } catch (ZipException e) {
            throw new DataException(name + ": corrupt gzip data (" + e.getMessage() + ")", e);
        } catch (EOFException e) {
            // GZIPInputStream reports a cut-off compressed stream this way.
            throw new DataException(name + ": gzip stream is truncated (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new DataException(name + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static IdxArray readStream(InputStream in, String name, boolean gzip) throws IOException {
        String what = gzip ? " (after gunzip)" : "";
        byte[] head = in.readNBytes(4);
        if (head.length < 4) {
            throw new DataException(name + ": truncated IDX header" + what + ": expected 4 magic bytes, found "
                    + head.length + " bytes in total");
        }
        int type = head[2] & 0xff;
        int ndims = head[3] & 0xff;
        if (head[0] != 0 || head[1] != 0) {
            throw new DataException(name + ": bad IDX magic" + what + ": expected 00 00 <type> <ndims>, found "
                    + hex(head) + (gzip ? "" : " (not gzip either)"));
        }
        if (type != TYPE_UBYTE) {
            throw new DataException(name + ": unsupported IDX element type 0x" + String.format("%02x", type)
                    + ": expected 0x08 (unsigned byte)");
        }
        if (ndims < 1 || ndims > MAX_DIMS) {
            throw new DataException(name + ": bad IDX dimension count: expected 1 to " + MAX_DIMS + ", found " + ndims);
        }
        byte[] dimBytes = in.readNBytes(4 * ndims);
        if (dimBytes.length < 4 * ndims) {
            throw new DataException(name + ": truncated IDX header" + what + ": expected " + ndims
                    + " dimensions (" + 4 * ndims + " bytes), found " + dimBytes.length + " bytes");
        }
        int[] dims = new int[ndims];
        long count = 1;
        for (int i = 0; i < ndims; i++) {
            int d = ((dimBytes[4 * i] & 0xff) << 24) | ((dimBytes[4 * i + 1] & 0xff) << 16)
                    | ((dimBytes[4 * i + 2] & 0xff) << 8) | (dimBytes[4 * i + 3] & 0xff);
            if (d <= 0) {
                throw new DataException(name + ": bad IDX dimension " + i + ": expected a positive size, found " + d);
            }
            dims[i] = d;
            // Each factor is < 2^31 and the running product is <= MAX_ELEMENTS, so this cannot overflow a long.
            count *= d;
            if (count > MAX_ELEMENTS) {
                throw new DataException(name + ": IDX dimensions " + Arrays.toString(Arrays.copyOf(dims, i + 1))
                        + (i + 1 < ndims ? "..." : "") + " exceed the limit of " + MAX_ELEMENTS + " elements");
            }
        }
        byte[] data = in.readNBytes((int) count);
        if (data.length < count) {
            throw new DataException(name + ": truncated IDX data" + what + ": dims " + Arrays.toString(dims)
                    + " need " + count + " bytes, found " + data.length);
        }
        // Count trailing bytes, but only up to a limit: a small gzip file can expand to gigabytes.
        long extra = 0;
        byte[] scratch = new byte[8192];
        for (int r; extra <= MAX_TRAILING_COUNTED && (r = in.read(scratch)) > 0; ) {
            extra += r;
        }
        if (extra > 0) {
            throw new DataException(name + ": " + (extra > MAX_TRAILING_COUNTED ? "more than " + MAX_TRAILING_COUNTED : extra)
                    + " trailing bytes" + what + " after the IDX data: dims " + Arrays.toString(dims) + " need exactly "
                    + count + " bytes");
        }
        return new IdxArray(dims, data);
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            if (s.length() > 0) {
                s.append(' ');
            }
            s.append(String.format("%02x", x & 0xff));
        }
        return s.toString();
    }
}
