package dev.roaf.model;

import java.util.Locale;

/**
 * How much memory a training step of an MLP-family model (roaf-mlp, mlp, resmlp) needs, and whether
 * its layer activations are all stored or recomputed segment by segment.
 *
 * <p>A step holds the parameters, their gradients, the optimizer state (Adam: two copies, SGD with
 * momentum: one), the fixed filters, and the activations of the stack: the states
 * {@code x_0..x_L} ({@code (L+1) B N} floats) and {@code z_l = tanh(W_l x_l + b_l)} ({@code L B N}
 * floats). With recomputation every K layers only {@code x_0, x_K, x_2K, .., x_L} are kept across the
 * step ({@code (ceil(L/K) + 1) B N} floats) and one segment's states and activations
 * ({@code (K+1) B N + K B N} floats) are rebuilt in the backward pass: about one extra forward pass,
 * gradients bit for bit those of the full store (same engine operations on the same inputs).
 *
 * <p>Recomputation is chosen automatically when the full store would exceed a budget (by default
 * half of the JVM's maximum heap, where the CPU engine keeps its tensors); K is then about
 * {@code sqrt(L / 2)}, which minimises the stored floats.
 */
public final class MemoryPlan {
    private MemoryPlan() {
    }

    /** Bytes per stored float. */
    private static final long F32 = 4;

    /**
     * The estimate of one training step.
     *
     * @param parameterBytes  trainable parameters
     * @param gradientBytes   their gradients
     * @param optimizerBytes  optimizer state
     * @param filterBytes     fixed filters (dense O or permutation index and sign)
     * @param activationBytes stored states and activations of the stack (and the recomputed segment)
     * @param workspaceBytes  the rest of the step's workspace (input batch, logits, gradient rows)
     * @param recomputeEvery  K when activations are recomputed every K layers, 0 when all are stored
     */
    public record Estimate(long parameterBytes, long gradientBytes, long optimizerBytes, long filterBytes,
                           long activationBytes, long workspaceBytes, int recomputeEvery) {
        /** Everything together. */
        public long totalBytes() {
            return parameterBytes + gradientBytes + optimizerBytes + filterBytes + activationBytes + workspaceBytes;
        }

        /** One line, e.g. {@code memory: 1.23 GiB (activations 0.90 GiB, all layers stored)}. */
        public String describe() {
            return String.format(Locale.ROOT, "memory: %s (parameters %s, activations %s, %s)", gib(totalBytes()),
                    gib(parameterBytes), gib(activationBytes), recomputeEvery == 0 ? "all layers stored"
                            : "stored every " + recomputeEvery + " layers and recomputed in the backward pass");
        }
    }

    /** {@code bytes} in GiB with three significant digits, e.g. {@code 1.23 GiB}. */
    public static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.3g GiB", bytes / (double) (1L << 30));
    }

    /** The default activation budget: half of the JVM's maximum heap. */
    public static long defaultBudgetBytes() {
        return Runtime.getRuntime().maxMemory() / 2;
    }

    /** Floats of the full activation store: {@code (L+1) B N + L B N}. */
    public static long fullActivationFloats(int layers, int batch, int n) {
        return (2L * layers + 1) * batch * n;
    }

    /** Floats stored with recomputation every {@code k} layers: checkpoints plus one segment. */
    public static long segmentedActivationFloats(int layers, int batch, int n, int k) {
        if (k >= layers) {
            return fullActivationFloats(layers, batch, n);
        }
        long segments = (layers + (long) k - 1) / k;
        return (segments + 1) * batch * n + (2L * k + 1) * batch * n;
    }

    /**
     * The segment length a step uses: {@code requested} when it is at least 1 (capped at L; L means
     * every layer stored), otherwise automatic: L when the full store fits {@code budgetBytes}, else
     * about {@code sqrt(L / 2)}.
     *
     * @return K in {@code [1, L]}; K = L is the full store
     */
    public static int segmentLength(int requested, long budgetBytes, int layers, int batch, int n) {
        if (requested >= 1) {
            return Math.min(requested, layers);
        }
        if (fullActivationFloats(layers, batch, n) * F32 <= budgetBytes) {
            return layers;
        }
        return (int) Math.max(1, Math.min(layers, Math.round(Math.sqrt(layers / 2.0))));
    }

    /**
     * The memory of one training step of an MLP-family model.
     *
     * @param config          an MLP-family configuration (roaf-mlp, mlp, resmlp)
     * @param batch           B
     * @param optimizerCopies floats of optimizer state per parameter: 2 for Adam, 1 for SGD with
     *                        momentum, 0 for plain SGD
     * @param recomputeEvery  the requested K (0 = automatic)
     * @param budgetBytes     the activation budget of the automatic choice
     */
    public static Estimate estimate(ModelConfig config, int batch, int optimizerCopies, int recomputeEvery, long budgetBytes) {
        if (config.kind().recurrent()) {
            throw new IllegalArgumentException("the memory plan covers MLP models, not " + config.kind());
        }
        int n = config.hidden(), layers = config.depth(), d = config.inputSize(), c = config.outputs();
        long params = (long) n * d + n + (long) layers * n * n + (long) layers * n + (long) c * n + c;
        long filters = 0;
        if (config.kind() == ModelKind.ROAF_MLP) {
            filters = switch (config.filter()) {
                case HAAR -> (long) layers * n * n;
                case HAAR_SHARED -> (long) n * n;
                case PERMUTATION -> 2L * layers * n;
            };
        }
        int k = segmentLength(recomputeEvery, budgetBytes, layers, batch, n);
        long acts = segmentedActivationFloats(layers, batch, n, k);
        long work = (long) batch * d + 2L * batch * n + 2L * batch * c;
        return new Estimate(params * F32, params * F32, optimizerCopies * params * F32, filters * F32, acts * F32,
                work * F32, k >= layers ? 0 : k);
    }

    /**
     * Sets how an MLP-family model stores activations in {@link Model#forwardBackward}; other models
     * are left alone.
     *
     * @param recomputeEvery K &gt;= 1 to store every K-th state and recompute the rest, 0 for automatic
     * @param budgetBytes    the budget of the automatic choice
     * @return whether the model is an MLP-family model (and took the setting)
     */
    public static boolean configure(Model model, int recomputeEvery, long budgetBytes) {
        if (recomputeEvery < 0) {
            throw new IllegalArgumentException("recompute-every must be >= 0 (0 = automatic), got " + recomputeEvery);
        }
        if (budgetBytes <= 0) {
            throw new IllegalArgumentException("activation budget must be positive, got " + budgetBytes);
        }
        if (model instanceof MlpModel m) {
            m.recompute(recomputeEvery, budgetBytes);
            return true;
        }
        return false;
    }

    /** The segment length the model's next step of {@code batch} rows will use (L = all stored); 0 for non-MLP models. */
    public static int segmentLengthOf(Model model, int batch) {
        return model instanceof MlpModel m ? m.segmentLength(batch) : 0;
    }
}
