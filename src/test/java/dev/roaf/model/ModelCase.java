package dev.roaf.model;

import dev.roaf.data.Batch;
import dev.roaf.engine.Engine;
import dev.roaf.engine.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One model configuration plus batch shape for the model tests, with deterministic random batches
 * and parameters. {@link #toString()} names everything, so a failing parameterized case says which
 * model, filter, head and shape it was.
 */
record ModelCase(ModelKind kind, FilterKind filter, HeadKind head, int d, int n, int c, int t, int layers, int b,
                 float alpha, float beta, long seed) {

    /** How the model reads out and what the batch's targets are. */
    enum HeadKind {
        /** Classification after the last step (or of the vector). */
        LAST,
        /** Classification at every step (recurrent only), mean over the labelled T*B rows. */
        EVERY,
        /** Regression, squared error averaged over the batch. */
        REGRESSION
    }

    ModelConfig config() {
        return new ModelConfig(kind, d, n, c, kind.recurrent() ? 1 : layers, alpha, beta, filter, head == HeadKind.EVERY);
    }

    /** A random batch: inputs U(-1,1); labels uniform with some ignored (-1) rows; targets N(0,1). */
    Batch batch(long batchSeed) {
        SplittableRandom rng = new SplittableRandom(seed * 31 + batchSeed);
        int steps = kind.recurrent() ? t : 0;
        float[] inputs = new float[(kind.recurrent() ? t : 1) * b * d];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        switch (head) {
            case REGRESSION -> {
                float[] targets = new float[b * c];
                for (int i = 0; i < targets.length; i++) {
                    targets[i] = (float) rng.nextGaussian();
                }
                return new Batch(b, steps, d, inputs, Batch.Target.REGRESSION, null, targets, c);
            }
            case LAST -> {
                return new Batch(b, steps, d, inputs, Batch.Target.CLASS, labels(rng, b), null, c);
            }
            default -> {
                return new Batch(b, steps, d, inputs, Batch.Target.CLASS_PER_STEP, labels(rng, t * b), null, c);
            }
        }
    }

    /** Labels in [0,C), about one in four ignored (-1) when there are at least 3 rows; never all ignored. */
    private int[] labels(SplittableRandom rng, int m) {
        int[] labels = new int[m];
        for (int i = 0; i < m; i++) {
            labels[i] = m >= 3 && rng.nextInt(4) == 0 ? -1 : rng.nextInt(c);
        }
        labels[rng.nextInt(m)] = rng.nextInt(c);
        return labels;
    }

    /**
     * Overwrites every trainable parameter of {@code model} with random values that keep the
     * pre-activations of order 1: N(0, 1/cols) for matrices, N(0, 0.25) for vectors (biases).
     */
    void randomizeParameters(Model model) {
        Engine engine = model.engine();
        SplittableRandom rng = new SplittableRandom(seed ^ 0x1234_5678L);
        for (Map.Entry<String, Tensor> e : model.parameters().params().entrySet()) {
            Tensor p = e.getValue();
            float[] v = new float[(int) p.size()];
            double scale = p.rank() >= 2 ? 1.0 / Math.sqrt(p.dim(-1)) : 0.5;
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (rng.nextGaussian() * scale);
            }
            engine.upload(v, p);
        }
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(kind.cliName());
        if (kind.hasFilter()) {
            s.append('/').append(filter.cliName()).append(" alpha=").append(alpha).append(" beta=").append(beta);
        }
        s.append(" head=").append(head).append(" D=").append(d).append(" N=").append(n).append(" C=").append(c);
        if (kind.recurrent()) {
            s.append(" T=").append(t);
        } else {
            s.append(" L=").append(layers);
        }
        return s.append(" B=").append(b).append(" seed=").append(seed).toString();
    }

    /** The (model kind, filter kind) pairs covered: every ROAF filter, and the baselines. */
    static List<Object[]> kindsAndFilters() {
        List<Object[]> out = new ArrayList<>();
        for (ModelKind k : ModelKind.values()) {
            if (k.hasFilter()) {
                for (FilterKind f : FilterKind.values()) {
                    out.add(new Object[]{k, f});
                }
            } else {
                out.add(new Object[]{k, null});
            }
        }
        return out;
    }

    /** The head kinds a model kind supports. */
    static HeadKind[] heads(ModelKind k) {
        return k.recurrent() ? HeadKind.values() : new HeadKind[]{HeadKind.LAST, HeadKind.REGRESSION};
    }

    /**
     * Every model kind x filter kind x head kind, {@code draws} times each, with shapes drawn from
     * the given choices (draw 0: every first choice, draw 1: every last choice, then random;
     * regression widths from {1, 2}); alpha uniform in (0.05, 0.95), beta in
     * (0.1, 1.5).
     */
    static List<ModelCase> all(long seed, int draws, int[] ds, int[] ns, int[] cs, int[] ts, int[] ls, int[] bs) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<ModelCase> out = new ArrayList<>();
        for (Object[] kf : kindsAndFilters()) {
            ModelKind k = (ModelKind) kf[0];
            FilterKind f = (FilterKind) kf[1];
            for (HeadKind h : heads(k)) {
                for (int i = 0; i < draws; i++) {
                    // Draw 0 takes the first choice of every list, draw 1 the last, later draws random ones.
                    int c = h == HeadKind.REGRESSION ? 1 + (i < 2 ? i : rng.nextInt(2)) : pick(rng, cs, i);
                    float alpha = (float) (0.05 + 0.9 * rng.nextDouble());
                    float beta = (float) (0.1 + 1.4 * rng.nextDouble());
                    out.add(new ModelCase(k, f, h, pick(rng, ds, i), pick(rng, ns, i), c, pick(rng, ts, i), pick(rng, ls, i),
                            pick(rng, bs, i), alpha, beta, rng.nextLong() & 0xFFFFFFL));
                }
            }
        }
        return out;
    }

    private static int pick(SplittableRandom rng, int[] choices, int draw) {
        int r = rng.nextInt(choices.length);
        return draw == 0 ? choices[0] : draw == 1 ? choices[choices.length - 1] : choices[r];
    }
}
