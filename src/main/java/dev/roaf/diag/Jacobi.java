package dev.roaf.diag;

import java.util.Arrays;

/**
 * The cyclic Jacobi eigenvalue method for small symmetric matrices, in double, and singular values
 * as the square roots of the eigenvalues of {@code J^T J}.
 *
 * <p>Each rotation zeroes one off-diagonal pair; sweeps over all pairs repeat until the off-diagonal
 * mass is below {@code 1e-15} of the whole (quadratic convergence: a handful of sweeps for N &lt;= 128).
 * Singular values through {@code J^T J} resolve values down to about {@code 1e-8 sigma_max}; smaller
 * ones come out as rounding noise (or 0).
 */
public final class Jacobi {
    private Jacobi() {
    }

    /** Maximum sweeps before giving up (never reached for finite input in practice). */
    private static final int MAX_SWEEPS = 100;

    /**
     * The eigenvalues of a symmetric matrix, largest first.
     *
     * @param a a square matrix, symmetric (only checked for shape; the upper and lower triangles are averaged)
     * @throws IllegalArgumentException if {@code a} is not square or holds a non-finite value
     */
    public static double[] symmetricEigenvalues(double[][] a) {
        int n = a.length;
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            if (a[i].length != n) {
                throw new IllegalArgumentException("matrix must be square, row " + i + " has " + a[i].length + " of " + n);
            }
            for (int j = 0; j < n; j++) {
                if (!Double.isFinite(a[i][j])) {
                    throw new IllegalArgumentException("matrix element [" + i + "," + j + "] is " + a[i][j]);
                }
                m[i][j] = 0.5 * (a[i][j] + a[j][i]);
            }
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            double off = 0, total = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double v = m[i][j] * m[i][j];
                    total += v;
                    if (i != j) {
                        off += v;
                    }
                }
            }
            if (off == 0 || off <= 1e-30 * total) {
                break;
            }
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    rotate(m, p, q);
                }
            }
        }
        double[] ev = new double[n];
        for (int i = 0; i < n; i++) {
            ev[i] = m[i][i];
        }
        Arrays.sort(ev);
        for (int i = 0; i < n / 2; i++) {
            double t = ev[i];
            ev[i] = ev[n - 1 - i];
            ev[n - 1 - i] = t;
        }
        return ev;
    }

    /** One Jacobi rotation zeroing {@code m[p][q]} (Rutishauser's stable form). */
    private static void rotate(double[][] m, int p, int q) {
        double apq = m[p][q];
        if (apq == 0) {
            return;
        }
        double theta = (m[q][q] - m[p][p]) / (2 * apq);
        double t = Math.abs(theta) > 1e150 ? 1 / (2 * theta)
                : Math.signum(theta == 0 ? 1 : theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        double c = 1 / Math.sqrt(t * t + 1), s = t * c;
        int n = m.length;
        for (int r = 0; r < n; r++) {
            if (r == p || r == q) {
                continue;
            }
            double arp = m[r][p], arq = m[r][q];
            double np = c * arp - s * arq, nq = s * arp + c * arq;
            m[r][p] = np;
            m[p][r] = np;
            m[r][q] = nq;
            m[q][r] = nq;
        }
        m[p][p] -= t * apq;
        m[q][q] += t * apq;
        m[p][q] = 0;
        m[q][p] = 0;
    }

    /**
     * The singular values of a square or tall matrix {@code j} ({@code [M,N]}, M &gt;= N is not
     * required: the N values of {@code J^T J} are returned), largest first, as
     * {@code sqrt(max(0, eig(J^T J)))}.
     */
    public static double[] singularValues(double[][] j) {
        int rows = j.length, n = rows == 0 ? 0 : j[0].length;
        double[][] g = new double[n][n];
        for (double[] row : j) {
            if (row.length != n) {
                throw new IllegalArgumentException("ragged matrix: rows of " + n + " and " + row.length);
            }
            for (int a = 0; a < n; a++) {
                double ra = row[a];
                if (ra == 0) {
                    continue;
                }
                for (int b = a; b < n; b++) {
                    g[a][b] += ra * row[b];
                }
            }
        }
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < a; b++) {
                g[a][b] = g[b][a];
            }
        }
        double[] ev = symmetricEigenvalues(g);
        double[] sv = new double[n];
        for (int i = 0; i < n; i++) {
            sv[i] = Math.sqrt(Math.max(0, ev[i]));
        }
        return sv;
    }
}
