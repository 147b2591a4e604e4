package dev.roaf.model;

import dev.roaf.data.Batch;
import dev.roaf.io.TensorData;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An independent float64 implementation of every roaf model, written from the equations of
 * shared/roaf-math.md with plain loops (it never calls an engine): the forward pass, the mean loss
 * that {@link Model#forwardBackward} reports, and the analytic gradient of that loss for every
 * trainable parameter.
 *
 * <p>Parameters are flat row-major {@code double[]} by their safetensors names (see the Javadoc of
 * {@link RecurrentModel}, {@link LstmModel}, {@link MlpModel}); permutation indices are stored as
 * doubles holding integers. One sample is processed at a time, as column vectors, so the batch
 * layout conventions (time-major {@code [T,B,·]}) only appear when reading inputs and writing
 * outputs.
 *
 * <p>Loss conventions (as in {@link Model#head}): softmax cross-entropy averaged over the labelled
 * rows (negative labels are ignored; per-step heads have {@code T*B} rows, time-major), or the
 * squared error summed over the outputs of an example and averaged over the {@code B} examples.
 */
final class Reference64 {
    private Reference64() {
    }

    /** The result of one pass: mean loss, head outputs ({@code [B,C]} or {@code [T,B,C]}) and gradients (or null). */
    record Result(double loss, double[] outputs, Map<String, double[]> grads) {
    }

    /** Every tensor of {@code model data} as doubles (indices converted exactly). */
    static Map<String, double[]> toDoubles(Map<String, TensorData> data) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, TensorData> e : data.entrySet()) {
            TensorData t = e.getValue();
            double[] v = new double[t.size()];
            switch (t.dtype()) {
                case TensorData.F32 -> {
                    float[] f = t.floats();
                    for (int i = 0; i < v.length; i++) {
                        v[i] = f[i];
                    }
                }
                case TensorData.I64 -> {
                    long[] l = t.longs();
                    for (int i = 0; i < v.length; i++) {
                        v[i] = l[i];
                    }
                }
                case TensorData.I32 -> {
                    int[] l = t.ints();
                    for (int i = 0; i < v.length; i++) {
                        v[i] = l[i];
                    }
                }
                default -> throw new IllegalArgumentException("unexpected dtype " + t.dtype() + " for " + e.getKey());
            }
            out.put(e.getKey(), v);
        }
        return out;
    }

    /** The mean loss only. */
    static double loss(ModelConfig cfg, Map<String, double[]> p, Batch batch) {
        return run(cfg, p, batch, false).loss();
    }

    /** Forward pass, loss and (when {@code grad}) the analytic gradient of every trainable parameter. */
    static Result run(ModelConfig cfg, Map<String, double[]> p, Batch batch, boolean grad) {
        return switch (cfg.kind()) {
            case ROAF_RNN, RNN -> recurrent(cfg, p, batch, grad);
            case LSTM -> lstm(cfg, p, batch, grad);
            case ROAF_MLP, MLP, RESMLP -> mlp(cfg, p, batch, grad);
        };
    }

    // ----------------------------------------------------------------------------- filters

    /** The fixed filter O: dense (per layer or shared), signed permutation, identity or none. */
    private static final class Filt {
        final int n;
        final double[] dense;      // [L,N,N] or [N,N]
        final boolean perLayer;
        final double[] index;      // [L,N] or [N]
        final double[] sign;
        final boolean identity;

        Filt(int n, double[] dense, double[] index, double[] sign, boolean identity, int layers) {
            this.n = n;
            this.dense = dense;
            this.index = index;
            this.sign = sign;
            this.identity = identity;
            if (dense != null) {
                perLayer = dense.length > n * n;   // [L,N,N] with L > 1 (L = 1 is the same either way)
            } else if (index != null) {
                perLayer = index.length > n;
            } else {
                perLayer = false;
            }
        }

        static Filt of(ModelConfig cfg, Map<String, double[]> p, String prefix, int layers) {
            int n = cfg.hidden();
            if (cfg.kind() == ModelKind.RESMLP) {
                return new Filt(n, null, null, null, true, layers);
            }
            if (!cfg.kind().hasFilter()) {
                return null;
            }
            if (cfg.filter() == FilterKind.PERMUTATION) {
                return new Filt(n, null, require(p, prefix + "O_index"), require(p, prefix + "O_sign"), false, layers);
            }
            return new Filt(n, require(p, prefix + "O"), null, null, false, layers);
        }

        /** O_l x. */
        double[] apply(int l, double[] x) {
            double[] y = new double[n];
            if (identity) {
                System.arraycopy(x, 0, y, 0, n);
            } else if (dense != null) {
                int off = perLayer ? l * n * n : 0;
                for (int i = 0; i < n; i++) {
                    double s = 0;
                    for (int j = 0; j < n; j++) {
                        s += dense[off + i * n + j] * x[j];
                    }
                    y[i] = s;
                }
            } else {
                int off = perLayer ? l * n : 0;
                for (int i = 0; i < n; i++) {
                    y[i] = sign[off + i] * x[(int) index[off + i]];
                }
            }
            return y;
        }

        /** O_l^T g. */
        double[] applyT(int l, double[] g) {
            double[] y = new double[n];
            if (identity) {
                System.arraycopy(g, 0, y, 0, n);
            } else if (dense != null) {
                int off = perLayer ? l * n * n : 0;
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int i = 0; i < n; i++) {
                        s += dense[off + i * n + j] * g[i];
                    }
                    y[j] = s;
                }
            } else {
                int off = perLayer ? l * n : 0;
                for (int i = 0; i < n; i++) {
                    y[(int) index[off + i]] += sign[off + i] * g[i];
                }
            }
            return y;
        }
    }

    private static double[] require(Map<String, double[]> p, String name) {
        double[] v = p.get(name);
        if (v == null) {
            throw new IllegalArgumentException("reference: missing tensor " + name + "; have " + p.keySet());
        }
        return v;
    }

    // ----------------------------------------------------------------------------- helpers

    /** y = M x + (bias), M [rows, cols] at offset. */
    private static double[] matVec(double[] m, int off, int rows, int cols, double[] x, int xOff, double[] bias, int bOff) {
        double[] y = new double[rows];
        for (int i = 0; i < rows; i++) {
            double s = bias == null ? 0 : bias[bOff + i];
            for (int j = 0; j < cols; j++) {
                s += m[off + i * cols + j] * x[xOff + j];
            }
            y[i] = s;
        }
        return y;
    }

    /** y = M^T g, M [rows, cols] at offset. */
    private static double[] matTVec(double[] m, int off, int rows, int cols, double[] g) {
        double[] y = new double[cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                y[j] += m[off + i * cols + j] * g[i];
            }
        }
        return y;
    }

    /** dM += g x^T (M [rows, cols] at offset). */
    private static void outer(double[] dm, int off, double[] g, double[] x, int xOff, int rows, int cols) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                dm[off + i * cols + j] += g[i] * x[xOff + j];
            }
        }
    }

    private static void addTo(double[] dst, int off, double[] src) {
        for (int i = 0; i < src.length; i++) {
            dst[off + i] += src[i];
        }
    }

    /** The batch inputs as doubles. */
    private static double[] inputs(Batch batch) {
        double[] in = new double[batch.inputs.length];
        for (int i = 0; i < in.length; i++) {
            in[i] = batch.inputs[i];
        }
        return in;
    }

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    /** Gradient arrays for every trainable name (zero), shaped like the parameters. */
    private static Map<String, double[]> zeroGrads(Map<String, double[]> p, String... names) {
        Map<String, double[]> g = new LinkedHashMap<>();
        for (String n : names) {
            g.put(n, new double[require(p, n).length]);
        }
        return g;
    }

    // -------------------------------------------------------------------------------- head

    /** Loss and dLoss/dhidden of the linear head on rows {@code hidden[m][N]}. */
    private static final class Head {
        double loss;
        double[] outputs;      // [m, C]
        double[][] dHidden;    // [m][N]
    }

    private static Head head(ModelConfig cfg, Map<String, double[]> p, Batch batch, double[][] hidden,
                             Map<String, double[]> grads) {
        int m = hidden.length, n = cfg.hidden(), c = cfg.outputs();
        double[] w = require(p, "head.weight"), bias = require(p, "head.bias");
        Head h = new Head();
        h.outputs = new double[m * c];
        double[][] dOut = new double[m][c];
        for (int r = 0; r < m; r++) {
            double[] y = matVec(w, 0, c, n, hidden[r], 0, bias, 0);
            System.arraycopy(y, 0, h.outputs, r * c, c);
        }
        if (batch.target == Batch.Target.REGRESSION) {
            double sum = 0;
            for (int r = 0; r < m; r++) {
                for (int j = 0; j < c; j++) {
                    double e = h.outputs[r * c + j] - batch.targets[r * c + j];
                    sum += e * e;
                    dOut[r][j] = 2 * e / m;
                }
            }
            h.loss = sum / m;
        } else {
            int count = 0;
            for (int label : batch.labels) {
                if (label >= 0) {
                    count++;
                }
            }
            double sum = 0;
            for (int r = 0; r < m; r++) {
                int label = batch.labels[r];
                if (label < 0) {
                    continue;
                }
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < c; j++) {
                    max = Math.max(max, h.outputs[r * c + j]);
                }
                double z = 0;
                for (int j = 0; j < c; j++) {
                    z += Math.exp(h.outputs[r * c + j] - max);
                }
                double logZ = max + Math.log(z);
                sum += logZ - h.outputs[r * c + label];
                for (int j = 0; j < c; j++) {
                    dOut[r][j] = (Math.exp(h.outputs[r * c + j] - logZ) - (j == label ? 1 : 0)) / count;
                }
            }
            h.loss = sum / count;
        }
        h.dHidden = new double[m][];
        for (int r = 0; r < m; r++) {
            h.dHidden[r] = matTVec(w, 0, c, n, dOut[r]);
            if (grads != null) {
                outer(grads.get("head.weight"), 0, dOut[r], hidden[r], 0, c, n);
                addTo(grads.get("head.bias"), 0, dOut[r]);
            }
        }
        return h;
    }

    /** Readout row of (step t, example b) among the head rows, or -1 when step t is not read out. */
    private static int row(ModelConfig cfg, Batch batch, int t, int b) {
        if (cfg.headEveryStep()) {
            return t * batch.size + b;
        }
        return t == batch.steps - 1 ? b : -1;
    }

    // --------------------------------------------------------------------- ROAF-RNN / Elman

    private static Result recurrent(ModelConfig cfg, Map<String, double[]> p, Batch batch, boolean grad) {
        double[] in = inputs(batch);
        int n = cfg.hidden(), d = cfg.inputSize(), steps = batch.steps, bs = batch.size;
        boolean roaf = cfg.kind() == ModelKind.ROAF_RNN;
        double alpha = roaf ? cfg.alpha() : 0, beta = roaf ? cfg.beta() : 1;
        Filt o = roaf ? Filt.of(cfg, p, "rnn.", 1) : null;
        double[] w = require(p, "rnn.W"), u = require(p, "rnn.U"), bias = require(p, "rnn.b");
        double[][][] h = new double[bs][steps + 1][];
        double[][][] z = new double[bs][steps][];
        int rows = cfg.headEveryStep() ? steps * bs : bs;
        double[][] hidden = new double[rows][];
        for (int b = 0; b < bs; b++) {
            h[b][0] = new double[n];
            for (int t = 0; t < steps; t++) {
                double[] a = matVec(u, 0, n, d, in, (t * bs + b) * d, bias, 0);
                double[] wh = matVec(w, 0, n, n, h[b][t], 0, null, 0);
                double[] oh = o == null ? new double[n] : o.apply(0, h[b][t]);
                double[] zt = new double[n], ht = new double[n];
                for (int i = 0; i < n; i++) {
                    zt[i] = Math.tanh(a[i] + wh[i]);
                    ht[i] = alpha * oh[i] + beta * zt[i];
                }
                z[b][t] = zt;
                h[b][t + 1] = ht;
                int r = row(cfg, batch, t, b);
                if (r >= 0) {
                    hidden[r] = ht;
                }
            }
        }
        Map<String, double[]> grads = grad ? zeroGrads(p, "rnn.W", "rnn.U", "rnn.b", "head.weight", "head.bias") : null;
        Head hd = head(cfg, p, batch, hidden, grads);
        if (grad) {
            for (int b = 0; b < bs; b++) {
                double[] carry = new double[n];
                for (int t = steps - 1; t >= 0; t--) {
                    double[] g = carry.clone();
                    int r = row(cfg, batch, t, b);
                    if (r >= 0) {
                        addTo(g, 0, hd.dHidden[r]);
                    }
                    double[] dt = new double[n];
                    for (int i = 0; i < n; i++) {
                        dt[i] = beta * (1 - z[b][t][i] * z[b][t][i]) * g[i];
                    }
                    outer(grads.get("rnn.W"), 0, dt, h[b][t], 0, n, n);
                    outer(grads.get("rnn.U"), 0, dt, in, (t * bs + b) * d, n, d);
                    addTo(grads.get("rnn.b"), 0, dt);
                    double[] next = matTVec(w, 0, n, n, dt);
                    if (o != null) {
                        double[] ot = o.applyT(0, g);
                        for (int i = 0; i < n; i++) {
                            next[i] += alpha * ot[i];
                        }
                    }
                    carry = next;
                }
            }
        }
        return new Result(hd.loss, hd.outputs, grads);
    }

    // -------------------------------------------------------------------------------- LSTM

    private static Result lstm(ModelConfig cfg, Map<String, double[]> p, Batch batch, boolean grad) {
        double[] in = inputs(batch);
        int n = cfg.hidden(), d = cfg.inputSize(), steps = batch.steps, bs = batch.size;
        double[] wih = require(p, "lstm.weight_ih"), whh = require(p, "lstm.weight_hh"), bias = require(p, "lstm.bias");
        double[][][] h = new double[bs][steps + 1][], c = new double[bs][steps + 1][];
        double[][][] gates = new double[bs][steps][];   // activated i, f, g, o
        int rows = cfg.headEveryStep() ? steps * bs : bs;
        double[][] hidden = new double[rows][];
        for (int b = 0; b < bs; b++) {
            h[b][0] = new double[n];
            c[b][0] = new double[n];
            for (int t = 0; t < steps; t++) {
                double[] pre = matVec(wih, 0, 4 * n, d, in, (t * bs + b) * d, bias, 0);
                addTo(pre, 0, matVec(whh, 0, 4 * n, n, h[b][t], 0, null, 0));
                double[] act = new double[4 * n], ct = new double[n], ht = new double[n];
                for (int j = 0; j < n; j++) {
                    act[j] = sigmoid(pre[j]);
                    act[n + j] = sigmoid(pre[n + j]);
                    act[2 * n + j] = Math.tanh(pre[2 * n + j]);
                    act[3 * n + j] = sigmoid(pre[3 * n + j]);
                    ct[j] = act[n + j] * c[b][t][j] + act[j] * act[2 * n + j];
                    ht[j] = act[3 * n + j] * Math.tanh(ct[j]);
                }
                gates[b][t] = act;
                c[b][t + 1] = ct;
                h[b][t + 1] = ht;
                int r = row(cfg, batch, t, b);
                if (r >= 0) {
                    hidden[r] = ht;
                }
            }
        }
        Map<String, double[]> grads = grad
                ? zeroGrads(p, "lstm.weight_ih", "lstm.weight_hh", "lstm.bias", "head.weight", "head.bias") : null;
        Head hd = head(cfg, p, batch, hidden, grads);
        if (grad) {
            for (int b = 0; b < bs; b++) {
                double[] dhNext = new double[n], dcNext = new double[n];
                for (int t = steps - 1; t >= 0; t--) {
                    double[] dh = dhNext.clone();
                    int r = row(cfg, batch, t, b);
                    if (r >= 0) {
                        addTo(dh, 0, hd.dHidden[r]);
                    }
                    double[] act = gates[b][t], dpre = new double[4 * n], dc = new double[n];
                    for (int j = 0; j < n; j++) {
                        double iv = act[j], fv = act[n + j], gv = act[2 * n + j], ov = act[3 * n + j];
                        double tc = Math.tanh(c[b][t + 1][j]);
                        dc[j] = dcNext[j] + dh[j] * ov * (1 - tc * tc);
                        dpre[j] = dc[j] * gv * iv * (1 - iv);
                        dpre[n + j] = dc[j] * c[b][t][j] * fv * (1 - fv);
                        dpre[2 * n + j] = dc[j] * iv * (1 - gv * gv);
                        dpre[3 * n + j] = dh[j] * tc * ov * (1 - ov);
                        dcNext[j] = dc[j] * fv;
                    }
                    outer(grads.get("lstm.weight_ih"), 0, dpre, in, (t * bs + b) * d, 4 * n, d);
                    outer(grads.get("lstm.weight_hh"), 0, dpre, h[b][t], 0, 4 * n, n);
                    addTo(grads.get("lstm.bias"), 0, dpre);
                    dhNext = matTVec(whh, 0, 4 * n, n, dpre);
                }
            }
        }
        return new Result(hd.loss, hd.outputs, grads);
    }

    // --------------------------------------------------------------------- ROAF-MLP / MLP / ResMLP

    private static Result mlp(ModelConfig cfg, Map<String, double[]> p, Batch batch, boolean grad) {
        double[] in = inputs(batch);
        int n = cfg.hidden(), d = cfg.inputSize(), layers = cfg.depth(), bs = batch.size;
        double alpha, beta;
        switch (cfg.kind()) {
            case ROAF_MLP -> {
                alpha = cfg.alpha();
                beta = cfg.beta();
            }
            case RESMLP -> {
                alpha = 1;
                beta = 1;
            }
            default -> {
                alpha = 0;
                beta = 1;
            }
        }
        Filt o = Filt.of(cfg, p, "layers.", layers);
        double[] win = require(p, "input.weight"), bin = require(p, "input.bias");
        double[] w = require(p, "layers.W"), bl = require(p, "layers.b");
        double[][][] x = new double[bs][layers + 1][];
        double[][][] z = new double[bs][layers][];
        double[][] hidden = new double[bs][];
        for (int b = 0; b < bs; b++) {
            x[b][0] = matVec(win, 0, n, d, in, b * d, bin, 0);
            for (int l = 0; l < layers; l++) {
                double[] a = matVec(w, l * n * n, n, n, x[b][l], 0, bl, l * n);
                double[] ox = o == null ? new double[n] : o.apply(l, x[b][l]);
                double[] zl = new double[n], xl = new double[n];
                for (int i = 0; i < n; i++) {
                    zl[i] = Math.tanh(a[i]);
                    xl[i] = alpha * ox[i] + beta * zl[i];
                }
                z[b][l] = zl;
                x[b][l + 1] = xl;
            }
            hidden[b] = x[b][layers];
        }
        Map<String, double[]> grads = grad
                ? zeroGrads(p, "input.weight", "input.bias", "layers.W", "layers.b", "head.weight", "head.bias") : null;
        Head hd = head(cfg, p, batch, hidden, grads);
        if (grad) {
            for (int b = 0; b < bs; b++) {
                double[] g = hd.dHidden[b];
                for (int l = layers - 1; l >= 0; l--) {
                    double[] dl = new double[n];
                    for (int i = 0; i < n; i++) {
                        dl[i] = beta * (1 - z[b][l][i] * z[b][l][i]) * g[i];
                    }
                    outer(grads.get("layers.W"), l * n * n, dl, x[b][l], 0, n, n);
                    addTo(grads.get("layers.b"), l * n, dl);
                    double[] next = matTVec(w, l * n * n, n, n, dl);
                    if (o != null) {
                        double[] ot = o.applyT(l, g);
                        for (int i = 0; i < n; i++) {
                            next[i] += alpha * ot[i];
                        }
                    }
                    g = next;
                }
                outer(grads.get("input.weight"), 0, g, in, b * d, n, d);
                addTo(grads.get("input.bias"), 0, g);
            }
        }
        return new Result(hd.loss, hd.outputs, grads);
    }
}
