package dev.roaf.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Statistical checks of {@link Engine#randomNormal} and {@link Engine#randomUniform} draws, shared by
 * the CPU tests and the GPU's native tests (which compare statistics, not bits). Bounds are five
 * standard errors wide, so a correct generator fails about once in a million runs per check.
 */
public final class RandomDrawStats {
    private RandomDrawStats() {
    }

    /** Mean, standard deviation and the fraction within one and two standard deviations of N(mean, std^2). */
    public static void assertNormal(String what, float[] v, double mean, double std) {
        int n = v.length;
        double s = 0, ss = 0;
        int in1 = 0, in2 = 0;
        for (float x : v) {
            assertTrue(Float.isFinite(x), what + ": non-finite draw " + x);
            s += x;
            double d = (x - mean) / std;
            ss += d * d;
            in1 += Math.abs(d) < 1 ? 1 : 0;
            in2 += Math.abs(d) < 2 ? 1 : 0;
        }
        double m = s / n, var = ss / n;
        assertEquals(mean, m, 5 * std / Math.sqrt(n), what + ": sample mean");
        // the variance of (x - mu)^2 / sigma^2 for a normal is 2
        assertEquals(1.0, var, 5 * Math.sqrt(2.0 / n), what + ": sample variance / std^2");
        assertFraction(what + ": within one std", in1, n, 0.682689492);
        assertFraction(what + ": within two std", in2, n, 0.954499736);
    }

    /** Every draw in [lo, hi), and the counts of ten equal bins, the mean and the variance of U[lo, hi). */
    public static void assertUniform(String what, float[] v, float lo, float hi) {
        int n = v.length;
        int[] bins = new int[10];
        double s = 0, ss = 0, width = (double) hi - lo;
        for (float x : v) {
            assertTrue(x >= lo && x < hi, what + ": draw " + x + " outside [" + lo + ", " + hi + ")");
            double u = (x - (double) lo) / width;
            bins[Math.min(9, (int) (u * 10))]++;
            s += u;
            ss += (u - 0.5) * (u - 0.5);
        }
        assertEquals(0.5, s / n, 5 * Math.sqrt(1.0 / 12 / n), what + ": sample mean (in units of the width)");
        // (u - 1/2)^2 has mean 1/12 and variance 1/80 - 1/144
        assertEquals(1.0 / 12, ss / n, 5 * Math.sqrt((1.0 / 80 - 1.0 / 144) / n), what + ": sample variance");
        for (int b = 0; b < 10; b++) {
            assertFraction(what + ": bin " + b, bins[b], n, 0.1);
        }
    }

    private static void assertFraction(String what, int count, int n, double p) {
        assertEquals(p, (double) count / n, 5 * Math.sqrt(p * (1 - p) / n), what);
    }
}
