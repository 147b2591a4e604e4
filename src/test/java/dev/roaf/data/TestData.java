package dev.roaf.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Builders of small IDX files and MNIST-layout folders for the tests. */
final class TestData {
    private TestData() {
    }

    /** The bytes of an IDX file of unsigned bytes with the given dims and data (no checks: tests break it). */
    static byte[] idx(int type, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        b.put(data);
        return b.array();
    }

    /** An unsigned-byte IDX file. */
    static byte[] idx(int[] dims, byte[] data) {
        return idx(0x08, dims, data);
    }

    static byte[] gzip(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** n images of rows x cols whose pixel p of image i is (7*i + p) mod 256. */
    static byte[] images(int n, int rows, int cols) {
        byte[] d = new byte[n * rows * cols];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < rows * cols; p++) {
                d[i * rows * cols + p] = (byte) ((7 * i + p) % 256);
            }
        }
        return d;
    }

    /** n labels i mod 10. */
    static byte[] labels(int n) {
        byte[] d = new byte[n];
        for (int i = 0; i < n; i++) {
            d[i] = (byte) (i % 10);
        }
        return d;
    }

    /** The four standard files, 28x28, in dir (gzipped or raw). */
    static void writeMnistDir(Path dir, int train, int test, boolean gz) {
        try {
            Files.createDirectories(dir);
            write(dir, "train-images-idx3-ubyte", idx(new int[] {train, 28, 28}, images(train, 28, 28)), gz);
            write(dir, "train-labels-idx1-ubyte", idx(new int[] {train}, labels(train)), gz);
            write(dir, "t10k-images-idx3-ubyte", idx(new int[] {test, 28, 28}, images(test, 28, 28)), gz);
            write(dir, "t10k-labels-idx1-ubyte", idx(new int[] {test}, labels(test)), gz);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path dir, String name, byte[] raw, boolean gz) throws IOException {
        Files.write(dir.resolve(gz ? name + ".gz" : name), gz ? gzip(raw) : raw);
    }

    /** In-memory data: train/test images rows x cols, labels i mod 10. */
    static MnistData data(int train, int test, int rows, int cols) {
        return new MnistData(
                new IdxArray(new int[] {train, rows, cols}, images(train, rows, cols)),
                new IdxArray(new int[] {train}, labels(train)),
                new IdxArray(new int[] {test, rows, cols}, images(test, rows, cols)),
                new IdxArray(new int[] {test}, labels(test)),
                java.util.Map.of("source", "test"));
    }
}
