package dev.roaf.diag;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The Jacobi eigen-solver and power iteration against matrices with known spectra. */
class JacobiTest {

    @Test
    void knownSmallMatrices() {
        assertArrayEquals(new double[]{3, 1}, Jacobi.symmetricEigenvalues(new double[][]{{2, 1}, {1, 2}}), 1e-14);
        assertArrayEquals(new double[]{5, 2, -1}, Jacobi.symmetricEigenvalues(new double[][]{{2, 0, 0}, {0, -1, 0}, {0, 0, 5}}), 0);
        // [[4,1,2],[1,2,0],[2,0,3]]: characteristic polynomial -(l - 1)(l^2 - 8 l + 13).
        double r = Math.sqrt(3);
        assertArrayEquals(new double[]{4 + r, 4 - r, 1},
                Jacobi.symmetricEigenvalues(new double[][]{{4, 1, 2}, {1, 2, 0}, {2, 0, 3}}), 1e-13);
        assertArrayEquals(new double[]{0, 0}, Jacobi.symmetricEigenvalues(new double[2][2]), 0);
        assertThrows(IllegalArgumentException.class, () -> Jacobi.symmetricEigenvalues(new double[][]{{1, 2}}));
        assertThrows(IllegalArgumentException.class, () -> Jacobi.symmetricEigenvalues(new double[][]{{Double.NaN}}));
    }

    /** Q diag(lambda) Q^T with a Haar Q has eigenvalues lambda; Q diag(s) Q2 has singular values s. */
    @Test
    void randomMatricesWithKnownSpectra() {
        for (int n : new int[]{1, 5, 16, 33}) {
            SplittableRandom rng = new SplittableRandom(n);
            double[][] q = haar(n, 1 + n), q2 = haar(n, 100 + n);
            double[] lambda = new double[n], s = new double[n];
            for (int i = 0; i < n; i++) {
                lambda[i] = rng.nextDouble(-3, 3);
                s[i] = Math.exp(rng.nextDouble(-4, 2));
            }
            double[][] a = new double[n][n], j = new double[n][n];
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < n; c++) {
                    double va = 0, vj = 0;
                    for (int k = 0; k < n; k++) {
                        va += q[r][k] * lambda[k] * q[c][k];
                        vj += q[r][k] * s[k] * q2[k][c];
                    }
                    a[r][c] = va;
                    j[r][c] = vj;
                }
            }
            assertArrayEquals(descending(lambda), Jacobi.symmetricEigenvalues(a), 1e-12, "eigenvalues n=" + n);
            assertArrayEquals(descending(s), Jacobi.singularValues(j), 1e-9, "singular values n=" + n);
            // Power iteration: ||J||_2 = max s.
            float[] jf = new float[n * n];
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < n; c++) {
                    jf[r * n + c] = (float) j[r][c];
                }
            }
            double top = Jacobi.singularValues(toDouble(jf, n))[0];
            assertEquals(top, PowerIteration.spectralNorm(jf, 0, n, 2000, 1e-13), 1e-6 * top, "power iteration n=" + n);
        }
    }

    @Test
    void orthogonalMatricesHaveUnitSingularValues() {
        double[] sv = Jacobi.singularValues(haar(24, 7));
        for (double v : sv) {
            assertEquals(1, v, 1e-12);
        }
        assertEquals(0, PowerIteration.spectralNorm(new float[9], 0, 3, 10, 1e-9));
    }

    /** An orthogonal matrix to double precision: a product of random Givens rotations over all pairs, twice. */
    private static double[][] haar(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] q = new double[n][n];
        for (int i = 0; i < n; i++) {
            q[i][i] = 1;
        }
        for (int pass = 0; pass < 2; pass++) {
            for (int p = 0; p < n; p++) {
                for (int r = p + 1; r < n; r++) {
                    double t = rng.nextDouble(0, 2 * Math.PI), c = Math.cos(t), s = Math.sin(t);
                    for (int k = 0; k < n; k++) {
                        double a = q[k][p], b = q[k][r];
                        q[k][p] = c * a - s * b;
                        q[k][r] = s * a + c * b;
                    }
                }
            }
        }
        return q;
    }

    private static double[][] toDouble(float[] f, int n) {
        double[][] d = new double[n][n];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < n; c++) {
                d[r][c] = f[r * n + c];
            }
        }
        return d;
    }

    private static double[] descending(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        for (int i = 0; i < s.length / 2; i++) {
            double t = s[i];
            s[i] = s[s.length - 1 - i];
            s[s.length - 1 - i] = t;
        }
        return s;
    }
}
