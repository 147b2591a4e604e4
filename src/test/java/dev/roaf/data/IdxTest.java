package dev.roaf.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    private static final byte[] IMAGES = TestData.images(3, 2, 4);

    private static void assertFails(byte[] bytes, String... fragments) {
        DataException e = assertThrows(DataException.class, () -> Idx.parse(bytes, "f.idx"));
        assertTrue(e.getMessage().startsWith("f.idx: "), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "'" + e.getMessage() + "' lacks '" + f + "'");
        }
        assertEquals(-1, e.getMessage().indexOf('\n'), "one line");
    }

    @Test
    void readsRawAndGzipFiles(@TempDir Path dir) throws Exception {
        byte[] raw = TestData.idx(new int[] {3, 2, 4}, IMAGES);
        Files.write(dir.resolve("a"), raw);
        Files.write(dir.resolve("a.gz"), TestData.gzip(raw));
        for (String name : new String[] {"a", "a.gz"}) {
            IdxArray a = Idx.read(dir.resolve(name));
            assertArrayEquals(new int[] {3, 2, 4}, a.dims);
            assertArrayEquals(IMAGES, a.data);
            assertEquals(8, a.itemSize());
        }
    }

    @Test
    void readsLabelsAsUnsigned() {
        IdxArray a = Idx.parse(TestData.idx(new int[] {3}, new byte[] {0, 9, (byte) 255}), "l");
        assertArrayEquals(new int[] {3}, a.dims);
        assertEquals(255, a.unsigned(2));
    }

    @Test
    void missingFileIsNamed(@TempDir Path dir) {
        DataException e = assertThrows(DataException.class, () -> Idx.read(dir.resolve("nope")));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void rejectsBadMagic() {
        byte[] b = TestData.idx(new int[] {3}, new byte[3]);
        b[0] = 1;
        assertFails(b, "bad IDX magic", "expected 00 00", "found 01 00 08 01");
    }

    @Test
    void rejectsOtherElementTypes() {
        assertFails(TestData.idx(0x0D, new int[] {2}, new byte[8]), "element type 0x0d", "0x08");
    }

    @Test
    void rejectsZeroAndNegativeDims() {
        assertFails(TestData.idx(new int[] {0, 28}, new byte[0]), "dimension 0", "positive", "found 0");
        assertFails(TestData.idx(new int[] {5, -1}, new byte[0]), "dimension 1", "found -1");
    }

    @Test
    void rejectsZeroDimensionCount() {
        assertFails(new byte[] {0, 0, 8, 0}, "dimension count", "found 0");
    }

    @Test
    void rejectsHugeOrOverflowingDimsBeforeAllocating() {
        // 2^31-1 cubed overflows a long; the check must stop at the limit without allocating anything.
        int m = Integer.MAX_VALUE;
        assertFails(TestData.idx(new int[] {m, m, m}, new byte[0]), "exceed the limit of 100000000");
        assertFails(TestData.idx(new int[] {10_001, 100, 100}, new byte[0]), "exceed the limit");
    }

    @Test
    void rejectsTruncatedHeaderAndData() {
        assertFails(new byte[] {0, 0}, "truncated IDX header", "found 2");
        byte[] full = TestData.idx(new int[] {3, 2, 4}, IMAGES);
        assertFails(Arrays.copyOf(full, 10), "truncated IDX header", "3 dimensions");
        assertFails(Arrays.copyOf(full, full.length - 5), "truncated IDX data", "need 24 bytes, found 19");
        // The same inside a valid gzip stream.
        assertFails(TestData.gzip(Arrays.copyOf(full, full.length - 5)), "truncated IDX data", "after gunzip");
    }

    @Test
    void rejectsTrailingBytes() {
        byte[] full = TestData.idx(new int[] {3}, new byte[3]);
        assertFails(Arrays.copyOf(full, full.length + 2), "2 trailing bytes", "exactly 3 bytes");
        assertFails(TestData.gzip(Arrays.copyOf(full, full.length + 1)), "1 trailing bytes");
    }

    @Test
    void rejectsCorruptAndTruncatedGzip() {
        byte[] gz = TestData.gzip(TestData.idx(new int[] {3, 2, 4}, IMAGES));
        byte[] corrupt = gz.clone();
        corrupt[2] = 7; // compression method other than deflate
        assertFails(corrupt, "corrupt gzip");
        byte[] garbled = gz.clone();
        for (int i = 10; i < 16; i++) {
            garbled[i] = (byte) 0xff; // invalid deflate block
        }
        assertFails(garbled, "gzip");
        byte[] badCrc = gz.clone();
        badCrc[gz.length - 8] ^= 0x55; // CRC32 of the trailer
        assertFails(badCrc, "corrupt gzip");
        assertFails(Arrays.copyOf(gz, gz.length - 12), "gzip stream is truncated");
    }
}
