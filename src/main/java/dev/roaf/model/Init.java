package dev.roaf.model;

import dev.roaf.engine.SeedMix;

import java.util.SplittableRandom;

/**
 * Random initialisation on the host: reproducible streams per named tensor, the Haar-random
 * orthogonal matrix, and random signed permutations.
 *
 * <p>Every tensor draws from its own stream, seeded by mixing the model seed with the tensor's name
 * and layer index, so a tensor's values do not depend on the order in which tensors are made and
 * layers can be drawn in parallel.
 */
public final class Init {
    private Init() {
    }

    /** A generator for tensor {@code name}, layer {@code index}, of a model seeded with {@code seed}. */
    public static SplittableRandom stream(long seed, String name, long index) {
        long h = SeedMix.fmix(seed ^ 0x5DEECE66DL);
        for (int i = 0; i < name.length(); i++) {
            h = SeedMix.fmix(h ^ name.charAt(i));
        }
        return new SplittableRandom(SeedMix.fmix(h ^ SeedMix.fmix(index + 0x9E3779B97F4A7C15L)));
    }

    /** Fills {@code out} with N(0, std^2) samples. */
    public static void normal(SplittableRandom rng, float[] out, double std) {
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (rng.nextGaussian() * std);
        }
    }

    /** Fills {@code out} with U(-bound, bound) samples (PyTorch's default for Linear/RNN/LSTM weights). */
    public static void uniform(SplittableRandom rng, float[] out, double bound) {
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
    }

    /**
     * A Haar-distributed random orthogonal {@code n x n} matrix, row-major, written at
     * {@code out[offset]}. Q of the QR factorisation of a standard Gaussian matrix, taking R with a
     * positive diagonal (the sign fix without which the sample is not Haar). Gram-Schmidt with one
     * re-orthogonalisation pass in double gives exactly that Q (its R diagonal is the column norms,
     * positive by construction) with orthogonality near double precision.
     */
    public static void haar(SplittableRandom rng, int n, float[] out, int offset) {
        double[][] cols = new double[n][n];   // cols[j] = column j of the Gaussian matrix
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < n; i++) {
                cols[j][i] = rng.nextGaussian();
            }
        }
        for (int j = 0; j < n; j++) {
            double[] v = cols[j];
            for (int pass = 0; pass < 2; pass++) {
                for (int p = 0; p < j; p++) {
                    double[] q = cols[p];
                    double dot = 0;
                    for (int i = 0; i < n; i++) {
                        dot += q[i] * v[i];
                    }
                    for (int i = 0; i < n; i++) {
                        v[i] -= dot * q[i];
                    }
                }
            }
            double norm = 0;
            for (int i = 0; i < n; i++) {
                norm += v[i] * v[i];
            }
            norm = Math.sqrt(norm);
            if (!(norm > 1e-12)) {
                throw new IllegalStateException("degenerate Gaussian sample in Haar draw (probability zero); redraw with another seed");
            }
            for (int i = 0; i < n; i++) {
                v[i] /= norm;
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                out[offset + i * n + j] = (float) cols[j][i];
            }
        }
    }

    /**
     * A random signed permutation of width n at {@code index[offset..]} and {@code sign[offset..]}:
     * {@code (O x)_i = sign_i x_{index_i}}, index uniform over permutations (Fisher-Yates), signs
     * independent and equally likely +1 or -1.
     */
    public static void signedPermutation(SplittableRandom rng, int n, int[] index, float[] sign, int offset) {
        for (int i = 0; i < n; i++) {
            index[offset + i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = index[offset + i];
            index[offset + i] = index[offset + j];
            index[offset + j] = t;
        }
        for (int i = 0; i < n; i++) {
            sign[offset + i] = rng.nextBoolean() ? 1f : -1f;
        }
    }
}
