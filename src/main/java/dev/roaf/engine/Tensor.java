package dev.roaf.engine;

import java.util.Arrays;

/**
 * A dense, row-major array of {@link DType#F32} or {@link DType#I32} elements living on one engine
 * (host memory for the CPU engine, device memory for CUDA).
 *
 * <p>A tensor either owns its storage (made by {@link Engine#zeros}) or is a view into another
 * tensor's storage ({@link #slice}, {@link #view}, {@link #reshape}). Closing an owner releases the
 * storage; closing a view does nothing. Using any tensor whose storage was released throws
 * {@link IllegalStateException}. Tensors are not thread-safe; the engine that made them decides how
 * operations run in parallel.
 */
public abstract class Tensor implements AutoCloseable {
    private final DType dtype;
    private final int[] shape;
    private final long size;
    /** Offset of element 0 in the storage, in elements. */
    protected final long offset;

    protected Tensor(DType dtype, long offset, int... shape) {
        this.dtype = dtype;
        this.offset = offset;
        this.shape = shape.clone();
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        this.size = n;
    }

    /** The element type. */
    public final DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public final int[] shape() {
        return shape.clone();
    }

    /** The number of dimensions. */
    public final int rank() {
        return shape.length;
    }

    /** The extent of dimension {@code i}; negative {@code i} counts from the end. */
    public final int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    /** The number of elements. */
    public final long size() {
        return size;
    }

    /** Number of rows when the tensor is seen as a matrix whose last dimension is the columns. */
    public final int rows() {
        // The product of the leading dimensions (not size / cols, which is 0 for a [M,0] matrix).
        long r = 1;
        for (int i = 0; i < shape.length - 1; i++) {
            r *= shape[i];
        }
        return Math.toIntExact(r);
    }

    /** Number of columns (the last dimension) when the tensor is seen as a matrix. */
    public final int cols() {
        return shape.length == 0 ? 1 : shape[shape.length - 1];
    }

    /** A view of the {@code index}-th sub-tensor along the first dimension. */
    public final Tensor slice(int index) {
        if (shape.length == 0 || index < 0 || index >= shape[0]) {
            throw new IndexOutOfBoundsException("slice " + index + " of shape " + Arrays.toString(shape));
        }
        int[] sub = Arrays.copyOfRange(shape, 1, shape.length);
        long step = size / shape[0];
        return view(index * step, sub);
    }

    /** A view of sub-tensors {@code [from, to)} along the first dimension. */
    public final Tensor slice(int from, int to) {
        if (shape.length == 0 || from < 0 || to > shape[0] || from > to) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of shape " + Arrays.toString(shape));
        }
        int[] sub = shape.clone();
        sub[0] = to - from;
        long step = shape[0] == 0 ? 0 : size / shape[0];
        return view(from * step, sub);
    }

    /** A view of the same elements with another shape of the same size. */
    public final Tensor reshape(int... newShape) {
        long n = 1;
        for (int d : newShape) {
            n *= d;
        }
        if (n != size) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
        }
        return view(0, newShape);
    }

    /**
     * A view of {@code prod(shape)} consecutive elements starting {@code start} elements after this
     * tensor's first element.
     */
    public final Tensor view(long start, int... newShape) {
        long n = 1;
        for (int d : newShape) {
            n *= d;
        }
        if (start < 0 || start + n > size) {
            throw new IndexOutOfBoundsException("view of " + n + " elements at " + start + " in a tensor of " + size);
        }
        return makeView(offset + start, newShape);
    }

    /** Engine-specific view construction over the same storage. */
    protected abstract Tensor makeView(long absoluteOffset, int[] newShape);

    /** Whether the storage behind this tensor is still alive. */
    public abstract boolean isOpen();

    /** Releases the storage if this tensor owns it; does nothing for views or when already closed. */
    @Override
    public abstract void close();

    /** Checks the shape, naming the tensor in the message when it differs. */
    public final Tensor requireShape(String name, int... expected) {
        if (!Arrays.equals(shape, expected)) {
            throw new IllegalArgumentException(name + ": expected shape " + Arrays.toString(expected) + ", got " + Arrays.toString(shape));
        }
        return this;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + dtype + Arrays.toString(shape);
    }
}
