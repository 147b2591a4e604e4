package dev.roaf.engine.cuda;

import dev.roaf.engine.Filter;
import dev.roaf.engine.Tensor;

import java.util.SplittableRandom;

/**
 * Runs, once each, the kernels whose time is furthest from its target, for a profiler to look inside:
 * native-tests/gpu-check.sh runs it under Nsight Compute ({@code ncu}, when the machine has it) and keeps the
 * report. The kernels: the persistent roaf-rnn sweeps at psMNIST's shape (T = 784, B = 100, N = 128, dense
 * filter; issue 5's forward target is 1 us per step), the fused MLP stack passes at N = 128, B = 128 with a
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
            try (Tensor p = rand(e, r, 1, steps, batch, n); Tensor w = rand(e, r, 1.0 / Math.sqrt(n), n, n);
                 Tensor o = rand(e, r, 1.0 / Math.sqrt(n), n, n); Tensor h = e.zeros(steps + 1, batch, n);
                 Tensor z = e.zeros(steps, batch, n); Tensor gOut = rand(e, r, 1, batch, n); Tensor dw = e.zeros(n, n)) {
                Filter f = Filter.dense(o);
                e.recurrenceForward(p, w, f, 0.99f, 0.03f, h, z);
                e.recurrenceBackward(w, f, 0.99f, 0.03f, z, gOut, null);
                // dW = d^T h over all T*B rows: the own GEMM split along K (GemmPlan)
                e.gemm(true, false, 1f, z.reshape(steps * batch, n), h.slice(0, steps).reshape(steps * batch, n), 0f, dw);
                e.synchronize();
            }
            int layers = 200, rows = 128;
            try (Tensor x = e.zeros(layers + 1, rows, n); Tensor w = rand(e, r, 1.0 / Math.sqrt(n), layers, n, n);
                 Tensor b = e.zeros(layers, n); Tensor z = e.zeros(layers, rows, n); Tensor g = rand(e, r, 1, rows, n);
                 Tensor dw = e.zeros(layers, n, n); Tensor db = e.zeros(layers, n);
                 Tensor index = e.fromHost(permutations(r, layers, n), layers, n); Tensor sign = rand(e, r, 1, layers, n)) {
                e.upload(random(r, (long) rows * n), x.slice(0));
                Filter f = Filter.signedPermutation(index, sign);
                e.roafStackForward(x, w, b, f, 1f - 1f / layers, 1f / layers, z);
                e.roafStackBackward(x, w, f, 1f - 1f / layers, 1f / layers, z, g, dw, db);
                e.synchronize();
            }
        }
        System.out.println("ProfileTargets: done");
    }

    private static float[] random(SplittableRandom r, long count) {
        float[] a = new float[Math.toIntExact(count)];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return a;
    }

    private static Tensor rand(CudaEngine e, SplittableRandom r, double scale, int... shape) {
        long count = 1;
        for (int d : shape) {
            count *= d;
        }
        float[] a = random(r, count);
        for (int i = 0; i < a.length; i++) {
            a[i] *= (float) scale;
        }
        return e.fromHost(a, shape);
    }

    /** One random permutation of 0..n-1 per layer (Fisher-Yates). */
    private static int[] permutations(SplittableRandom r, int layers, int n) {
        int[] out = new int[layers * n];
        for (int l = 0; l < layers; l++) {
            for (int j = 0; j < n; j++) {
                out[l * n + j] = j;
            }
            for (int j = n - 1; j > 0; j--) {
                int k = r.nextInt(j + 1), t = out[l * n + j];
                out[l * n + j] = out[l * n + k];
                out[l * n + k] = t;
            }
        }
        return out;
    }
}
