package dev.roaf.model;

import dev.roaf.engine.Engine;
import dev.roaf.engine.cuda.CudaEngine;
import dev.roaf.engine.cuda.CudaOutOfMemoryException;

import java.util.Locale;

/**
 * How much memory a training step needs: for an MLP-family model (roaf-mlp, mlp, resmlp), and whether
 * its layer activations are all stored or recomputed segment by segment; for a recurrent model
 * (roaf-rnn, rnn, lstm), its per-step storage and whether states are kept for every step or every K
 * steps ({@link #recurrentEstimate(ModelConfig, int, int, int, int, long)}). On a GPU the trainer
 * refuses, before allocating anything, a run whose estimate exceeds the device's free memory
 * ({@link #checkDeviceMemory}).
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
 * half of the JVM's maximum heap, where the CPU engine keeps its tensors, and on a GPU half of the
 * device memory free once the model's parameters are allocated); K is then about
 * {@code sqrt(L / 2)}, which minimises the stored floats.
 *
 * <p>roaf-rnn and rnn recompute over time the same way ({@link #recurrentEstimate(ModelConfig, int, int, int, int, long)}):
 * every K-th state {@code h_0, h_K, .., h_T} is kept and each segment of K steps is run again from
 * its first state just before its backward pass. The LSTM always stores every step: its engine
 * backward takes no carried cell-state gradient, so a segment could not be joined to the next.
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
     * @param recomputeEvery  K when activations are recomputed every K layers (or steps), 0 when all are stored
     * @param steps           T for a recurrent model, 0 for an MLP
     */
    public record Estimate(long parameterBytes, long gradientBytes, long optimizerBytes, long filterBytes,
                           long activationBytes, long workspaceBytes, int recomputeEvery, int steps) {
        /** An MLP-family estimate ({@code steps} 0). */
        public Estimate(long parameterBytes, long gradientBytes, long optimizerBytes, long filterBytes, long activationBytes,
                        long workspaceBytes, int recomputeEvery) {
            this(parameterBytes, gradientBytes, optimizerBytes, filterBytes, activationBytes, workspaceBytes, recomputeEvery, 0);
        }

        /** Everything together. */
        public long totalBytes() {
            return parameterBytes + gradientBytes + optimizerBytes + filterBytes + activationBytes + workspaceBytes;
        }

        /** One line, e.g. {@code memory: 1.23 GiB (activations 0.90 GiB, all layers stored)}. */
        public String describe() {
            return String.format(Locale.ROOT, "memory: %s (parameters %s, activations %s, %s)", gib(totalBytes()),
                    gib(parameterBytes), gib(activationBytes), steps > 0
                            ? (recomputeEvery == 0 ? "all " + steps + " steps stored"
                            : "states stored every " + recomputeEvery + " of " + steps + " steps and recomputed in the backward pass")
                            : recomputeEvery == 0 ? "all layers stored"
                            : "stored every " + recomputeEvery + " layers and recomputed in the backward pass");
        }
    }

    /** {@code bytes} in GiB with three significant digits, e.g. {@code 1.23 GiB}. */
    public static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.3g GiB", bytes / (double) (1L << 30));
    }

    /** The default activation budget on the CPU: half of the JVM's maximum heap. */
    public static long defaultBudgetBytes() {
        return Runtime.getRuntime().maxMemory() / 2;
    }

    /**
     * The default activation budget of a model on {@code engine}: on a GPU half of its free memory now
     * (activations live there, not on the JVM heap; call it once the parameters are allocated), else
     * {@link #defaultBudgetBytes()}.
     */
    public static long defaultBudgetBytes(Engine engine) {
        if (engine instanceof CudaEngine gpu) {
            return Math.max(1, gpu.memoryInfo().freeBytes() / 2);
        }
        return defaultBudgetBytes();
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
        // input batch, gradient rows and the engine's backward state, logits and targets, labels and
        // predictions, the engine's row-sum partials and reduction scratch
        long work = (long) batch * d + 2L * batch * n + 2L * batch * c + 2L * batch + 128L * n + 128;
        return new Estimate(params * F32, params * F32, optimizerCopies * params * F32, filters * F32, acts * F32,
                work * F32, k >= layers ? 0 : k);
    }

    /**
     * The memory of one training step of a recurrent model (roaf-rnn, rnn, lstm) on sequences of
     * {@code steps} steps with every step stored, as {@code RecurrentModel} and {@code LstmModel}
     * allocate it. With {@code G} the gate width ({@code N} for roaf-rnn and rnn, {@code 4N} for lstm)
     * and {@code M} the rows the head reads ({@code T B} with a per-step head, else {@code B}):
     * <ul>
     * <li>parameters: roaf-rnn/rnn {@code N N + N D + N + C N + C}, lstm {@code 4N D + 4N N + 4N + C N + C};
     *     as many gradients; {@code optimizerCopies} times as many optimizer floats;</li>
     * <li>filter (roaf-rnn): {@code N N} (Haar), {@code 2 N} (signed permutation);</li>
     * <li>activations, stored for every step: the states {@code h} ({@code (T+1) B N}), the input
     *     projections ({@code T B G}), and {@code z = tanh(..)} overwritten by {@code d} in the
     *     backward pass ({@code T B N}; lstm: the gates {@code T B 4N} and the cell states
     *     {@code (T+1) B N});</li>
     * <li>workspace: the input batch ({@code T B D}), the gradient at the head ({@code M N}), logits
     *     and labels or targets ({@code 2 M C + 2 M}), the engine's carried gradients
     *     ({@code 3 B N}; lstm {@code 2 B N}), row-sum partials ({@code 128 G}) and reduction scratch
     *     ({@code 128}).</li>
     * </ul>
     *
     * @param config          a recurrent configuration
     * @param steps           T, at least 1
     * @param batch           B, at least 1
     * @param optimizerCopies optimizer floats per parameter (2 Adam, 1 SGD with momentum, 0 plain SGD)
     */
    public static Estimate recurrentEstimate(ModelConfig config, int steps, int batch, int optimizerCopies) {
        return recurrentEstimate(config, steps, batch, optimizerCopies, steps, Long.MAX_VALUE);
    }

    /**
     * The memory of one training step of a recurrent model with the segment length K it would use
     * ({@link #recurrentSegmentLength}). K = T is the full store of
     * {@link #recurrentEstimate(ModelConfig, int, int, int)}. With K &lt; T (roaf-rnn and rnn only) the
     * activations are the states kept across the step, {@code h_0, h_K, h_2K, .., h_T}
     * ({@code (ceil(T/K) + 1) B N}), plus one segment rebuilt in the backward pass: its input
     * projections ({@code K B N}), states ({@code (K+1) B N}) and {@code z}, later {@code d}
     * ({@code K B N}), and the gradient carried from one segment to the one before ({@code 2 B N});
     * a per-step head then reads one segment at a time ({@code M = K B}). The input batch
     * ({@code T B D}) stays whole.
     *
     * @param config          a recurrent configuration
     * @param steps           T, at least 1
     * @param batch           B, at least 1
     * @param optimizerCopies optimizer floats per parameter (2 Adam, 1 SGD with momentum, 0 plain SGD)
     * @param recomputeEvery  the requested K (0 = automatic; K &gt;= T stores every step)
     * @param budgetBytes     the activation budget of the automatic choice
     */
    public static Estimate recurrentEstimate(ModelConfig config, int steps, int batch, int optimizerCopies, int recomputeEvery,
                                             long budgetBytes) {
        if (!config.kind().recurrent()) {
            throw new IllegalArgumentException("the recurrent memory plan covers roaf-rnn, rnn and lstm, not " + config.kind());
        }
        if (steps < 1 || batch < 1 || optimizerCopies < 0) {
            throw new IllegalArgumentException("steps and batch must be at least 1 and optimizer copies >= 0, got T=" + steps
                    + " B=" + batch + " copies=" + optimizerCopies);
        }
        long n = config.hidden(), d = config.inputSize(), c = config.outputs(), t = steps, b = batch;
        boolean lstm = config.kind() == ModelKind.LSTM;
        long g = gateWidth(config);
        long params = g * d + g * n + g + c * n + c;
        long filters = 0;
        if (config.kind() == ModelKind.ROAF_RNN) {
            filters = config.filter() == FilterKind.PERMUTATION ? 2 * n : n * n;
        }
        int k = recurrentSegmentLength(recomputeEvery, budgetBytes, config, steps, batch);
        long acts = k >= steps ? recurrentFullActivationFloats(config, steps, batch)
                : recurrentSegmentedActivationFloats(config, steps, batch, k);
        long headRows = config.headEveryStep() ? Math.min(k, t) * b : b;
        long work = t * b * d + headRows * n + 2 * headRows * c + 2 * headRows + (lstm ? 2 : 3) * b * n + 128 * g + 128;
        return new Estimate(params * F32, params * F32, optimizerCopies * params * F32, filters * F32, acts * F32, work * F32,
                k >= steps ? 0 : k, steps);
    }

    /** G, the width of the input projections: 4N for an LSTM (four gates), N otherwise. */
    private static long gateWidth(ModelConfig config) {
        return config.kind() == ModelKind.LSTM ? 4L * config.hidden() : config.hidden();
    }

    /**
     * Floats a recurrent model stores when it keeps every step: {@code h} ({@code (T+1) B N}), the input
     * projections ({@code T B G}) and {@code z} ({@code T B N}; lstm: the gates {@code T B 4N} and the cell
     * states {@code (T+1) B N}).
     */
    public static long recurrentFullActivationFloats(ModelConfig config, int steps, int batch) {
        long n = config.hidden(), t = steps, b = batch;
        boolean lstm = config.kind() == ModelKind.LSTM;
        return (t + 1) * b * n + t * b * gateWidth(config) + (lstm ? t * b * 4 * n + (t + 1) * b * n : t * b * n);
    }

    /**
     * Floats a roaf-rnn or rnn stores with recomputation every {@code k} steps ({@code k < T}): the kept
     * states {@code (ceil(T/k) + 1) B N}, one segment's projections, states and {@code z}
     * ({@code k B N + (k+1) B N + k B N}) and the carried gradient ({@code 2 B N}).
     */
    public static long recurrentSegmentedActivationFloats(ModelConfig config, int steps, int batch, int k) {
        if (k >= steps) {
            return recurrentFullActivationFloats(config, steps, batch);
        }
        long n = config.hidden(), b = batch;
        long segments = (steps + (long) k - 1) / k;
        return (segments + 1) * b * n + (long) k * b * gateWidth(config) + (k + 1L) * b * n + (long) k * b * n + 2 * b * n;
    }

    /**
     * The segment length a recurrent training step uses: {@code requested} when it is at least 1 (capped
     * at T; T means every step stored), otherwise automatic: T when the full store's activations fit
     * {@code budgetBytes}, else the K that minimises what the step keeps, {@code ceil(T/K) B N} kept
     * states against {@code K} times a segment's floats per step and row, {@code S = G + 2N} (plus
     * {@code N + 2C + 2} for a per-step head, which reads one segment at a time):
     * {@code K = sqrt(T N / S)}, about {@code sqrt(T / 3)} for a roaf-rnn with a last-step head. An
     * LSTM always stores every step.
     *
     * @return K in {@code [1, T]}; K = T is the full store
     */
    public static int recurrentSegmentLength(int requested, long budgetBytes, ModelConfig config, int steps, int batch) {
        if (config.kind() == ModelKind.LSTM) {
            return steps;
        }
        if (requested >= 1) {
            return Math.min(requested, steps);
        }
        if (recurrentFullActivationFloats(config, steps, batch) * F32 <= budgetBytes) {
            return steps;
        }
        return automaticRecurrentSegmentLength(config, steps);
    }

    /** The K of the automatic choice when recomputation is needed (see {@link #recurrentSegmentLength}). */
    private static int automaticRecurrentSegmentLength(ModelConfig config, int steps) {
        double n = config.hidden();
        double perStep = gateWidth(config) + 2 * n + (config.headEveryStep() ? n + 2.0 * config.outputs() + 2 : 0);
        return (int) Math.max(1, Math.min(steps, Math.round(Math.sqrt(steps * n / perStep))));
    }

    /**
     * The estimate of one training step of {@code model} as it is set up now: the recurrent plan for
     * sequences of {@code steps} steps, or the MLP plan, each with the model's segment length, and the
     * scratch the model's engine keeps for its weight-gradient products ({@link Engine#productScratchBytes}).
     */
    public static Estimate estimateFor(Model model, int steps, int batch, int optimizerCopies) {
        ModelConfig c = model.config();
        Engine engine = model.engine();
        int n = c.hidden(), d = c.inputSize(), classes = c.outputs();
        Estimate e;
        long scratch;
        if (c.kind().recurrent()) {
            int t = Math.max(1, steps);
            int k = model instanceof RecurrentModel r ? r.segmentLength(t, batch) : t;
            e = recurrentEstimate(c, t, batch, optimizerCopies, k, Long.MAX_VALUE);
            // the weight gradients sum over every stored row of a segment (K B), the head over what it reads
            int rows = (int) Math.min(Integer.MAX_VALUE, (long) k * batch);
            int g = (int) gateWidth(c);
            scratch = Math.max(Math.max(engine.productScratchBytes(g, n, rows), engine.productScratchBytes(g, d, rows)),
                    engine.productScratchBytes(classes, n, c.headEveryStep() ? rows : batch));
        } else {
            e = estimate(c, batch, optimizerCopies, segmentLengthOf(model, batch), Long.MAX_VALUE);
            scratch = Math.max(Math.max(engine.productScratchBytes(n, d, batch), engine.productScratchBytes(n, n, batch)),
                    engine.productScratchBytes(classes, n, batch));
        }
        return scratch == 0 ? e : new Estimate(e.parameterBytes(), e.gradientBytes(), e.optimizerBytes(), e.filterBytes(),
                e.activationBytes(), e.workspaceBytes() + scratch, e.recomputeEvery(), e.steps());
    }

    /**
     * Why a run does not fit a device, or null when it does: the step needs {@code e.totalBytes()}
     * of which {@code heldBytes} are already allocated (the model's parameters, filters, workspace);
     * the rest must fit in {@code freeBytes}. The message gives both numbers and what to change.
     *
     * @param device     the device, in words (e.g. {@code cuda:0 NVIDIA H100 ...})
     * @param config     the model's configuration (MLP families, roaf-rnn and rnn get the --recompute-every advice)
     * @param batch      B of the run
     * @param totalBytes the device's memory in all (for the message)
     */
    public static String deviceShortfall(String device, ModelConfig config, Estimate e, int batch, long heldBytes,
                                         long freeBytes, long totalBytes) {
        long needed = Math.max(0, e.totalBytes() - heldBytes);
        if (needed <= freeBytes) {
            return null;
        }
        StringBuilder advice = new StringBuilder("use a smaller --batch (now " + batch + ")");
        if (!config.kind().recurrent()) {
            int layers = config.depth();
            int k = (int) Math.max(1, Math.min(layers, Math.round(Math.sqrt(layers / 2.0))));
            if (e.recomputeEvery() == 0 && k < layers) {
                Estimate seg = estimate(config, batch, 0, k, Long.MAX_VALUE);
                advice.append(" or --recompute-every ").append(k).append(" (stores ").append(gib(seg.activationBytes()))
                        .append(" of activations instead of ").append(gib(e.activationBytes())).append(")");
            } else if (e.recomputeEvery() > 1) {
                advice.append(" or a smaller --recompute-every (now ").append(e.recomputeEvery()).append(")");
            }
            advice.append(", or a smaller --hidden or --depth");
        } else {
            int steps = e.steps();
            if (config.kind() != ModelKind.LSTM && e.recomputeEvery() == 0 && steps > 1) {
                int k = automaticRecurrentSegmentLength(config, steps);
                Estimate seg = recurrentEstimate(config, steps, batch, 0, k, Long.MAX_VALUE);
                advice.append(" or --recompute-every ").append(k).append(" (stores ").append(gib(seg.activationBytes()))
                        .append(" of activations instead of ").append(gib(e.activationBytes())).append(")");
            } else if (e.recomputeEvery() > 1) {
                advice.append(" or a smaller --recompute-every (now ").append(e.recomputeEvery()).append(")");
            }
            advice.append(", shorter sequences (T=").append(steps).append(") or a smaller --hidden");
        }
        advice.append("; or run on another GPU or with --device cpu");
        return String.format(Locale.ROOT, "%s: not enough device memory for this run: one training step needs about %s"
                        + " (parameters %s, gradients %s, optimizer state %s, filters %s, activations %s, workspace %s),"
                        + " %s more than the %s already allocated, but only %s is free of %s; %s",
                device, gib(e.totalBytes()), gib(e.parameterBytes()), gib(e.gradientBytes()), gib(e.optimizerBytes()),
                gib(e.filterBytes()), gib(e.activationBytes()), gib(e.workspaceBytes()), gib(needed), gib(heldBytes),
                gib(freeBytes), gib(totalBytes), advice);
    }

    /**
     * Refuses, before anything is allocated for it, a training run of {@code model} on a GPU whose
     * estimate ({@link #estimateFor}) does not fit the device's free memory (cuMemGetInfo) plus what
     * the model's engine already holds. Does nothing on the CPU.
     *
     * @throws CudaOutOfMemoryException with {@link #deviceShortfall}'s message, the bytes still
     *                                  needed and the bytes free
     */
    public static void checkDeviceMemory(Model model, int steps, int batch, int optimizerCopies) {
        if (!(model.engine() instanceof CudaEngine gpu)) {
            return;
        }
        CudaEngine.MemoryInfo mem = gpu.memoryInfo();
        Estimate e = estimateFor(model, steps, batch, optimizerCopies);
        String refusal = deviceShortfall(gpu.deviceName(), model.config(), e, batch, mem.liveBytes(), mem.freeBytes(),
                mem.totalBytes());
        if (refusal != null) {
            throw new CudaOutOfMemoryException(refusal, Math.max(0, e.totalBytes() - mem.liveBytes()), mem.freeBytes());
        }
    }

    /**
     * Sets how an MLP-family model (every K layers), a roaf-rnn or an rnn (every K steps) stores
     * activations in {@link Model#forwardBackward}; an LSTM is left alone.
     *
     * @param recomputeEvery K &gt;= 1 to store every K-th state and recompute the rest, 0 for automatic
     * @param budgetBytes    the budget of the automatic choice
     * @return whether the model took the setting (false for an LSTM)
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
        if (model instanceof RecurrentModel r) {
            r.recompute(recomputeEvery, budgetBytes);
            return true;
        }
        return false;
    }

    /** The segment length the model's next step of {@code batch} rows will use (L = all stored); 0 for non-MLP models. */
    public static int segmentLengthOf(Model model, int batch) {
        return model instanceof MlpModel m ? m.segmentLength(batch) : 0;
    }

    /**
     * The segment length the next training step of a recurrent model on {@code batch} sequences of
     * {@code steps} steps will use (T = every step stored, as for an LSTM); 0 for MLP models.
     */
    public static int segmentLengthOf(Model model, int steps, int batch) {
        if (model instanceof RecurrentModel r) {
            return r.segmentLength(steps, batch);
        }
        return model.config().kind().recurrent() ? steps : 0;
    }
}
