package dev.roaf.diag;

import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Spectral norms {@code ||W||_2} of square matrices by power iteration on {@code W^T W}, in double.
 * Each estimate is a lower bound of the true norm that increases with the iterations; it stops when
 * it changes by less than {@code tol} (relative) or after {@code maxIter} iterations.
 */
public final class PowerIteration {
    private PowerIteration() {
    }

    /** Default iteration cap and relative tolerance. */
    public static final int MAX_ITER = 300;
    public static final double TOL = 1e-7;

    /** {@code ||W||_2} of the row-major {@code [n,n]} matrix at {@code w[off..]}. */
    public static double spectralNorm(float[] w, int off, int n, int maxIter, double tol) {
        double[] v = new double[n], u = new double[n];
        SplittableRandom rng = new SplittableRandom(0x5eed);
        double norm = 0;
        for (int i = 0; i < n; i++) {
            v[i] = rng.nextGaussian();
            norm += v[i] * v[i];
        }
        scale(v, 1 / Math.sqrt(norm));
        double sigma = 0;
        for (int it = 0; it < maxIter; it++) {
            // u = W v
            for (int i = 0; i < n; i++) {
                double s = 0;
                int r = off + i * n;
                for (int j = 0; j < n; j++) {
                    s += w[r + j] * v[j];
                }
                u[i] = s;
            }
            double next = Math.sqrt(dot(u, u));
            if (next == 0) {
                return 0;
            }
            // v = W^T u / ||W^T u||
            java.util.Arrays.fill(v, 0);
            for (int i = 0; i < n; i++) {
                double ui = u[i];
                int r = off + i * n;
                for (int j = 0; j < n; j++) {
                    v[j] += w[r + j] * ui;
                }
            }
            double vn = Math.sqrt(dot(v, v));
            scale(v, 1 / vn);
            boolean done = Math.abs(next - sigma) <= tol * next;
            sigma = Math.max(sigma, next);
            // ||W^T u|| / ||u|| is also a lower bound, and a better one.
            sigma = Math.max(sigma, vn / next);
            if (done) {
                break;
            }
        }
        return sigma;
    }

    /** {@code max_l ||W_l||_2} over the {@code layers} matrices {@code [n,n]} stored one after another, in parallel. */
    public static double maxSpectralNorm(float[] w, int layers, int n) {
        return IntStream.range(0, layers).parallel()
                .mapToDouble(l -> spectralNorm(w, l * n * n, n, MAX_ITER, TOL)).max().orElse(0);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static void scale(double[] a, double f) {
        for (int i = 0; i < a.length; i++) {
            a[i] *= f;
        }
    }
}
