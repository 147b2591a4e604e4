package dev.roaf.engine;

import dev.roaf.engine.cpu.CpuEngine;
import dev.roaf.engine.cuda.CudaEngine;
import dev.roaf.engine.cuda.CudaEngineException;
import dev.roaf.engine.cuda.CudaProbe;

import java.util.function.Consumer;

/**
 * Opens the engine a device name asks for: {@code cpu}, {@code cuda} (or {@code cuda:N}) or
 * {@code auto} (the GPU when one is usable, otherwise the CPU).
 */
public final class Engines {
    /**
     * Whether the CUDA engine of this build has passed {@code native-tests/gpu-check.sh} on a GPU
     * (kernels against the CPU engine, whole-model parity). Until it has, {@code auto} keeps to the
     * CPU so that nobody trains on unverified kernels without asking for them; {@code cuda} still
     * opens it. True since the check of bench/results/gpu-check-h200-2026-11-28-run2 (H200, CUDA 13.0, driver
     * 580): all 40 GPU tests on the own GEMM and the 23 kernel and model parity tests on cuBLAS passed. A change
     * to kernels/ or the CUDA engine is unverified again until the next GPU check passes.
     */
    static final boolean VERIFIED_ON_A_GPU = true;

    /** What a CPU run without the Vector API module is told (once, with the engine's other notice). */
    static final String SCALAR_HINT = "the CPU's matrix products run as plain loops; start java with"
            + " --add-modules jdk.incubator.vector for faster ones (same results)";

    private Engines() {
    }

    /**
     * Opens an engine.
     *
     * @param device  {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}
     * @param threads CPU worker threads (0 = all processors)
     * @param notices receives one line: the CUDA card and GEMM path opened, or why {@code auto} fell back to the CPU,
     *                or (for {@code cpu}) that the Vector API module is missing; may be null
     * @throws IllegalArgumentException for an unknown name, or {@code cuda} when no CUDA engine is usable
     */
    public static Engine open(String device, int threads, Consumer<String> notices) {
        int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        switch (device) {
            case "cpu": {
                CpuEngine e = new CpuEngine(t);
                if (notices != null && !CpuEngine.vectorProducts()) {
                    notices.accept("roaf: " + SCALAR_HINT);
                }
                return e;
            }
            case "auto": {
                // One line either way: the CUDA engine names the card (and its GEMM path), or the CPU fallback says why.
                CudaProbe probe = CudaProbe.get();
                String why = probe.reason();
                if (probe.usable() && !VERIFIED_ON_A_GPU) {
                    why = "a CUDA device is present, but this build's CUDA engine has not yet passed its GPU check"
                            + " (native-tests/gpu-check.sh); pass --device cuda to use it anyway";
                } else if (probe.usable()) {
                    try {
                        return new CudaEngine(0, CudaEngine.GemmPath.AUTO, notices);
                    } catch (CudaEngineException e) {
                        why = e.getMessage();
                    }
                }
                CpuEngine e = new CpuEngine(t);
                if (notices != null) {
                    notices.accept("roaf: " + why + "; running on " + e.deviceName()
                            + (CpuEngine.vectorProducts() ? "" : "; " + SCALAR_HINT));
                }
                return e;
            }
            default:
                if (device.equals("cuda") || device.startsWith("cuda:")) {
                    return openCuda(device, notices);
                }
                throw new IllegalArgumentException("unknown --device '" + device + "'; expected auto, cpu, cuda or cuda:N");
        }
    }

    private static Engine openCuda(String device, Consumer<String> notices) {
        int ordinal = 0;
        if (device.startsWith("cuda:")) {
            try {
                ordinal = Integer.parseInt(device.substring(5));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--device " + device + ": expected cuda or cuda:N with N a device number (0, 1, ...)");
            }
        }
        CudaProbe probe = CudaProbe.get();
        if (!probe.usable()) {
            throw new IllegalArgumentException("--device " + device + ": " + probe.reason() + "; use --device cpu (or auto)");
        }
        try {
            return new CudaEngine(ordinal, CudaEngine.GemmPath.AUTO, notices);
        } catch (CudaEngineException e) {
            throw new IllegalArgumentException("--device " + device + ": " + e.getMessage() + "; use --device cpu (or auto)", e);
        }
    }
}
