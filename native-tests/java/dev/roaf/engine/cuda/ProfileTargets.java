package dev.roaf.engine.cuda;

import dev.roaf.engine.Filter;
import dev.roaf.engine.Tensor;

import java.util.SplittableRandom;

/**
 * Runs, once each, the kernels whose time is furthest from its target, for a profiler to look inside:
 * native-tests/gpu-check.sh runs it under Nsight Compute ({@code ncu}, when the machine has it) and keeps the
 * report. The kernels: the persistent roaf-rnn sweeps at psMNIST's shape (T = 784, B = 100, N = 128, dense
 * filter; issue 5's forward target is 1 us per step; then again on the opt-in fixed-layout kernels), the fused MLP stack passes at N = 128, B = 128 with a
 * signed permutation per layer (issue 6: 50,000 layers in 100 ms; 200 layers here, the same kernel), and the
 * own GEMM's split-K weight gradient of the psMNIST update. Usage: {@code ProfileTargets} (no arguments).
 */
public final class ProfileTargets {
    private ProfileTargets() {
    }

    public static void main(String[] args) {
        SplittableRandom r = new SplittableRandom(5);
        try (CudaEngine e = new CudaEngine(0, CudaEngine.GemmPath.OWN, System.out::println)) {
            int n = 128, batch = 100, steps = 784;
            try (Tensor p = GpuBench.rand(e, r, 1, steps, batch, n); Tensor w = GpuBench.rand(e, r, 1.0 / Math.sqrt(n), n, n);
                 Tensor o = GpuBench.rand(e, r, 1.0 / Math.sqrt(n), n, n); Tensor h = e.zeros(steps + 1, batch, n);
                 Tensor z = e.zeros(steps, batch, n); Tensor gOut = GpuBench.rand(e, r, 1, batch, n); Tensor dw = e.zeros(n, n)) {
                Filter f = Filter.dense(o);
                e.recurrenceForward(p, w, f, 0.99f, 0.03f, h, z);
                e.recurrenceBackward(w, f, 0.99f, 0.03f, z, gOut, null);
                // The same sweeps on the opt-in fixed-layout kernels (roaf_recurrence_*_fixed_*), side by side in the report.
                e.useFixedRecurrences(true);
                try {
                    e.recurrenceForward(p, w, f, 0.99f, 0.03f, h, z);
                    e.recurrenceBackward(w, f, 0.99f, 0.03f, z, gOut, null);
                } finally {
                    e.useFixedRecurrences(false);
                }
                // dW = d^T h over all T*B rows: the own GEMM split along K (GemmPlan)
                e.gemm(true, false, 1f, z.reshape(steps * batch, n), h.slice(0, steps).reshape(steps * batch, n), 0f, dw);
                e.synchronize();
            }
            int layers = 200, rows = 128;
            int[] idx = new int[layers * n];
            float[] sg = new float[layers * n];
            for (int l = 0; l < layers; l++) {
                System.arraycopy(GpuBench.perm(r, n), 0, idx, l * n, n);
                System.arraycopy(GpuBench.signs(r, n), 0, sg, l * n, n);
            }
            try (Tensor x = e.zeros(layers + 1, rows, n); Tensor w = GpuBench.rand(e, r, 1.0 / Math.sqrt(n), layers, n, n);
                 Tensor b = e.zeros(layers, n); Tensor z = e.zeros(layers, rows, n); Tensor g = GpuBench.rand(e, r, 1, rows, n);
                 Tensor dw = e.zeros(layers, n, n); Tensor db = e.zeros(layers, n);
                 Tensor index = e.fromHost(idx, layers, n); Tensor sign = e.fromHost(sg, layers, n)) {
                e.upload(GpuTests.random(r, (long) rows * n, 1), x.slice(0));
                Filter f = Filter.signedPermutation(index, sign);
                e.roafStackForward(x, w, b, f, 1f - 1f / layers, 1f / layers, z);
                e.roafStackBackward(x, w, f, 1f - 1f / layers, 1f / layers, z, g, dw, db);
                e.synchronize();
            }
        }
        System.out.println("ProfileTargets: done");
    }
}
