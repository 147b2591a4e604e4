package dev.roaf.engine.cuda;

/** Device memory ran out: the message says how much was asked and how much the device had free. */
public final class CudaOutOfMemoryException extends CudaEngineException {
    private static final long serialVersionUID = 1L;
    private final long requested;
    private final long free;

    public CudaOutOfMemoryException(String message, long requested, long free) {
        super(message);
        this.requested = requested;
        this.free = free;
    }

    /** Bytes the failed allocation asked for. */
    public long requested() {
        return requested;
    }

    /** Bytes free on the device when it failed (-1 when unknown). */
    public long free() {
        return free;
    }
}
