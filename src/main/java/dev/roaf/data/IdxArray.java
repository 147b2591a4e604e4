package dev.roaf.data;

import java.util.Arrays;

/**
 * The contents of one IDX file of unsigned bytes: its dimensions and its values in row-major order.
 * Values are unsigned: read element {@code i} as {@code data[i] & 0xff}. {@code data.length} is the product of
 * {@code dims}.
 */
public final class IdxArray {
    /** The dimensions, outermost first (e.g. {@code [60000, 28, 28]} for MNIST training images). */
    public final int[] dims;
    /** The values, row-major, unsigned bytes. */
    public final byte[] data;

    /**
     * Wraps dimensions and data (no copy).
     *
     * @throws IllegalArgumentException if a dimension is not positive or {@code data.length} is not their product
     */
    public IdxArray(int[] dims, byte[] data) {
        if (dims == null || data == null) {
            throw new IllegalArgumentException("dims and data must not be null");
        }
        long n = 1;
        for (int d : dims) {
            if (d <= 0) {
                throw new IllegalArgumentException("dimensions must be positive, got " + Arrays.toString(dims));
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("too many elements for dims " + Arrays.toString(dims));
            }
        }
        if (n != data.length) {
            throw new IllegalArgumentException("data has " + data.length + " bytes, dims " + Arrays.toString(dims)
                    + " need " + n);
        }
        this.dims = dims;
        this.data = data;
    }

    /** Element {@code i} (row-major) as an unsigned value in [0, 255]. */
    public int unsigned(int i) {
        return data[i] & 0xff;
    }

    /** The number of elements per item of the outer dimension (e.g. 784 for 28x28 images); 1 for a 1-dim array. */
    public int itemSize() {
        return dims[0] == 0 ? 0 : data.length / dims[0];
    }

    @Override
    public String toString() {
        return "IdxArray" + Arrays.toString(dims);
    }
}
