package dev.roaf.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor as stored in a safetensors file, without its name: a dtype, a row-major shape and a flat
 * Java array holding the elements.
 *
 * <p>Supported dtypes and their arrays: {@code "F32"} {@code float[]}, {@code "F64"}
 * {@code double[]}, {@code "I32"} {@code int[]}, {@code "I64"} {@code long[]}. A shape of rank 0
 * (no dimensions) is a scalar with one element; a dimension of 0 gives an empty tensor.
 *
 * <p>The data array is shared, not copied, in both directions (factories and getters), because
 * tensors can be large; callers must not modify an array they have handed over. The shape is
 * copied. Equality compares dtype, shape and elements (floats bitwise, so NaN equals NaN).
 */
public final class TensorData {
    /** Float32 dtype name. */
    public static final String F32 = "F32";
    /** Float64 dtype name. */
    public static final String F64 = "F64";
    /** Int32 dtype name. */
    public static final String I32 = "I32";
    /** Int64 dtype name. */
    public static final String I64 = "I64";

    private final String dtype;
    private final long[] shape;
    private final Object data;

    private TensorData(String dtype, long[] shape, Object data, int length) {
        Objects.requireNonNull(shape, "shape");
        long count;
        try {
            count = elementCount(shape);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape)
                    + " has more elements than a long can count");
        }
        if (count != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + count
                    + " elements, but the " + dtype + " data has " + length);
        }
        this.dtype = dtype;
        this.shape = shape.clone();
        this.data = data;
    }

    /** A float32 tensor of the given shape over {@code data} (not copied). */
    public static TensorData f32(float[] data, long... shape) {
        return new TensorData(F32, shape, data, Objects.requireNonNull(data, "data").length);
    }

    /** A float64 tensor of the given shape over {@code data} (not copied). */
    public static TensorData f64(double[] data, long... shape) {
        return new TensorData(F64, shape, data, Objects.requireNonNull(data, "data").length);
    }

    /** An int32 tensor of the given shape over {@code data} (not copied). */
    public static TensorData i32(int[] data, long... shape) {
        return new TensorData(I32, shape, data, Objects.requireNonNull(data, "data").length);
    }

    /** An int64 tensor of the given shape over {@code data} (not copied). */
    public static TensorData i64(long[] data, long... shape) {
        return new TensorData(I64, shape, data, Objects.requireNonNull(data, "data").length);
    }

    /** The number of elements of {@code shape}: the product of its dimensions, 1 for rank 0. */
    static long elementCount(long[] shape) {
        long count = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape "
                        + Arrays.toString(shape));
            }
            count = Math.multiplyExact(count, d);
        }
        return count;
    }

    /** Bytes per element of a supported dtype, or 0 if roaf does not read or write it. */
    static int elementSize(String dtype) {
        switch (dtype) {
            case F32:
            case I32:
                return 4;
            case F64:
            case I64:
                return 8;
            default:
                return 0;
        }
    }

    /** The dtype name: {@code "F32"}, {@code "F64"}, {@code "I32"} or {@code "I64"}. */
    public String dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public long[] shape() {
        return shape.clone();
    }

    /** The number of elements (the product of the shape). */
    public int size() {
        return java.lang.reflect.Array.getLength(data);
    }

    /** The size of the data in bytes. */
    public long byteSize() {
        return (long) size() * elementSize(dtype);
    }

    /** The backing array ({@code float[]}, {@code double[]}, {@code int[]} or {@code long[]}). */
    public Object data() {
        return data;
    }

    /** The elements of an F32 tensor (the backing array, not a copy). */
    public float[] floats() {
        return (float[]) checked(F32);
    }

    /** The elements of an F64 tensor (the backing array, not a copy). */
    public double[] doubles() {
        return (double[]) checked(F64);
    }

    /** The elements of an I32 tensor (the backing array, not a copy). */
    public int[] ints() {
        return (int[]) checked(I32);
    }

    /** The elements of an I64 tensor (the backing array, not a copy). */
    public long[] longs() {
        return (long[]) checked(I64);
    }

    private Object checked(String wanted) {
        if (!dtype.equals(wanted)) {
            throw new IllegalStateException("tensor has dtype " + dtype + ", not " + wanted);
        }
        return data;
    }

    /** True if {@code o} is a tensor with the same dtype, shape and elements. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TensorData t) || !dtype.equals(t.dtype)
                || !Arrays.equals(shape, t.shape)) {
            return false;
        }
        return switch (dtype) {
            case F32 -> Arrays.equals((float[]) data, (float[]) t.data);
            case F64 -> Arrays.equals((double[]) data, (double[]) t.data);
            case I32 -> Arrays.equals((int[]) data, (int[]) t.data);
            default -> Arrays.equals((long[]) data, (long[]) t.data);
        };
    }

    /** A hash of dtype, shape and elements, consistent with {@link #equals}. */
    @Override
    public int hashCode() {
        int h = 31 * dtype.hashCode() + Arrays.hashCode(shape);
        return 31 * h + switch (dtype) {
            case F32 -> Arrays.hashCode((float[]) data);
            case F64 -> Arrays.hashCode((double[]) data);
            case I32 -> Arrays.hashCode((int[]) data);
            default -> Arrays.hashCode((long[]) data);
        };
    }

    /** A short description such as {@code F32[2, 3]}; the elements are not listed. */
    @Override
    public String toString() {
        return dtype + Arrays.toString(shape);
    }
}
