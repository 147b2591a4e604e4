package dev.roaf.diag;

import dev.roaf.data.Batch;
import dev.roaf.engine.Engine;
import dev.roaf.engine.Filter;
import dev.roaf.engine.Tensor;
import dev.roaf.model.FilterKind;
import dev.roaf.model.MemoryPlan;
import dev.roaf.model.Model;
import dev.roaf.model.ModelKind;
import dev.roaf.model.Parameters;

/**
 * Measurements on the layer stack of an MLP-family model (roaf-mlp, mlp, resmlp) with its own engine
 * operations: per-layer gradient norms of the loss on a batch, the input-output Jacobian
 * {@code dx_L/dx_0} of one example, and {@code max_l ||W_l||_2}.
 *
 * <p>States are stored every K layers and each segment recomputed for the backward pass when the full
 * store would exceed the budget ({@link MemoryPlan#segmentLength}). The model's gradient buffers are
 * used as scratch (overwritten); its parameters are not changed.
 */
public final class StackDiagnostics {
    private StackDiagnostics() {
    }

    /** The stack of a model as engine operands: {@code x_{l+1} = alpha O_l x_l + beta tanh(W_l x_l + b_l)}. */
    public record Stack(Tensor w, Tensor b, Filter filter, float alpha, float beta, int layers, int width) {
    }

    /** The stack of an MLP-family model. */
    public static Stack stack(Model m) {
        ModelKind kind = m.config().kind();
        if (kind.recurrent() || kind == ModelKind.LSTM) {
            throw new IllegalArgumentException("diagnostics need an MLP model (roaf-mlp, mlp, resmlp), not " + kind);
        }
        Parameters p = m.parameters();
        Filter f = switch (kind) {
            case ROAF_MLP -> m.config().filter() == FilterKind.PERMUTATION
                    ? Filter.signedPermutation(p.buffer("layers.O_index"), p.buffer("layers.O_sign"))
                    : Filter.dense(p.buffer("layers.O"));
            case RESMLP -> Filter.identity();
            default -> Filter.none();
        };
        return new Stack(p.param("layers.W"), p.param("layers.b"), f, m.config().alpha(), m.config().beta(),
                m.config().depth(), m.config().hidden());
    }

    /**
     * Per-layer gradient norms of the mean softmax cross-entropy loss of a batch.
     *
     * @param gradX   {@code ||dLoss/dx_l||} (Frobenius over the batch) for l = 0..L-1, x_l the input of layer l
     * @param gradW   {@code ||dLoss/dW_l||} for l = 0..L-1
     * @param gradTop {@code ||dLoss/dx_L||}
     * @param loss    the mean loss
     */
    public record GradNorms(double[] gradX, double[] gradW, double gradTop, double loss) {
        /** {@code max_l gradX / min_l gradX}: infinite when some gradient vanished to 0, NaN if not finite. */
        public double maxMinRatio() {
            double max = 0, min = Double.POSITIVE_INFINITY;
            for (double g : gradX) {
                if (!Double.isFinite(g)) {
                    return Double.NaN;
                }
                max = Math.max(max, g);
                min = Math.min(min, g);
            }
            return max == 0 ? Double.NaN : max / min;
        }

        /**
         * {@code {min, max}} over l of {@code ||g_l|| / ||g_{l+1}||} (with {@code g_L} the top
         * gradient): each lies in the per-layer singular-value range of the layer Jacobians.
         * Layers where {@code g_{l+1} = 0} are skipped.
         */
        public double[] stepRatioRange() {
            double lo = Double.POSITIVE_INFINITY, hi = 0;
            for (int l = 0; l < gradX.length; l++) {
                double above = l + 1 < gradX.length ? gradX[l + 1] : gradTop;
                if (above > 0 && Double.isFinite(above) && Double.isFinite(gradX[l])) {
                    double r = gradX[l] / above;
                    lo = Math.min(lo, r);
                    hi = Math.max(hi, r);
                }
            }
            return new double[]{lo, hi};
        }

        /** Layers whose gradient norm is exactly 0 (vanished below float32's range). */
        public int zeroLayers() {
            return count(gradX, g -> g == 0);
        }

        /**
         * Layers whose weight gradient is exactly 0: {@code dL/dW_l = d_l x_l^T} vanishes where the backward
         * signal or the forward one did, and such a layer cannot learn.
         */
        public int zeroWeightLayers() {
            return count(gradW, g -> g == 0);
        }

