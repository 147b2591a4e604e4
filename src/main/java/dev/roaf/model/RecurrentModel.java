package dev.roaf.model;

import dev.roaf.data.Batch;
import dev.roaf.engine.Engine;
import dev.roaf.engine.Filter;
import dev.roaf.engine.Tensor;

/**
 * The ROAF recurrent network, {@code h_t = alpha O h_{t-1} + beta tanh(W h_{t-1} + U x_t + b)},
 * and the Elman RNN (no filter: alpha = 0, beta = 1), with a linear head on the last step or on
 * every step.
 *
 * <p>Tensors (safetensors names): {@code rnn.W [N,N]}, {@code rnn.U [N,D]}, {@code rnn.b [N]},
 * {@code head.weight [C,N]}, {@code head.bias [C]}; roaf-rnn adds the fixed filter {@code rnn.O [N,N]}
 * (or {@code rnn.O_index [N]} int64 and {@code rnn.O_sign [N]} for a signed permutation,
 * {@code (O h)_i = O_sign_i h_{O_index_i}}).
 *
 * <p>Initialisation: roaf-rnn draws {@code W ~ N(0, 1/N)} (spectral radius near 1, so the
 * nonlinear branch neither saturates nor dies at the start), {@code U} and the head from PyTorch's
 * default {@code U(-1/sqrt(fan_in), 1/sqrt(fan_in))}, {@code b = 0}, and O Haar-random. The Elman
 * baseline uses PyTorch's {@code nn.RNN} defaults ({@code U(-1/sqrt(N), 1/sqrt(N))} for W, U and b)
 * so that it is the baseline a PyTorch user would get.
 *
 * <p>One training step: one product for all input projections, one fused recurrence over T steps,
 * the head, one fused BPTT sweep, then dW, dU and db as one product each over all steps.
 */
final class RecurrentModel extends Model {
    private final boolean roaf;
    private final Filter filter;

    RecurrentModel(Engine engine, ModelConfig config) {
        super(engine, config, layout(config));
        this.roaf = config.kind() == ModelKind.ROAF_RNN;
        this.filter = roaf ? filterOperand("rnn.") : Filter.none();
    }

    private static Parameters.Layout layout(ModelConfig c) {
        int n = c.hidden();
        Parameters.Layout l = new Parameters.Layout()
                .param("rnn.W", n, n).param("rnn.U", n, c.inputSize()).param("rnn.b", n)
                .param("head.weight", c.outputs(), n).param("head.bias", c.outputs());
        if (c.kind() == ModelKind.ROAF_RNN) {
            layoutFilter(l, c, "rnn.", 0);
        }
        return l;
    }

    @Override
    protected void initialize(long seed) {
        int n = config.hidden();
        if (roaf) {
            initNormal(seed, "rnn.W", 1.0 / Math.sqrt(n));
            initUniform(seed, "rnn.U", 1.0 / Math.sqrt(config.inputSize()));
            engine.fill(params.param("rnn.b"), 0f);
            initFilter(seed, "rnn.");
        } else {
            double bound = 1.0 / Math.sqrt(n);
            initUniform(seed, "rnn.W", bound);
            initUniform(seed, "rnn.U", bound);
            initUniform(seed, "rnn.b", bound);
        }
        initUniform(seed, "head.weight", 1.0 / Math.sqrt(n));
        initUniform(seed, "head.bias", 1.0 / Math.sqrt(n));
    }

    private float alpha() {
        return roaf ? config.alpha() : 0f;
    }

    private float beta() {
        return roaf ? config.beta() : 1f;
    }

    /** Input projections and the forward sweep; returns H [T+1,B,N]. */
    private Tensor forward(Batch batch, boolean keepActivations) {
        int t = batch.steps, b = batch.size, n = config.hidden(), d = config.inputSize();
        Tensor x = ws("x", t, b, d);
        engine.upload(batch.inputs, x);
        Tensor p = ws("p", t, b, n);
        engine.gemm(false, true, 1f, x, params.param("rnn.U"), 0f, p);
        engine.addRowVector(p, params.param("rnn.b"));
        Tensor h = ws("h", t + 1, b, n);
        engine.fill(h.slice(0), 0f);
        Tensor z = keepActivations ? ws("z", t, b, n) : null;
        engine.recurrenceForward(p, params.param("rnn.W"), filter, alpha(), beta(), h, z);
        return h;
    }

    private Tensor readout(Tensor h, Batch batch) {
        int t = batch.steps, b = batch.size, n = config.hidden();
        return config.headEveryStep() ? h.slice(1, t + 1).reshape(t * b, n) : h.slice(t);
    }

    @Override
    public StepStats forwardBackward(Batch batch) {
        checkBatch(batch);
        int t = batch.steps, b = batch.size, n = config.hidden();
        Tensor h = forward(batch, true);
        Tensor gOut = config.headEveryStep() ? ws("gOut", t, b, n) : ws("gOut", b, n);
        StepStats stats = head(readout(h, batch), batch, gOut.reshape(gOut.rows(), n), null);
        Tensor z = ws("z", t, b, n);
        engine.recurrenceBackward(params.param("rnn.W"), filter, alpha(), beta(), z, gOut, null);
        // z now holds d_t for every step: the weight gradients are one product each.
        Tensor d = z.reshape(t * b, n);
        engine.gemm(true, false, 1f, d, h.slice(0, t).reshape(t * b, n), 0f, params.grad("rnn.W"));
        engine.gemm(true, false, 1f, d, ws("x", t, b, config.inputSize()).reshape(t * b, config.inputSize()), 0f,
                params.grad("rnn.U"));
        engine.sumRows(d, 0f, params.grad("rnn.b"));
        return stats;
    }

    @Override
    public StepStats evaluate(Batch batch, int[] predictions) {
        checkBatch(batch);
        Tensor h = forward(batch, false);
        return head(readout(h, batch), batch, null, predictions);
    }

    @Override
    public float[] predict(Batch batch) {
        checkBatch(batch);
        Tensor h = forward(batch, false);
        return headOutputs(readout(h, batch));
    }
}
