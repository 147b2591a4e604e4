package dev.roaf.model;

import dev.roaf.data.Batch;
import dev.roaf.engine.Engine;
import dev.roaf.engine.Filter;
import dev.roaf.engine.Tensor;

/**
 * The ROAF MLP and its comparison models: a linear input projection {@code x_0 = W_in u + b_in},
 * L layers {@code x_{l+1} = alpha O_l x_l + beta tanh(W_l x_l + b_l)}, and a linear head.
 * {@code mlp} is the same stack with no filter (alpha = 0, beta = 1); {@code resmlp} uses
 * {@code O = I}, alpha = beta = 1.
 *
 * <p>Tensors: {@code input.weight [N,D]}, {@code input.bias [N]}, {@code layers.W [L,N,N]},
 * {@code layers.b [L,N]}, {@code head.weight [C,N]}, {@code head.bias [C]}; roaf-mlp adds
 * {@code layers.O} ({@code [L,N,N]} for haar, {@code [N,N]} for haar-shared) or
 * {@code layers.O_index [L,N]} int64 and {@code layers.O_sign [L,N]} for signed permutations.
 *
 * <p>Initialisation: {@code W_l ~ N(0, 1/N)}, {@code b_l = 0}; input projection and head from
 * PyTorch's {@code nn.Linear} default {@code U(-1/sqrt(fan_in), 1/sqrt(fan_in))}; O Haar-random
 * (drawn in parallel, one stream per layer).
 */
final class MlpModel extends Model {
    private final Filter filter;
    private final float alpha;
    private final float beta;
    /** Activation recomputation: K &gt;= 1 stores every K-th state, 0 chooses from {@link #activationBudget}. */
    private int recomputeEvery;
    private long activationBudget;

    MlpModel(Engine engine, ModelConfig config) {
        super(engine, config, layout(config));
        switch (config.kind()) {
            case ROAF_MLP -> {
                filter = filterOperand("layers.");
                alpha = config.alpha();
                beta = config.beta();
            }
            case RESMLP -> {
                filter = Filter.identity();
                alpha = 1f;
                beta = 1f;
            }
            default -> {
                filter = Filter.none();
                alpha = 0f;
                beta = 1f;
            }
        }
        activationBudget = MemoryPlan.defaultBudgetBytes(engine); // after the parameters: on a GPU, what is left
    }

    private static Parameters.Layout layout(ModelConfig c) {
        int n = c.hidden(), layers = c.depth();
        Parameters.Layout l = new Parameters.Layout()
                .param("input.weight", n, c.inputSize()).param("input.bias", n)
                .param("layers.W", layers, n, n).param("layers.b", layers, n)
                .param("head.weight", c.outputs(), n).param("head.bias", c.outputs());
        if (c.kind() == ModelKind.ROAF_MLP) {
            layoutFilter(l, c, "layers.", layers);
        }
        return l;
    }

    @Override
    protected void initialize(long seed) {
        int n = config.hidden();
        double inBound = 1.0 / Math.sqrt(config.inputSize());
        initUniform(seed, "input.weight", inBound);
        initUniform(seed, "input.bias", inBound);
        initNormal(seed, "layers.W", 1.0 / Math.sqrt(n));
        engine.fill(params.param("layers.b"), 0f);
        initUniform(seed, "head.weight", 1.0 / Math.sqrt(n));
        initUniform(seed, "head.bias", 1.0 / Math.sqrt(n));
        if (config.kind() == ModelKind.ROAF_MLP) {
            initFilter(seed, "layers.");
        }
    }

    private void project(Batch batch, Tensor x0) {
        Tensor u = ws("u", batch.size, config.inputSize());
        engine.upload(batch.inputs, u);
        engine.gemm(false, true, 1f, u, params.param("input.weight"), 0f, x0);
        engine.addRowVector(x0, params.param("input.bias"));
    }

    /** See {@link MemoryPlan#configure}. */
    void recompute(int every, long budgetBytes) {
        this.recomputeEvery = every;
        this.activationBudget = budgetBytes;
    }

