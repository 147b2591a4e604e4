package dev.roaf.engine.cuda;

import dev.roaf.engine.DType;
import dev.roaf.engine.Engine;
import dev.roaf.engine.Tensor;
import dev.roaf.engine.cpu.CpuEngine;
import org.junit.jupiter.api.Assumptions;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Shared plumbing of the GPU tests: the engines (opened once per JVM, skipped without a GPU),
 * mirrored tensors (the same host data on the CPU reference and on the GPU) and the comparison
 * ||gpu - cpu|| / ||cpu|| < 1e-4 with NaN never passing. GPU outputs are poisoned with NaN first.
 */
final class GpuTests {
    static final double TOLERANCE = 1e-4;
    private static CpuEngine cpu;
    private static List<CudaEngine> gpus;

    private GpuTests() {
    }

    /**
     * Skips the calling test when no GPU is usable; fails it instead when {@code -Droaf.requireGpu=true}
     * (gpu-check.sh sets it where nvidia-smi sees a card, so a broken driver setup cannot pass as "skipped").
     */
    static void assumeGpu() {
        CudaProbe p = CudaProbe.get();
        if (!p.usable() && Boolean.getBoolean("roaf.requireGpu")) {
            fail("a GPU is required here (-Droaf.requireGpu=true) but " + p.reason());
        }
        Assumptions.assumeTrue(p.usable(), p.reason());
    }

    static synchronized CpuEngine cpu() {
        if (cpu == null) {
            cpu = new CpuEngine(Math.min(8, Runtime.getRuntime().availableProcessors()));
        }
        return cpu;
    }

    /**
     * The engine(s) to test: the default path, plus the own-GEMM path when the default is cuBLAS. With
     * {@code -Droaf.gpuTests.cublasOnly=true} (gpu-check.sh's second run, through the cuBLAS shim, after a run
     * on the own kernels) only the cuBLAS engine, and its absence is a failure.
     */
    static synchronized List<CudaEngine> gpus() {
        assumeGpu();
        if (gpus == null) {
            gpus = new ArrayList<>();
            CudaEngine auto = new CudaEngine(0, CudaEngine.GemmPath.AUTO, line -> System.out.println("[gpu-tests] " + line));
            gpus.add(auto);
            if (Boolean.getBoolean("roaf.gpuTests.cublasOnly")) {
                assertTrue(auto.usesCublas(), "roaf.gpuTests.cublasOnly is set but cuBLAS did not load: " + auto.gemmDescription());
            } else if (auto.usesCublas()) {
                gpus.add(new CudaEngine(0, CudaEngine.GemmPath.OWN, line -> System.out.println("[gpu-tests] " + line)));
            }
        }
        return gpus;
    }

    /** The same tensor on the CPU reference and on one GPU engine. */
    static final class Pair implements AutoCloseable {
        final Tensor c;
        final Tensor g;

        Pair(Tensor c, Tensor g) {
            this.c = c;
            this.g = g;
        }

        Pair slice(int i) {
            return new Pair(c.slice(i), g.slice(i));
        }

        @Override
        public void close() {
            c.close();
            g.close();
        }
    }

    static Pair of(CudaEngine gpu, float[] data, int... shape) {
        return new Pair(cpu().fromHost(data, shape), gpu.fromHost(data, shape));
    }

    static Pair ofInts(CudaEngine gpu, int[] data, int... shape) {
        return new Pair(cpu().fromHost(data, shape), gpu.fromHost(data, shape));
    }

    static float[] random(SplittableRandom rnd, long n, double scale) {
        float[] a = new float[Math.toIntExact(n)];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    static long size(int... shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    static Pair rand(CudaEngine gpu, SplittableRandom rnd, double scale, int... shape) {
        return of(gpu, random(rnd, size(shape), scale), shape);
    }

    /** An output: zeros on the CPU, NaN on the GPU (so an element the kernel forgets fails the test). */
    static Pair poisoned(CudaEngine gpu, int... shape) {
        Pair p = new Pair(cpu().zeros(shape), gpu.zeros(shape));
        gpu.fill(p.g, Float.NaN);
        return p;
    }

    static Pair poisonedInts(CudaEngine gpu, int... shape) {
        int[] bad = new int[Math.toIntExact(size(shape))];
        Arrays.fill(bad, -12345);
        return new Pair(cpu().zeros(DType.I32, shape), gpu.fromHost(bad, shape));
    }

    static void poison(CudaEngine gpu, Tensor t) {
        gpu.fill(t, Float.NaN);
    }

    static void assertClose(String what, CudaEngine gpu, Pair p) {
        float[] ref = cpu().toHost(p.c);
        float[] out = gpu.toHost(p.g);
        assertClose(what + " [" + gpu.gemmDescription() + "]", ref, out);
    }

    static void assertClose(String what, float[] ref, float[] out) {
        assertClose(what, ref, out, TOLERANCE);
    }

    /** {@code ||out - ref|| / ||ref||} over the finite elements of {@code ref} (NaN and infinities not compared). */
    static double relativeError(float[] ref, float[] out) {
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Float.isNaN(ref[i]) || Float.isInfinite(ref[i])) {
                continue;
            }
            double d = (double) out[i] - ref[i];
            num += d * d;
            den += (double) ref[i] * ref[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    static void assertClose(String what, float[] ref, float[] out, double tolerance) {
        int worst = -1;
        double worstErr = -1;
        for (int i = 0; i < ref.length; i++) {
            if (Float.isNaN(out[i]) != Float.isNaN(ref[i]) || Float.isInfinite(out[i]) != Float.isInfinite(ref[i])) {
                fail(what + ": element " + i + " is " + out[i] + ", reference " + ref[i]);
            }
            if (Float.isNaN(ref[i]) || Float.isInfinite(ref[i])) {
                continue;
            }
            double d = Math.abs((double) out[i] - ref[i]);
            if (d > worstErr) {
                worstErr = d;
                worst = i;
            }
        }
        double rel = relativeError(ref, out);
        assertTrue(rel < tolerance, what + ": relative error " + rel + " (worst element " + worst + ": "
                + (worst >= 0 ? out[worst] + " vs " + ref[worst] : "") + "; tolerance " + tolerance + ")");
    }

    static void assertCloseScalar(String what, double ref, double out) {
        assertTrue(!Double.isNaN(out), what + " is NaN");
        double rel = Math.abs(out - ref) / Math.max(Math.abs(ref), 1e-30);
        assertTrue(rel < TOLERANCE, what + ": " + out + " vs reference " + ref + " (relative error " + rel + ")");
    }

    static void assertSameInts(String what, CudaEngine gpu, Pair p) {
        int[] ref = new int[Math.toIntExact(p.c.size())], out = new int[ref.length];
        cpu().download(p.c, ref);
        gpu.download(p.g, out);
        assertArrayEquals(ref, out, what);
    }
}
