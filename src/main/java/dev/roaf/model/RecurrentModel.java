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
 *
 * <p>For long sequences the step can keep only every K-th state ({@link #recompute}; chosen by
 * {@link MemoryPlan#recurrentSegmentLength}): the forward pass runs segment by segment and keeps
 * {@code h_0, h_K, h_2K, .., h_T}; the backward pass sweeps the segments from last to first, runs
 * each one forward again from its kept first state, and continues the BPTT sweep through it with
 * the gradient carried out of the segment after it. The same engine operations, on segment-sized
 * views.
 */
final class RecurrentModel extends Model {
    private final boolean roaf;
    private final Filter filter;
    /** Recomputation over time: K &gt;= 1 keeps every K-th state, 0 chooses from {@link #activationBudget}. */
    private int recomputeEvery;
    private long activationBudget;

    RecurrentModel(Engine engine, ModelConfig config) {
        super(engine, config, layout(config));
        this.roaf = config.kind() == ModelKind.ROAF_RNN;
        this.filter = roaf ? filterOperand("rnn.") : Filter.none();
        this.activationBudget = MemoryPlan.defaultBudgetBytes(engine); // after the parameters: on a GPU, what is left
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

    /** See {@link MemoryPlan#configure}. */
    void recompute(int every, long budgetBytes) {
        this.recomputeEvery = every;
        this.activationBudget = budgetBytes;
    }

    /** The segment length a training step on {@code batch} sequences of {@code steps} steps uses (T: every step stored). */
    int segmentLength(int steps, int batch) {
        return MemoryPlan.recurrentSegmentLength(recomputeEvery, activationBudget, config, steps, batch);
    }

    @Override
    public StepStats forwardBackward(Batch batch) {
        checkBatch(batch);
        int t = batch.steps, b = batch.size, n = config.hidden();
        int k = segmentLength(t, b);
        if (k < t) {
            return forwardBackwardRecomputed(batch, k);
        }
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

    /**
     * The training step keeping only {@code h_0, h_K, .., h_T}. Segment s covers steps
     * {@code [sK, min(T, sK + K))}; its input projections, states and activations are rebuilt in the
     * segment buffers just before its backward pass (the last segment is still there after the
     * forward pass). The BPTT sweep over a segment starts from dLoss/dh at the segment's last state,
     * which is the head's gradient there plus {@code gH0} of the segment after it, and ends with
     * {@code gH0} = dLoss/dh at its first state, carried to the segment before.
     *
     * <p>The weight gradients are added up segment by segment ({@code dW += D_s^T H_s},
     * {@code dU += D_s^T X_s}, {@code db += sum D_s}) rather than kept as {@code d_t} for every step,
     * because the product over all steps would also need every {@code h_{t-1}}, which is what this
     * path does not keep: memory stays {@code O((T/K + K) B N)}, and the sums differ from the full
     * store's single products only in the order of float additions. A per-step head is run one
     * segment at a time in the backward sweep, so its logits and gradients are also segment-sized.
     */
    private StepStats forwardBackwardRecomputed(Batch batch, int k) {
        int t = batch.steps, b = batch.size, n = config.hidden(), d = config.inputSize();
        int segments = (t + k - 1) / k, last = segments - 1;
        Tensor x = ws("x", t, b, d);
        engine.upload(batch.inputs, x);
        Tensor marks = ws("marks", segments + 1, b, n);
        Tensor segP = ws("seg.p", k, b, n), segH = ws("seg.h", k + 1, b, n), segZ = ws("seg.z", k, b, n);
        engine.fill(marks.slice(0), 0f);
        for (int s = 0; s < segments; s++) {
            int len = segmentForward(x, marks.slice(s), s * k, Math.min(t, s * k + k), segP, segH, segZ);
            engine.copy(segH.slice(len), marks.slice(s + 1));
        }
        boolean perStep = config.headEveryStep();
        long lossCount = lossCount(batch);
        StepStats stats = StepStats.zero();
        Tensor gLast = null;
        if (!perStep) {
            gLast = ws("gOut", b, n);
            stats = head(marks.slice(segments), batch, gLast, null);
        }
        Tensor carries = ws("seg.carry", 2, b, n);
        Tensor carryIn = null;
        Tensor w = params.param("rnn.W"), dw = params.grad("rnn.W"), du = params.grad("rnn.U"), db = params.grad("rnn.b");
        for (int s = last; s >= 0; s--) {
            int from = s * k, to = Math.min(t, from + k), len = to - from;
            if (s != last) {
                segmentForward(x, marks.slice(s), from, to, segP, segH, segZ);
            }
            Tensor gOut;
            if (perStep) {
                gOut = ws("seg.gOut", k, b, n).slice(0, len);
                stats = stats.plus(headRows(segH.slice(1, len + 1).reshape(len * b, n), batch, from * b, lossCount, k * b,
                        s != last, gOut.reshape(len * b, n), null));
                if (carryIn != null) {
                    // One row of B*N columns: the bias add is the element-wise gOut[len-1] += carryIn.
                    engine.addRowVector(gOut.slice(len - 1).reshape(1, b * n), carryIn.reshape(b * n));
                }
            } else {
                gOut = s == last ? gLast : carryIn;
            }
            Tensor carryOut = s == 0 ? null : carries.slice(s % 2);
            Tensor z = segZ.slice(0, len);
            engine.recurrenceBackward(w, filter, alpha(), beta(), z, gOut, carryOut);
            // z now holds d_t for the segment's steps.
            Tensor dz = z.reshape(len * b, n);
            float keep = s == last ? 0f : 1f;
            engine.gemm(true, false, 1f, dz, segH.slice(0, len).reshape(len * b, n), keep, dw);
            engine.gemm(true, false, 1f, dz, x.slice(from, to).reshape(len * b, d), keep, du);
            engine.sumRows(dz, keep, db);
            carryIn = carryOut;
        }
        return stats;
    }

    /**
     * Steps {@code [from, to)} forward from the state {@code h} into the segment buffers: their input
     * projections into {@code segP}, states into {@code segH[0..len]} ({@code segH[0] = h}),
     * activations into {@code segZ}. Returns the segment's length.
     */
    private int segmentForward(Tensor x, Tensor h, int from, int to, Tensor segP, Tensor segH, Tensor segZ) {
        int len = to - from, b = h.dim(0), n = config.hidden();
        Tensor p = segP.slice(0, len);
        engine.gemm(false, true, 1f, x.slice(from, to).reshape(len * b, config.inputSize()), params.param("rnn.U"), 0f,
                p.reshape(len * b, n));
        engine.addRowVector(p, params.param("rnn.b"));
        engine.copy(h, segH.slice(0));
        engine.recurrenceForward(p, params.param("rnn.W"), filter, alpha(), beta(), segH.slice(0, len + 1), segZ.slice(0, len));
        return len;
    }

    @Override
    public StepStats evaluate(Batch batch, int[] predictions) {
        checkBatch(batch);
        int k = segmentLength(batch.steps, batch.size);
        if (k < batch.steps) {
            return evaluateSegments(batch, k, predictions);
        }
        Tensor h = forward(batch, false);
        return head(readout(h, batch), batch, null, predictions);
    }

    @Override
    public float[] predict(Batch batch) {
        checkBatch(batch);
        int k = segmentLength(batch.steps, batch.size);
        if (k < batch.steps) {
            return predictSegments(batch, k);
        }
        Tensor h = forward(batch, false);
        return headOutputs(readout(h, batch));
    }

    /**
     * Inference when a training step on this batch would recompute: the forward pass runs segment by
     * segment in the segment buffers, keeping no state beyond the current segment, so it needs no
     * more memory than the training step. A per-step head reads each segment as it is computed
     * ({@code perSegment} receives the segment's states {@code [len*B, N]} and its first step);
     * returns the last state {@code h_T}.
     */
    private Tensor forwardSegments(Batch batch, int k, java.util.function.ObjIntConsumer<Tensor> perSegment) {
        int t = batch.steps, b = batch.size, n = config.hidden(), d = config.inputSize();
        Tensor x = ws("x", t, b, d);
        engine.upload(batch.inputs, x);
        Tensor segP = ws("seg.p", k, b, n), segH = ws("seg.h", k + 1, b, n), segZ = ws("seg.z", k, b, n);
        Tensor state = ws("seg.state", b, n);
        engine.fill(state, 0f);
        for (int from = 0; from < t; from += k) {
            int len = segmentForward(x, state, from, Math.min(t, from + k), segP, segH, segZ);
            if (perSegment != null) {
                perSegment.accept(segH.slice(1, len + 1).reshape(len * b, n), from);
            }
            engine.copy(segH.slice(len), state);
        }
        return state;
    }

    private StepStats evaluateSegments(Batch batch, int k, int[] predictions) {
        int b = batch.size;
        if (!config.headEveryStep()) {
            return head(forwardSegments(batch, k, null), batch, null, predictions);
        }
        long lossCount = lossCount(batch);
        StepStats[] stats = {StepStats.zero()};
        boolean wantPredictions = predictions != null && predictions.length == batch.steps * b;
        forwardSegments(batch, k, (hidden, from) -> {
            int[] segPredictions = wantPredictions ? new int[hidden.rows()] : null;
            stats[0] = stats[0].plus(headRows(hidden, batch, from * b, lossCount, k * b, false, null, segPredictions));
            if (wantPredictions) {
                System.arraycopy(segPredictions, 0, predictions, from * b, segPredictions.length);
            }
        });
        return stats[0];
    }

    private float[] predictSegments(Batch batch, int k) {
        if (!config.headEveryStep()) {
            return headOutputs(forwardSegments(batch, k, null));
        }
        int c = config.outputs(), b = batch.size;
        float[] out = new float[Math.multiplyExact(batch.steps * b, c)];
        forwardSegments(batch, k, (hidden, from) -> {
            float[] logits = headOutputs(hidden);
            System.arraycopy(logits, 0, out, from * b * c, logits.length);
        });
        return out;
    }
}