    /** The segment length a step of {@code batch} rows uses (L: every state stored). */
    int segmentLength(int batch) {
        return MemoryPlan.segmentLength(recomputeEvery, activationBudget, config.depth(), batch, config.hidden());
    }

    @Override
    public StepStats forwardBackward(Batch batch) {
        checkBatch(batch);
        int b = batch.size, n = config.hidden(), layers = config.depth();
        int k = segmentLength(b);
        if (k < layers) {
            return forwardBackwardRecomputed(batch, k);
        }
        Tensor xs = ws("xs", layers + 1, b, n);
        Tensor z = ws("z", layers, b, n);
        project(batch, xs.slice(0));
        engine.roafStackForward(xs, params.param("layers.W"), params.param("layers.b"), filter, alpha, beta, z);
        Tensor g = ws("g", b, n);
        StepStats stats = head(xs.slice(layers), batch, g, null);
        engine.roafStackBackward(xs, params.param("layers.W"), filter, alpha, beta, z, g, params.grad("layers.W"),
                params.grad("layers.b"));
        engine.gemm(true, false, 1f, g, ws("u", b, config.inputSize()), 0f, params.grad("input.weight"));
        engine.sumRows(g, 0f, params.grad("input.bias"));
        return stats;
    }

    /**
     * The same step storing only {@code x_0, x_k, x_2k, .., x_L}: each segment's states and
     * activations are rebuilt from its first state just before its backward pass, with the same
     * engine operations on the same inputs as the full store, so the gradients are bit for bit the
     * same. The last segment is still in the segment buffers after the forward pass.
     */
    private StepStats forwardBackwardRecomputed(Batch batch, int k) {
        int b = batch.size, n = config.hidden(), layers = config.depth();
        int segments = (layers + k - 1) / k;
        Tensor marks = ws("marks", segments + 1, b, n);
        Tensor segX = ws("seg.xs", k + 1, b, n);
        Tensor segZ = ws("seg.z", k, b, n);
        project(batch, marks.slice(0));
        for (int s = 0; s < segments; s++) {
            int len = segmentForward(marks.slice(s), s * k, Math.min(layers, s * k + k), segX, segZ);
            engine.copy(segX.slice(len), marks.slice(s + 1));
        }
        Tensor g = ws("g", b, n);
        StepStats stats = head(marks.slice(segments), batch, g, null);
        Tensor w = params.param("layers.W"), dw = params.grad("layers.W"), db = params.grad("layers.b");
        for (int s = segments - 1; s >= 0; s--) {
            int from = s * k, to = Math.min(layers, from + k), len = to - from;
            if (s != segments - 1) {
                segmentForward(marks.slice(s), from, to, segX, segZ);
            }
            engine.roafStackBackward(segX.slice(0, len + 1), w.slice(from, to), filter.layers(from, to), alpha, beta,
                    segZ.slice(0, len), g, dw.slice(from, to), db.slice(from, to));
        }
        engine.gemm(true, false, 1f, g, ws("u", b, config.inputSize()), 0f, params.grad("input.weight"));
        engine.sumRows(g, 0f, params.grad("input.bias"));
        return stats;
    }

    /** Layers {@code [from, to)} forward from {@code x} into the segment buffers; returns their count. */
    private int segmentForward(Tensor x, int from, int to, Tensor segX, Tensor segZ) {
        int len = to - from;
        engine.copy(x, segX.slice(0));
        engine.roafStackForward(segX.slice(0, len + 1), params.param("layers.W").slice(from, to),
                params.param("layers.b").slice(from, to), filter.layers(from, to), alpha, beta, segZ.slice(0, len));
        return len;
    }

    private Tensor forwardInfer(Batch batch) {
        Tensor x = ws("x", batch.size, config.hidden());
        project(batch, x);
        engine.roafStackInfer(x, params.param("layers.W"), params.param("layers.b"), filter, alpha, beta);
        return x;
    }

    @Override
    public StepStats evaluate(Batch batch, int[] predictions) {
        checkBatch(batch);
        return head(forwardInfer(batch), batch, null, predictions);
    }

    @Override
    public float[] predict(Batch batch) {
        checkBatch(batch);
        return headOutputs(forwardInfer(batch));
    }
}
