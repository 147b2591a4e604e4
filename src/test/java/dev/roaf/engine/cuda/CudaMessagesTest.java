package dev.roaf.engine.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CUDA engine's error messages, on the CPU: what failed, how much was asked and free, what to do. */
class CudaMessagesTest {

    @Test
    void sizesForPeople() {
        assertEquals("512 bytes", CudaEngine.bytes(512));
        assertEquals("1.00 KiB (1024 bytes)", CudaEngine.bytes(1024));
        assertEquals("1.00 TiB (1099511627776 bytes)", CudaEngine.bytes(1L << 40));
        assertEquals("79.1 GiB (84934656000 bytes)", CudaEngine.bytes(84_934_656_000L));
    }

    @Test
    void outOfMemoryNamesTheRequestTheFreeMemoryAndTheRemedy() {
        String m = CudaEngine.outOfMemoryMessage(0, "a tensor [100, 784, 128] F32", 40_140_800, 1L << 20, 80L << 30,
                3L << 20, 7);
        assertTrue(m.startsWith("cuda:0 out of memory allocating a tensor [100, 784, 128] F32: asked for 38.3 MiB (40140800 bytes)"), m);
        assertTrue(m.contains("only 1.00 MiB (1048576 bytes) free of 80.0 GiB"), m);
        assertTrue(m.contains("this engine holds 3.00 MiB (3145728 bytes) in 7 allocations"), m);
        assertTrue(m.contains("--batch"), m);
        assertTrue(m.contains("--recompute-every"), m);
        assertFalse(m.contains("\n"), m);

        String whole = CudaEngine.outOfMemoryMessage(1, "a tensor [1048576, 262144] F32", 1L << 40, -1, 80L << 30, 0, 0);
        assertTrue(whole.contains("asked for 1.00 TiB (1099511627776 bytes), more than the device's 80.0 GiB"), whole);
        assertTrue(whole.contains("in 0 allocations"), whole);

        String unknown = CudaEngine.outOfMemoryMessage(0, "scratch carry", 4096, -1, -1, 4, 1);
        assertTrue(unknown.contains("free memory unknown"), unknown);
        assertTrue(unknown.contains("in 1 allocation)"), unknown);
    }

    @Test
    void failuresNameTheOperationTheKernelAndTheAdvice() {
        String sticky = CudaEngine.failureMessage(0, "download", "CUDA_ERROR_ILLEGAL_ADDRESS", "roaf_forward_epilogue in recurrenceForward");
        assertTrue(sticky.startsWith("cuda:0 download failed: CUDA_ERROR_ILLEGAL_ADDRESS (last kernel launched: "
                + "roaf_forward_epilogue in recurrenceForward)"), sticky);
        assertTrue(sticky.contains("restart the process"), sticky);

        String launch = CudaEngine.failureMessage(0, "fill: launching kernel roaf_fill (grid 1x1, block 4096x1)",
                "CUDA_ERROR_INVALID_VALUE", "roaf_fill in fill");
        assertTrue(launch.contains("fill: launching kernel roaf_fill"), launch);
        assertTrue(launch.contains("please report it"), launch);

        String oom = CudaEngine.failureMessage(2, "gemm", "CUDA_ERROR_OUT_OF_MEMORY", "");
        assertTrue(oom.startsWith("cuda:2 gemm failed: CUDA_ERROR_OUT_OF_MEMORY; use a smaller --batch"), oom);

        String other = CudaEngine.failureMessage(0, "synchronize", "CUDA_ERROR_UNKNOWN", "");
        assertTrue(other.endsWith("check nvidia-smi and the driver, or rerun with --device cpu"), other);
    }
}