        /** Layers whose gradient norm is infinite or NaN (overflowed). */
        public int nonFiniteLayers() {
            return count(gradX, g -> !Double.isFinite(g));
        }

        private static int count(double[] norms, java.util.function.DoublePredicate which) {
            int n = 0;
            for (double g : norms) {
                if (which.test(g)) {
                    n++;
                }
            }
            return n;
        }

        /** {@code max_l gradX / min_l gradX} over the layers with a finite, positive norm (NaN if none). */
        public double maxMinRatioNonZero() {
            double max = 0, min = Double.POSITIVE_INFINITY;
            for (double g : gradX) {
                if (Double.isFinite(g) && g > 0) {
                    max = Math.max(max, g);
                    min = Math.min(min, g);
                }
            }
            return max == 0 ? Double.NaN : max / min;
        }

        /** The layer with the smallest gradient norm. */
        public int argMin() {
            int best = 0;
            for (int l = 1; l < gradX.length; l++) {
                if (gradX[l] < gradX[best]) {
                    best = l;
                }
            }
            return best;
        }
    }

    /** {@link #gradNorms(Model, Batch, long)} with the default budget. */
    public static GradNorms gradNorms(Model m, Batch batch) {
        return gradNorms(m, batch, MemoryPlan.defaultBudgetBytes(m.engine()));
    }

    /**
     * Per-layer gradient norms for one batch of class labels: a forward pass, the head and its loss,
     * and a backward pass one layer at a time (one engine call per layer) recording
     * {@code ||dLoss/dx_l||} and {@code ||dLoss/dW_l||}.
     */
    public static GradNorms gradNorms(Model m, Batch batch, long budgetBytes) {
        Stack st = stack(m);
        if (batch.target != Batch.Target.CLASS || batch.steps != 0) {
            throw new IllegalArgumentException("gradient norms need a batch of vectors with class labels");
        }
        Engine e = m.engine();
        Parameters p = m.parameters();
        int bsz = batch.size, n = st.width(), layers = st.layers(), c = m.config().outputs();
        int k = MemoryPlan.segmentLength(0, budgetBytes, layers, bsz, n);
        int segments = (layers + k - 1) / k;
        double[] gx = new double[layers], gw = new double[layers];
        Tensor dw = p.grad("layers.W"), db = p.grad("layers.b");
        try (Tensor u = e.fromHost(batch.inputs, bsz, m.config().inputSize());
             Tensor marks = e.zeros(segments + 1, bsz, n);
             Tensor segX = e.zeros(k + 1, bsz, n);
             Tensor segZ = e.zeros(k, bsz, n);
             Tensor g = e.zeros(bsz, n);
             Tensor logits = e.zeros(bsz, c);
             Tensor labels = e.fromHost(batch.labels, bsz)) {
            e.gemm(false, true, 1f, u, p.param("input.weight"), 0f, marks.slice(0));
            e.addRowVector(marks.slice(0), p.param("input.bias"));
            for (int s = 0; s < segments; s++) {
                int len = segmentForward(e, st, marks.slice(s), s * k, Math.min(layers, s * k + k), segX, segZ);
                e.copy(segX.slice(len), marks.slice(s + 1));
            }
            Tensor top = marks.slice(segments);
            e.gemm(false, true, 1f, top, p.param("head.weight"), 0f, logits);
            e.addRowVector(logits, p.param("head.bias"));
            double loss = e.softmaxCrossEntropy(logits, labels, 1f / bsz, logits, null) / bsz;
            e.gemm(false, false, 1f, logits, p.param("head.weight"), 0f, g);
            double gTop = Math.sqrt(e.sumOfSquares(g));
            for (int s = segments - 1; s >= 0; s--) {
                int from = s * k, to = Math.min(layers, from + k);
                if (s != segments - 1) {
                    segmentForward(e, st, marks.slice(s), from, to, segX, segZ);
                }
                for (int l = to - from - 1; l >= 0; l--) {
                    int layer = from + l;
                    Tensor dwl = dw.slice(layer, layer + 1), dbl = db.slice(layer, layer + 1);
                    e.roafStackBackward(segX.slice(l, l + 2), st.w().slice(layer, layer + 1), st.filter().layers(layer, layer + 1),
                            st.alpha(), st.beta(), segZ.slice(l, l + 1), g, dwl, dbl);
                    gw[layer] = Math.sqrt(e.sumOfSquares(dwl));
                    gx[layer] = Math.sqrt(e.sumOfSquares(g));
                }
            }
            return new GradNorms(gx, gw, gTop, loss);
        }
    }

