package dev.roaf.model;

import dev.roaf.data.Batch;
import dev.roaf.engine.cpu.CpuEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks the float64 reference's analytic gradients ({@link Reference64}) against finite
 * differences of its own float64 loss, for every model kind x filter kind x head kind on small
 * random shapes, every element of every trainable parameter.
 *
 * <p>Finite differences: the five-point central stencil
 * {@code f' ~ (8 (f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h))) / (12 h)} with {@code h = 1e-3}. Its
 * truncation error is {@code h^4 f^(5) / 30} (about 1e-13 here) and its rounding error about
 * {@code 1.5 eps |f| / h} (about 1e-13 for losses of order 1), against about 1e-10 for the
 * two-point stencil at {@code h = 1e-6}; that margin is what lets a 1e-6 relative bound hold for
 * small gradient elements too.
 *
 * <p>Error per element: {@code |a - f| / max(|a| + |f|, 1e-6)} (a analytic, f finite difference).
 * For elements of magnitude above 1e-6 this is the usual symmetric relative error (at most 1, and
 * about half the relative error of either value); below it, the bound 1e-6 means an absolute
 * agreement of 1e-12, well above the stencil's noise and far below any real gradient mistake (a
 * wrong term changes an element by a sizeable fraction of its typical size, about 1e-2).
 * The maximum over all elements must be at most 1e-6.
 */
class GradientCheckTest {
    static final double STEP = 1e-3;
    static final double FLOOR = 1e-6;
    static final double TOLERANCE = 1e-6;

    private static CpuEngine engine;
    private static double worst;
    private static String worstWhere = "";

    @BeforeAll
    static void start() {
        engine = new CpuEngine(1);
    }

    @AfterAll
    static void stop() {
        engine.close();
        System.out.printf("GradientCheckTest: max relative error %.3g (%s)%n", worst, worstWhere);
    }

    static List<ModelCase> cases() {
        return ModelCase.all(20240601L, 3, new int[]{1, 3}, new int[]{3, 5}, new int[]{2, 4}, new int[]{1, 4, 7},
                new int[]{1, 3}, new int[]{1, 3});
    }

    static double relativeError(double a, double f) {
        return Math.abs(a - f) / Math.max(Math.abs(a) + Math.abs(f), FLOOR);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void analyticGradientMatchesFiniteDifferences(ModelCase mc) {
        ModelConfig cfg = mc.config();
        Batch batch = mc.batch(1);
        Map<String, double[]> p;
        List<String> trainable;
        // The model supplies the names, shapes and fixed filters; trainable values are random doubles.
        try (Model model = Model.create(engine, cfg, mc.seed())) {
            p = Reference64.toDoubles(model.toTensorData());
            trainable = List.copyOf(model.parameters().params().keySet());
        }
        SplittableRandom rng = new SplittableRandom(mc.seed() + 7);
        for (String name : trainable) {
            double[] v = p.get(name);
            double scale = name.endsWith("b") || name.endsWith("bias") ? 0.5 : 1.0 / Math.sqrt(cfg.hidden());
            for (int i = 0; i < v.length; i++) {
                v[i] = rng.nextGaussian() * scale;
            }
        }
        Reference64.Result r = Reference64.run(cfg, p, batch, true);
        assertTrue(Double.isFinite(r.loss()) && r.loss() > 0, mc + ": loss " + r.loss());
        assertEquals(r.loss(), Reference64.loss(cfg, p, batch), 0.0, mc + ": loss with and without gradients differ");
        assertEquals(trainable.size(), r.grads().size(), mc + ": gradients for " + r.grads().keySet() + ", parameters " + trainable);
        double caseWorst = 0;
        for (String name : trainable) {
            double[] v = p.get(name);
            double[] g = r.grads().get(name);
            assertEquals(v.length, g.length, mc + ": gradient size of " + name);
            double maxAbs = 0;
            for (int i = 0; i < v.length; i++) {
                double x = v[i];
                v[i] = x + STEP;
                double f1 = Reference64.loss(cfg, p, batch);
                v[i] = x - STEP;
                double fm1 = Reference64.loss(cfg, p, batch);
                v[i] = x + 2 * STEP;
                double f2 = Reference64.loss(cfg, p, batch);
                v[i] = x - 2 * STEP;
                double fm2 = Reference64.loss(cfg, p, batch);
                v[i] = x;
                double fd = (8 * (f1 - fm1) - (f2 - fm2)) / (12 * STEP);
                double err = relativeError(g[i], fd);
                maxAbs = Math.max(maxAbs, Math.abs(g[i]));
                if (err > caseWorst) {
                    caseWorst = err;
                }
                if (err > worst) {
                    worst = err;
                    worstWhere = mc + " " + name + "[" + i + "]";
                }
                if (!(err <= TOLERANCE)) {
                    fail(String.format("%s: %s[%d]: analytic %.12g, finite difference %.12g, relative error %.3g > %.1g",
                            mc, name, i, g[i], fd, err, TOLERANCE));
                }
            }
            // A gradient that is identically zero would pass trivially; every parameter influences the loss,
            // except the recurrent weight of a one-step sequence (h_0 = 0), whose gradient must be exactly zero.
            boolean recurrentWeight = name.equals("rnn.W") || name.equals("lstm.weight_hh");
            if (cfg.kind().recurrent() && mc.t() == 1 && recurrentWeight) {
                assertEquals(0.0, maxAbs, mc + ": gradient of " + name + " must be zero when T = 1 (h_0 = 0)");
            } else {
                assertTrue(maxAbs > 1e-8, mc + ": gradient of " + name + " is (nearly) zero: max |g| = " + maxAbs);
            }
        }
    }

    /** The checker itself must catch a wrong gradient: a deliberately broken one fails it. */
    @Test
    void finiteDifferencesDetectAWrongGradient() {
        ModelCase mc = cases().get(0);
        ModelConfig cfg = mc.config();
        Batch batch = mc.batch(1);
        Map<String, double[]> p;
        try (Model model = Model.create(engine, cfg, mc.seed())) {
            p = Reference64.toDoubles(model.toTensorData());
        }
        Reference64.Result r = Reference64.run(cfg, p, batch, true);
        String name = "head.weight";
        double[] v = p.get(name);
        double x = v[0];
        v[0] = x + STEP;
        double f1 = Reference64.loss(cfg, p, batch);
        v[0] = x - STEP;
        double fm1 = Reference64.loss(cfg, p, batch);
        v[0] = x;
        double fd2 = (f1 - fm1) / (2 * STEP);
        double a = r.grads().get(name)[0];
        assertTrue(relativeError(a, fd2) < 1e-4, mc + ": two-point check of " + name + "[0]");
        assertTrue(relativeError(a * 1.01, fd2) > 1e-3, "a 1% error must be visible to the check");
    }
}
