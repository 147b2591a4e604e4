/*
 * Where a trained adding-problem model's test error comes from.
 *
 * Draws N fresh adding sequences of length T (seeded, the task's definition: u_t ~ U[0,1], one marker in
 * [0, T/2), one in [T/2, T)), predicts them, and fits prediction = a u_i + b u_j + c by least squares.
 * The MSE then splits into the part explained by that fit (slopes below 1 shrink towards the mean) and
 * the residual: what the other T - 2 inputs leak into the answer (it grows about linearly with T when
 * each unmarked step leaks a little). Then the MSE by the markers' positions: if it grows with the
 * distance back, the model forgets; if it is flat, it remembers and the error is leakage.
 *
 * Run (after mvn package):
 *   java -cp target/roaf.jar bench/scripts/AddingErrors.java MODEL.safetensors T [N=1000] [SEED=12345]
 */

import dev.roaf.Device;
import dev.roaf.Model;

import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

public class AddingErrors {

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: java -cp target/roaf.jar bench/scripts/AddingErrors.java MODEL.safetensors T [N] [SEED]");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        int length = Integer.parseInt(args[1]);
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        long seed = args.length > 3 ? Long.parseLong(args[3]) : 12345;
        int chunk = 100;
        n = (n + chunk - 1) / chunk * chunk;
        SplittableRandom rng = new SplittableRandom(seed);
        double[] ui = new double[n], uj = new double[n], predicted = new double[n];
        int[] pi = new int[n], pj = new int[n];
        try (Model m = Model.load(file, Device.cpu(1))) {
            for (int s0 = 0; s0 < n; s0 += chunk) {
                float[][][] seq = new float[chunk][length][2];
                for (int b = 0; b < chunk; b++) {
                    int k = s0 + b;
                    for (int t = 0; t < length; t++) {
                        seq[b][t][0] = (float) rng.nextDouble();
                    }
                    pi[k] = rng.nextInt(length / 2);
                    pj[k] = length / 2 + rng.nextInt(length - length / 2);
                    seq[b][pi[k]][1] = 1;
                    seq[b][pj[k]][1] = 1;
                    ui[k] = seq[b][pi[k]][0];
                    uj[k] = seq[b][pj[k]][0];
                }
                float[][] p = m.predict(seq);
                for (int b = 0; b < chunk; b++) {
                    predicted[s0 + b] = p[b][0];
                }
            }
        }
        System.out.printf(Locale.ROOT, "%s at T = %d, %d sequences (seed %d)%n", file, length, n, seed);
        report(ui, uj, predicted);
        int bins = 5;
        double[][] se = new double[2][bins];
        int[][] count = new int[2][bins];
        for (int k = 0; k < n; k++) {
            double e = predicted[k] - ui[k] - uj[k];
            int first = pi[k] * bins / (length / 2), second = (pj[k] - length / 2) * bins / (length - length / 2);
            se[0][first] += e * e;
            count[0][first]++;
            se[1][second] += e * e;
            count[1][second]++;
        }
        StringBuilder line = new StringBuilder("MSE by the first marker's fifth of [0, T/2):");
        for (int b = 0; b < bins; b++) {
            line.append(String.format(Locale.ROOT, " %.4f", se[0][b] / count[0][b]));
        }
        line.append("; by the second marker's fifth of [T/2, T):");
        for (int b = 0; b < bins; b++) {
            line.append(String.format(Locale.ROOT, " %.4f", se[1][b] / count[1][b]));
        }
        System.out.println(line);
    }

    /** Prints the MSE against u_i + u_j, the least-squares fit on (u_i, u_j, 1), and its residual variance. */
    private static void report(double[] ui, double[] uj, double[] y) {
        int n = y.length;
        double[][] a = new double[3][4];
        double mse = 0;
        for (int k = 0; k < n; k++) {
            double[] x = {ui[k], uj[k], 1};
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 3; c++) {
                    a[r][c] += x[r] * x[c];
                }
                a[r][3] += x[r] * y[k];
            }
            double e = y[k] - ui[k] - uj[k];
            mse += e * e;
        }
        mse /= n;
        for (int r = 0; r < 3; r++) {
            for (int below = r + 1; below < 3; below++) {
                double f = a[below][r] / a[r][r];
                for (int c = r; c < 4; c++) {
                    a[below][c] -= f * a[r][c];
                }
            }
        }
        double[] coef = new double[3];
        for (int r = 2; r >= 0; r--) {
            double s = a[r][3];
            for (int c = r + 1; c < 3; c++) {
                s -= a[r][c] * coef[c];
            }
            coef[r] = s / a[r][r];
        }
        double residual = 0;
        for (int k = 0; k < n; k++) {
            double e = y[k] - coef[0] * ui[k] - coef[1] * uj[k] - coef[2];
            residual += e * e;
        }
        residual /= n;
        System.out.printf(Locale.ROOT, "MSE %.5f = fit part %.5f + residual %.5f; prediction = %.3f u_i + %.3f u_j + %.3f%n",
                mse, mse - residual, residual, coef[0], coef[1], coef[2]);
    }
}
