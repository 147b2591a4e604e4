package dev.roaf.model;

import dev.roaf.data.Batch;
import dev.roaf.engine.Engine;
import dev.roaf.engine.Tensor;

/**
 * The LSTM baseline (gate order i, f, g, o, as PyTorch's {@code nn.LSTM}) with a linear head on the
 * last step or on every step.
 *
 * <p>Tensors: {@code lstm.weight_ih [4N,D]}, {@code lstm.weight_hh [4N,N]}, {@code lstm.bias [4N]}
 * (PyTorch's {@code bias_ih + bias_hh} in one), {@code head.weight [C,N]}, {@code head.bias [C]}.
 * Initialisation: PyTorch's defaults, {@code U(-1/sqrt(N), 1/sqrt(N))} for every weight and bias,
 * then the forget-gate bias set to 1 (the usual remedy for early forgetting).
 */
final class LstmModel extends Model {

    LstmModel(Engine engine, ModelConfig config) {
        super(engine, config, new Parameters.Layout()
                .param("lstm.weight_ih", 4 * config.hidden(), config.inputSize())
                .param("lstm.weight_hh", 4 * config.hidden(), config.hidden())
                .param("lstm.bias", 4 * config.hidden())
                .param("head.weight", config.outputs(), config.hidden())
                .param("head.bias", config.outputs()));
    }

    @Override
    protected void initialize(long seed) {
        int n = config.hidden();
        double bound = 1.0 / Math.sqrt(n);
        initUniform(seed, "lstm.weight_ih", bound);
        initUniform(seed, "lstm.weight_hh", bound);
        initUniform(seed, "lstm.bias", bound);
        float[] bias = engine.toHost(params.param("lstm.bias"));
        for (int j = n; j < 2 * n; j++) {
            bias[j] = 1f;
        }
        engine.upload(bias, params.param("lstm.bias"));
        initUniform(seed, "head.weight", bound);
        initUniform(seed, "head.bias", bound);
    }

    private Tensor forward(Batch batch, boolean keepGates) {
        int t = batch.steps, b = batch.size, n = config.hidden(), d = config.inputSize();
        Tensor x = ws("x", t, b, d);
        engine.upload(batch.inputs, x);
        Tensor p = ws("p", t, b, 4 * n);
        engine.gemm(false, true, 1f, x, params.param("lstm.weight_ih"), 0f, p);
        engine.addRowVector(p, params.param("lstm.bias"));
        Tensor h = ws("h", t + 1, b, n);
        Tensor c = ws("c", t + 1, b, n);
        engine.fill(h.slice(0), 0f);
        engine.fill(c.slice(0), 0f);
        engine.lstmForward(p, params.param("lstm.weight_hh"), h, c, keepGates ? ws("gates", t, b, 4 * n) : null);
        return h;
    }

    private Tensor readout(Tensor h, Batch batch) {
        int t = batch.steps, b = batch.size, n = config.hidden();
        return config.headEveryStep() ? h.slice(1, t + 1).reshape(t * b, n) : h.slice(t);
    }

    @Override
    public StepStats forwardBackward(Batch batch) {
        checkBatch(batch);
        int t = batch.steps, b = batch.size, n = config.hidden(), d = config.inputSize();
        Tensor h = forward(batch, true);
        Tensor gOut = config.headEveryStep() ? ws("gOut", t, b, n) : ws("gOut", b, n);
        StepStats stats = head(readout(h, batch), batch, gOut.reshape(gOut.rows(), n), null);
        Tensor gates = ws("gates", t, b, 4 * n);
        engine.lstmBackward(params.param("lstm.weight_hh"), h, ws("c", t + 1, b, n), gates, gOut);
        Tensor g = gates.reshape(t * b, 4 * n);
        engine.gemm(true, false, 1f, g, h.slice(0, t).reshape(t * b, n), 0f, params.grad("lstm.weight_hh"));
        engine.gemm(true, false, 1f, g, ws("x", t, b, d).reshape(t * b, d), 0f, params.grad("lstm.weight_ih"));
        engine.sumRows(g, 0f, params.grad("lstm.bias"));
        return stats;
    }

    @Override
    public StepStats evaluate(Batch batch, int[] predictions) {
        checkBatch(batch);
        return head(readout(forward(batch, false), batch), batch, null, predictions);
    }

    @Override
    public float[] predict(Batch batch) {
        checkBatch(batch);
        return headOutputs(readout(forward(batch, false), batch));
    }
}
