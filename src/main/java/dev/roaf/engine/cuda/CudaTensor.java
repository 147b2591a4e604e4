package dev.roaf.engine.cuda;

import dev.roaf.engine.DType;
import dev.roaf.engine.Tensor;
import jcuda.driver.CUdeviceptr;

/** A tensor in device memory: an allocation shared by an owner and its views (like CpuTensor). */
final class CudaTensor extends Tensor {

    /** The device allocation behind an owner and all its views. */
    static final class Storage {
        final CudaEngine engine;
        final CUdeviceptr base;
        final long bytes;
        volatile boolean open = true;

        Storage(CudaEngine engine, CUdeviceptr base, long bytes) {
            this.engine = engine;
            this.base = base;
            this.bytes = bytes;
        }
    }

    private final Storage storage;
    private final boolean owner;

    CudaTensor(DType dtype, Storage storage, boolean owner, long offset, int... shape) {
        super(dtype, offset, shape);
        this.storage = storage;
        this.owner = owner;
    }

    Storage storage() {
        return storage;
    }

    /** Device address of element 0. */
    CUdeviceptr ptr() {
        checkOpen();
        return offset == 0 ? storage.base : storage.base.withByteOffset(offset * 4L);
    }

    /** Device address of element {@code index} (relative to this tensor's first element). */
    CUdeviceptr ptr(long index) {
        checkOpen();
        long o = offset + index;
        return o == 0 ? storage.base : storage.base.withByteOffset(o * 4L);
    }

    private void checkOpen() {
        if (!storage.open) {
            throw new IllegalStateException("tensor " + this + " was used after its storage was closed");
        }
    }

    @Override
    protected Tensor makeView(long absoluteOffset, int[] newShape) {
        checkOpen();
        return new CudaTensor(dtype(), storage, false, absoluteOffset, newShape);
    }

    @Override
    public boolean isOpen() {
        return storage.open;
    }

    @Override
    public void close() {
        if (owner && storage.open) {
            storage.open = false;
            storage.engine.free(storage);
        }
    }
}