    private static int segmentForward(Engine e, Stack st, Tensor x, int from, int to, Tensor segX, Tensor segZ) {
        int len = to - from;
        e.copy(x, segX.slice(0));
        e.roafStackForward(segX.slice(0, len + 1), st.w().slice(from, to), st.b().slice(from, to), st.filter().layers(from, to),
                st.alpha(), st.beta(), segZ.slice(0, len));
        return len;
    }

    /** {@link #jacobian(Model, float[], long)} with the default budget. */
    public static double[][] jacobian(Model m, float[] x0) {
        return jacobian(m, x0, MemoryPlan.defaultBudgetBytes(m.engine()));
    }

    /**
     * The input-output Jacobian {@code J = dx_L/dx_0} of the stack at the state {@code x0} (length N):
     * the state is copied into N rows, pushed forward once, and the N unit vectors are pushed back
     * through the stack in one backward pass ({@code g_L = I}), which leaves row i of J in row i of
     * the gradient. Float32 through the engine, returned in double.
     *
     * @return {@code J[i][j] = d x_L[i] / d x_0[j]}
     */
    public static double[][] jacobian(Model m, float[] x0, long budgetBytes) {
        Stack st = stack(m);
        Engine e = m.engine();
        Parameters p = m.parameters();
        int n = st.width(), layers = st.layers();
        if (x0.length != n) {
            throw new IllegalArgumentException("x0 must have N = " + n + " elements, got " + x0.length);
        }
        int k = MemoryPlan.segmentLength(0, budgetBytes, layers, n, n);
        int segments = (layers + k - 1) / k;
        float[] rows = new float[n * n];
        float[] eye = new float[n * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(x0, 0, rows, i * n, n);
            eye[i * n + i] = 1f;
        }
        Tensor dw = p.grad("layers.W"), db = p.grad("layers.b");
        try (Tensor marks = e.zeros(segments + 1, n, n);
             Tensor segX = e.zeros(k + 1, n, n);
             Tensor segZ = e.zeros(k, n, n);
             Tensor g = e.fromHost(eye, n, n)) {
            e.upload(rows, marks.slice(0));
            for (int s = 0; s < segments; s++) {
                int len = segmentForward(e, st, marks.slice(s), s * k, Math.min(layers, s * k + k), segX, segZ);
                e.copy(segX.slice(len), marks.slice(s + 1));
            }
            for (int s = segments - 1; s >= 0; s--) {
                int from = s * k, to = Math.min(layers, from + k), len = to - from;
                if (s != segments - 1) {
                    segmentForward(e, st, marks.slice(s), from, to, segX, segZ);
                }
                e.roafStackBackward(segX.slice(0, len + 1), st.w().slice(from, to), st.filter().layers(from, to), st.alpha(),
                        st.beta(), segZ.slice(0, len), g, dw.slice(from, to), db.slice(from, to));
            }
            float[] j = e.toHost(g);
            double[][] out = new double[n][n];
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < n; c++) {
                    out[i][c] = j[i * n + c];
                }
            }
            return out;
        }
    }

    /** The state {@code x_0 = W_in u + b_in} of example {@code index} of a batch. */
    public static float[] inputState(Model m, Batch batch, int index) {
        Engine e = m.engine();
        Parameters p = m.parameters();
        int d = m.config().inputSize(), n = m.config().hidden();
        float[] row = new float[d];
        System.arraycopy(batch.inputs, index * d, row, 0, d);
        try (Tensor u = e.fromHost(row, 1, d); Tensor x = e.zeros(1, n)) {
            e.gemm(false, true, 1f, u, p.param("input.weight"), 0f, x);
            e.addRowVector(x, p.param("input.bias"));
            return e.toHost(x);
        }
    }

    /** {@code max_l ||W_l||_2} by power iteration, downloading the weights in chunks of layers. */
    public static double maxSpectralNorm(Model m) {
        Stack st = stack(m);
        int n = st.width(), layers = st.layers();
        int chunk = Math.max(1, Math.min(layers, (1 << 22) / (n * n)));
        double w = 0;
        for (int l0 = 0; l0 < layers; l0 += chunk) {
            int l1 = Math.min(layers, l0 + chunk);
            float[] host = m.engine().toHost(st.w().slice(l0, l1));
            w = Math.max(w, PowerIteration.maxSpectralNorm(host, l1 - l0, n));
        }
        return w;
    }
}
