package dev.roaf.diag;

import dev.roaf.data.Batch;
import dev.roaf.engine.cpu.CpuEngine;
import dev.roaf.model.FilterKind;
import dev.roaf.model.Model;
import dev.roaf.model.ModelConfig;
import dev.roaf.model.ModelKind;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Diagnostics measured on small stacks against the bounds of roaf-math.md section 2. */
class StackDiagnosticsTest {
    private static CpuEngine engine;

    @BeforeAll
    static void open() {
        engine = new CpuEngine(2);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    static ModelConfig roaf(int layers, int n, float alpha, float beta, FilterKind f) {
        return new ModelConfig(ModelKind.ROAF_MLP, 20, n, 5, layers, alpha, beta, f, false);
    }

    static Batch batch(int size, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[size * 20];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextDouble();
        }
        int[] y = new int[size];
        for (int i = 0; i < size; i++) {
            y[i] = rng.nextInt(5);
        }
        return new Batch(size, 0, 20, x, Batch.Target.CLASS, y, null, 5);
    }

    /** With W = 0 every layer is alpha O_l: each Jacobian singular value is alpha^L and each step ratio alpha. */
    @Test
    void zeroWeightsGiveAlphaToTheL() {
        int layers = 7, n = 8;
        float alpha = 0.9f;
        for (FilterKind f : FilterKind.values()) {
            try (Model m = Model.create(engine, roaf(layers, n, alpha, 0.1f, f), 3)) {
                engine.fill(m.parameters().param("layers.W"), 0f);
                assertEquals(0, StackDiagnostics.maxSpectralNorm(m));
                Batch b = batch(5, 1);
                double[] sv = Jacobi.singularValues(StackDiagnostics.jacobian(m, StackDiagnostics.inputState(m, b, 2)));
                double expected = Math.pow(alpha, layers);
                for (double s : sv) {
                    assertEquals(expected, s, 1e-5 * expected, f + ": singular value");
                }
                StackDiagnostics.GradNorms g = StackDiagnostics.gradNorms(m, b);
                double[] step = g.stepRatioRange();
                assertEquals(alpha, step[0], 1e-5, f + ": smallest step ratio");
                assertEquals(alpha, step[1], 1e-5, f + ": largest step ratio");
                assertEquals(Math.pow(alpha, -(layers - 1)), g.maxMinRatio(), 1e-4);
                Bounds bd = new Bounds(alpha, 0.1, 0, layers);
                assertEquals(Math.log10(expected), bd.log10EndLow(), 1e-12);
                assertEquals(Math.log10(expected), bd.log10EndHigh(), 1e-12);
            }
        }
    }

    /** With random W and alpha > beta w every measured value lies inside the theoretical bounds. */
    @Test
    void randomWeightsStayInsideTheBounds() {
        int layers = 40, n = 12;
        for (FilterKind f : FilterKind.values()) {
            try (Model m = Model.create(engine, roaf(layers, n, 0.8f, 0.15f, f), 11)) {
                double w = StackDiagnostics.maxSpectralNorm(m);
                Bounds bd = new Bounds(0.8f, 0.15f, w, layers);
                assertTrue(bd.guaranteed(), "alpha > beta w, w = " + w);
                Batch b = batch(6, 2);
                double tol = 1e-4;
                for (int sample = 0; sample < 2; sample++) {
                    double[] sv = Jacobi.singularValues(StackDiagnostics.jacobian(m, StackDiagnostics.inputState(m, b, sample)));
                    double lo = Math.pow(10, bd.log10EndLow()), hi = Math.pow(10, bd.log10EndHigh());
                    assertTrue(sv[sv.length - 1] >= lo * (1 - tol), f + ": sigma_min " + sv[sv.length - 1] + " >= " + lo);
                    assertTrue(sv[0] <= hi * (1 + tol), f + ": sigma_max " + sv[0] + " <= " + hi);
                    // Not trivially inside: the spread is real.
                    assertTrue(sv[0] / sv[sv.length - 1] > 1.01, f + ": spread");
                }
                StackDiagnostics.GradNorms g = StackDiagnostics.gradNorms(m, b);
                double[] step = g.stepRatioRange();
                assertTrue(step[0] >= bd.perLayerLow() * (1 - tol) && step[1] <= bd.perLayerHigh() * (1 + tol),
                        f + ": step ratios " + step[0] + ".." + step[1] + " in [" + bd.perLayerLow() + ", " + bd.perLayerHigh() + "]");
                double e2e = g.gradX()[0] / g.gradTop();
                assertTrue(e2e >= Math.pow(10, bd.log10EndLow()) * (1 - tol) && e2e <= Math.pow(10, bd.log10EndHigh()) * (1 + tol));
                for (double gw : g.gradW()) {
                    assertTrue(gw > 0 && Double.isFinite(gw));
                }
            }
        }
    }

    /** Storing every K-th state (a tiny budget) measures exactly what the full store measures. */
    @Test
    void segmentedMeasurementsEqualFullStore() {
        try (Model m = Model.create(engine, roaf(29, 8, 0.95f, 0.05f, FilterKind.HAAR), 5)) {
            Batch b = batch(4, 3);
            StackDiagnostics.GradNorms full = StackDiagnostics.gradNorms(m, b, Long.MAX_VALUE);
            StackDiagnostics.GradNorms seg = StackDiagnostics.gradNorms(m, b, 1);
            assertArrayEquals(full.gradX(), seg.gradX(), 0);
            assertArrayEquals(full.gradW(), seg.gradW(), 0);
            float[] x0 = StackDiagnostics.inputState(m, b, 1);
            double[][] jf = StackDiagnostics.jacobian(m, x0, Long.MAX_VALUE), js = StackDiagnostics.jacobian(m, x0, 1);
            for (int i = 0; i < jf.length; i++) {
                assertArrayEquals(jf[i], js[i], 0);
            }
        }
    }

    /** The default depth-aware beta keeps the gradient spread small where a plain MLP's gradient vanishes. */
    @Test
    void defaultBetaKeepsGradientsWhereThePlainMlpLosesThem() {
        int layers = 1500, n = 16;
        float[] ab = ModelConfig.resolveAlphaBeta(null, null, null, layers, 1.0);
        Batch b = batch(8, 4);
        try (Model m = Model.create(engine, roaf(layers, n, ab[0], ab[1], FilterKind.HAAR), 1)) {
            double r = StackDiagnostics.gradNorms(m, b).maxMinRatio();
            assertTrue(r >= 1 && r <= 100, "roaf-mlp max/min " + r);
        }
        try (Model m = Model.create(engine, new ModelConfig(ModelKind.MLP, 20, n, 5, layers, 0, 1, null, false), 1)) {
            StackDiagnostics.GradNorms g = StackDiagnostics.gradNorms(m, b);
            assertTrue(g.zeroLayers() > 0 || g.maxMinRatio() > 1e6, "mlp max/min " + g.maxMinRatio());
        }
    }
}
