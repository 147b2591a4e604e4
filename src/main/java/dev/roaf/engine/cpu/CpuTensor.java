package dev.roaf.engine.cpu;

import dev.roaf.engine.DType;
import dev.roaf.engine.Tensor;

/** A tensor in Java heap memory: a float[] or int[] storage shared by an owner and its views. */
final class CpuTensor extends Tensor {

    /** The array behind an owner and all its views; {@code open} flips once, on the owner's close. */
    static final class Storage {
        final float[] floats;
        final int[] ints;
        volatile boolean open = true;

        Storage(float[] floats, int[] ints) {
            this.floats = floats;
            this.ints = ints;
        }
    }

    private final Storage storage;
    private final boolean owner;

    CpuTensor(DType dtype, Storage storage, boolean owner, long offset, int... shape) {
        super(dtype, offset, shape);
        this.storage = storage;
        this.owner = owner;
    }

    static CpuTensor allocate(DType dtype, int... shape) {
        long n = 1;
        for (int d : shape) {
            n = Math.multiplyExact(n, d);
        }
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("tensor of " + n + " elements exceeds the CPU engine's limit of 2^31 elements per tensor");
        }
        Storage s = dtype == DType.F32 ? new Storage(new float[(int) n], null) : new Storage(null, new int[(int) n]);
        return new CpuTensor(dtype, s, true, 0, shape);
    }

    /** The backing float array; index with {@link #off()}. */
    float[] f() {
        if (storage.floats == null) {
            throw new IllegalArgumentException("expected an F32 tensor, got " + this);
        }
        checkOpen();
        return storage.floats;
    }

    /** The backing int array; index with {@link #off()}. */
    int[] i() {
        if (storage.ints == null) {
            throw new IllegalArgumentException("expected an I32 tensor, got " + this);
        }
        checkOpen();
        return storage.ints;
    }

    /** Offset of element 0 in the backing array. */
    int off() {
        return (int) offset;
    }

    private void checkOpen() {
        if (!storage.open) {
            throw new IllegalStateException("tensor " + this + " was used after its storage was closed");
        }
    }

    @Override
    protected Tensor makeView(long absoluteOffset, int[] newShape) {
        checkOpen();
        return new CpuTensor(dtype(), storage, false, absoluteOffset, newShape);
    }

    @Override
    public boolean isOpen() {
        return storage.open;
    }

    @Override
    public void close() {
        if (owner) {
            storage.open = false;
        }
    }
}
