package dev.roaf.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded random mutations of valid raw and gzip IDX files (bit flips, byte overwrites with boundary
 * values, insertions, deletions, truncations, appended junk, hostile dimensions): every case either
 * loads a self-consistent array or throws {@link DataException} with a one-line message naming the
 * file; never another exception, an out-of-memory error or a hang.
 */
class IdxMutationTest {
    private static final int CASES = 4000;

    private static byte[] gzip(byte[] raw) {
        return TestData.gzip(raw);
    }

    private static byte[] mutate(byte[] b, Random rng) {
        if (b.length < 8) {
            return concat(b, new byte[]{(byte) rng.nextInt(256)});
        }
        byte[] m = b.clone();
        switch (rng.nextInt(9)) {
            case 0 -> { // flip 1-3 bits
                for (int k = 1 + rng.nextInt(3); k > 0; k--) {
                    int i = rng.nextInt(m.length);
                    m[i] ^= (byte) (1 << rng.nextInt(8));
                }
            }
            case 1 -> { // boundary value somewhere, biased to the header
                int i = rng.nextBoolean() ? rng.nextInt(Math.min(m.length, 20)) : rng.nextInt(m.length);
                m[i] = (byte) new int[]{0, 1, 0x7f, 0x80, 0xff, 0x08, 0x03}[rng.nextInt(7)];
            }
            case 2 -> { // insert bytes
                int at = rng.nextInt(m.length + 1);
                byte[] ins = new byte[1 + rng.nextInt(8)];
                rng.nextBytes(ins);
                m = concat(Arrays.copyOf(b, at), ins, Arrays.copyOfRange(b, at, b.length));
            }
            case 3 -> { // delete bytes
                int at = rng.nextInt(m.length);
                int n = Math.min(m.length - at, 1 + rng.nextInt(8));
                m = concat(Arrays.copyOf(b, at), Arrays.copyOfRange(b, at + n, b.length));
            }
            case 4 -> m = Arrays.copyOf(b, rng.nextInt(b.length)); // truncate
            case 5 -> { // append junk
                byte[] junk = new byte[1 + rng.nextInt(16)];
                rng.nextBytes(junk);
                m = concat(b, junk);
            }
            case 6 -> { // a hostile dimension (raw files only make sense here, gzip gets garbled)
                int dim = 4 + 4 * rng.nextInt(3);
                if (dim + 4 <= m.length) {
                    int v = new int[]{Integer.MAX_VALUE, -1, 0, 100_000_000, 100_000_001, 65536, 1 << 30}[rng.nextInt(7)];
                    m[dim] = (byte) (v >>> 24);
                    m[dim + 1] = (byte) (v >>> 16);
                    m[dim + 2] = (byte) (v >>> 8);
                    m[dim + 3] = (byte) v;
                }
            }
            case 7 -> m[3] = (byte) rng.nextInt(256); // dimension count
            default -> { // random byte run
                int at = rng.nextInt(m.length);
                for (int i = at; i < Math.min(m.length, at + 1 + rng.nextInt(6)); i++) {
                    m[i] = (byte) rng.nextInt(256);
                }
            }
        }
        return m;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void mutatedFilesLoadOrFailWithDataException() {
        byte[] images = TestData.idx(new int[]{5, 4, 3}, TestData.images(5, 4, 3));
        byte[] labels = TestData.idx(new int[]{7}, TestData.labels(7));
        List<byte[]> bases = List.of(images, labels, gzip(images), gzip(labels));
        for (byte[] b : bases) {
            IdxArray a = Idx.parse(b, "base");
            assertEquals(Arrays.stream(a.dims).asLongStream().reduce(1, (x, y) -> x * y), a.data.length);
        }
        Random rng = new Random(20240808L);
        int[] outcome = new int[2];
        List<String> failures = new ArrayList<>();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int c = 0; c < CASES; c++) {
                byte[] base = bases.get(c % bases.size());
                byte[] m = mutate(base, rng);
                if (rng.nextInt(4) == 0) {
                    m = mutate(m, rng); // sometimes two mutations
                }
                String name = "case" + c + ".idx";
                try {
                    IdxArray a = Idx.parse(m, name);
                    long n = 1;
                    for (int d : a.dims) {
                        assertTrue(d > 0, name);
                        n *= d;
                    }
                    assertEquals(n, a.data.length, name + ": dims and data agree");
                    outcome[0]++;
                } catch (DataException e) {
                    String msg = e.getMessage();
                    if (msg == null || !msg.startsWith(name + ": ") || msg.indexOf('\n') >= 0) {
                        failures.add(name + ": bad message '" + msg + "'");
                    }
                    outcome[1]++;
                } catch (Throwable t) {
                    failures.add(name + ": " + t);
                }
            }
        });
        assertTrue(failures.isEmpty(), failures.size() + " bad cases, e.g. " + failures.subList(0, Math.min(5, failures.size())));
        assertEquals(CASES, outcome[0] + outcome[1]);
        assertTrue(outcome[1] > CASES / 2, "most mutations are rejected: " + Arrays.toString(outcome));
    }

    @Test
    void gzipBombWithTrailingDataIsRejectedQuickly() throws Exception {
        byte[] valid = TestData.idx(new int[]{3}, TestData.labels(3));
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(valid);
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 48; i++) { // 48 MiB of zeros compress to about 50 KB
                gz.write(zeros);
            }
        }
        byte[] bomb = bos.toByteArray();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            DataException e = assertThrows(DataException.class, () -> Idx.parse(bomb, "bomb.gz"));
            assertTrue(e.getMessage().contains("more than") && e.getMessage().contains("trailing bytes"), e.getMessage());
        });
    }

    @Test
    void hugeFileIsRejectedBeforeReading(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("huge-idx3-ubyte");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(Idx.MAX_FILE_BYTES + 1); // sparse: takes no disk space
        }
        DataException e = assertThrows(DataException.class, () -> Idx.read(f));
        assertTrue(e.getMessage().startsWith(f + ": expected an IDX file of at most"), e.getMessage());
    }

    @Test
    void hostileDimensionsAllocateNothingLarge() {
        // Claims 100 million bytes (the limit) but holds 3: rejected as truncated, without a 100 MB buffer.
        byte[] b = TestData.idx(new int[]{3}, new byte[3]);
        b[4] = 0x05;
        b[5] = (byte) 0xf5;
        b[6] = (byte) 0xe1;
        b[7] = 0x00;
        DataException e = assertThrows(DataException.class, () -> Idx.parse(b, "h.idx"));
        assertTrue(e.getMessage().contains("truncated IDX data"), e.getMessage());
    }
}
