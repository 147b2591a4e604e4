package dev.roaf;

import dev.roaf.model.MemoryPlan;
import dev.roaf.model.ModelConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds a {@link Model} of one {@link ModelFamily}; get one from {@link Model#roafRnn()},
 * {@link Model#roafMlp()}, {@link Model#builder(String)} and the like.
 *
 * <p>Required ({@code set}-prefixed): {@link #setInputSize input size} D, {@link #setHiddenSize
 * hidden size} N and {@link #setOutputs outputs} C, and for the MLP families the
 * {@link #setDepth depth} L. {@link #setShapeFrom(Dataset)} sets D, C, the per-step head and the
 * sequence length from a dataset. Optional ({@code opt}-prefixed), for the ROAF families:
 * {@link #optAlpha alpha}, {@link #optBeta beta}, {@link #optBetaScale beta-scale}, {@link #optAlphaScale alpha-scale},
 * {@link #optFilter filter}, {@link #optSequenceLength sequence length}; for all:
 * {@link #optSeed seed}, {@link #optDevice device}; for recurrent families
 * {@link #optHeadEveryStep a per-step head}; for all but lstm {@link #optRecomputeEvery recomputation}
 * of stored activations ({@link #memoryEstimate(int, OptimizerType, double) what a step needs}).
 *
 * <p><b>Alpha and beta</b> (ROAF families), resolved in this order: a beta-scale c gives
 * {@code beta = min(c / L, 1/2)}; otherwise an explicit beta is used; otherwise an explicit alpha
 * gives {@code beta = 1 - alpha}; with none of the three, c = {@link Model#DEFAULT_BETA_SCALE_RECURRENT}
 * for a roaf-rnn and {@link Model#DEFAULT_BETA_SCALE_MLP} for a roaf-mlp.
 * Alpha, when not given, is {@code 1 - c / L} for an alpha-scale c, else {@code 1 - beta}. L is the depth of a roaf-mlp or the sequence length T
 * of a roaf-rnn ({@link #optSequenceLength}). With a fixed beta a signal shrinks by about alpha per
 * layer or step; {@code beta = c / L} keeps the end-to-end factor near {@code exp(-c)} at any depth.
 *
 * <p>Settings are checked by {@link #build()}, which throws {@link IllegalArgumentException} naming
 * the setting, the value and what is allowed. A builder can build several models.
 */
public final class ModelBuilder {
    private final ModelFamily family;
    private Integer inputSize;
    private Integer hidden;
    private Integer outputs;
    private Integer depth;
    private Double alpha;
    private Double beta;
    private Double betaScale;
    private Double alphaScale;
    private Integer sequenceLength;
    /** T of the dataset given to {@link #setShapeFrom} (any recurrent family), for {@link #memoryEstimate}. */
    private Integer datasetSteps;
    private FilterType filter;
    private long seed = 1;
    private boolean headEveryStep;
    private boolean headSet;
    private Device device = Device.best();
    private Integer recomputeEvery;
    private boolean initOnDevice;

    ModelBuilder(ModelFamily family) {
        this.family = family;
    }

    /**
     * Sets D, the number of features per step (recurrent families) or the vector length (MLPs). Required.
     *
     * @param inputSize D, at least 1
     * @return this builder
     */
    public ModelBuilder setInputSize(int inputSize) {
        this.inputSize = inputSize;
        return this;
    }

    /**
     * Sets N, the width of the hidden state. Required.
     *
     * @param hiddenSize N, at least 1
     * @return this builder
     */
    public ModelBuilder setHiddenSize(int hiddenSize) {
        this.hidden = hiddenSize;
        return this;
    }

    /**
     * Sets C, the number of classes (logits) or the regression width. Required.
     *
     * @param outputs C, at least 1
     * @return this builder
     */
    public ModelBuilder setOutputs(int outputs) {
        this.outputs = outputs;
        return this;
    }

    /**
     * Sets L, the number of ROAF (or tanh) layers between the input projection and the head.
     * Required for roaf-mlp, mlp and resmlp; not allowed for recurrent families.
     *
     * @param depth L, at least 1
     * @return this builder
     */
    public ModelBuilder setDepth(int depth) {
        this.depth = depth;
        return this;
    }

    /**
     * Sets the input size, the outputs, the per-step head (for per-step labels) and, for a
     * roaf-rnn, the sequence length, from a dataset the model will be trained on.
     *
     * @param data the dataset
     * @return this builder
     * @throws IllegalArgumentException if the dataset's examples do not suit this family (sequences
     *                                  for recurrent families, vectors for MLPs)
     */
    public ModelBuilder setShapeFrom(Dataset data) {
        Objects.requireNonNull(data, "data");
        if (family.isRecurrent() != data.isSequence()) {
            throw new IllegalArgumentException(family + (family.isRecurrent()
                    ? " reads sequences; dataset " + data.name() + " has vectors"
                    : " reads vectors; dataset " + data.name() + " has sequences"));
        }
        inputSize = data.inputSize();
        outputs = data.outputs();
        if (family.isRecurrent()) {
            headEveryStep = data.targetType() == TargetType.CLASS_PER_STEP;
            headSet = headEveryStep;
            datasetSteps = data.steps();
        }
        if (family == ModelFamily.ROAF_RNN) {
            sequenceLength = data.steps();
        }
        return this;
    }

    /**
     * Sets alpha, the weight of the filter term (ROAF families only).
     *
     * @param alpha in (0, 1] (default {@code 1 - beta})
     * @return this builder
     */
    public ModelBuilder optAlpha(double alpha) {
        this.alpha = alpha;
        return this;
    }

    /**
     * Sets beta, the weight of the nonlinear term (ROAF families only); excludes {@link #optBetaScale}.
     *
     * @param beta greater than 0 (default: from the depth-aware rule)
     * @return this builder
     */
    public ModelBuilder optBeta(double beta) {
        this.beta = beta;
        return this;
    }

    /**
     * Sets c of the depth-aware rule {@code beta = min(c / L, 1/2)} (ROAF families only); excludes
     * {@link #optBeta}. A roaf-rnn also needs {@link #optSequenceLength}.
     *
     * @param betaScale c, greater than 0 (default {@link Model#DEFAULT_BETA_SCALE_RECURRENT} or
     *                  {@link Model#DEFAULT_BETA_SCALE_MLP} when neither alpha nor beta is given)
     * @return this builder
     */
    public ModelBuilder optBetaScale(double betaScale) {
        this.betaScale = betaScale;
        return this;
    }

    /**
     * Sets c of the rule {@code alpha = max(1 - c / L, 1/2)} (ROAF families only); excludes
     * {@link #optAlpha} and {@link #optBetaScale}. With {@link #optBeta} it sets the filter's horizon
     * (about L / c layers or steps) apart from the weight of the nonlinear term, e.g. the copy task's
     * recipe {@code optAlphaScale(1).optBeta(0.1)}; alone it gives {@code beta = 1 - alpha}, the same as
     * {@link #optBetaScale}. A roaf-rnn also needs {@link #optSequenceLength}.
     *
     * @param alphaScale c, greater than 0
     * @return this builder
     */
    public ModelBuilder optAlphaScale(double alphaScale) {
        this.alphaScale = alphaScale;
        return this;
    }

    /**
     * Sets T, the length of the sequences a roaf-rnn will be trained on: the L of
     * {@code beta = c / L}. Needed by a roaf-rnn unless beta or alpha is given; no other use.
     *
     * @param steps T, at least 1
     * @return this builder
     */
    public ModelBuilder optSequenceLength(int steps) {
        this.sequenceLength = steps;
        return this;
    }

    /**
     * Sets how the orthogonal filters are drawn (ROAF families only).
     *
     * @param filter the filter type (default {@link FilterType#HAAR})
     * @return this builder
     */
    public ModelBuilder optFilter(FilterType filter) {
        this.filter = Objects.requireNonNull(filter, "filter");
        return this;
    }

    /**
     * Sets the seed of every random draw of the initialisation (weights and filters).
     *
     * @param seed the seed (default 1)
     * @return this builder
     */
    public ModelBuilder optSeed(long seed) {
        this.seed = seed;
        return this;
    }

    /**
     * Makes a recurrent model read out at every step (sequence to sequence, for per-step labels)
     * instead of after the last step.
     *
     * @param everyStep true for a per-step head (default false)
     * @return this builder
     */
    public ModelBuilder optHeadEveryStep(boolean everyStep) {
        this.headEveryStep = everyStep;
        this.headSet = everyStep;
        return this;
    }

    /**
     * Sets activation recomputation: a training step keeps only every K-th layer state (MLP
     * families) or every K-th step's state (roaf-rnn, rnn) and recomputes the others in the
     * backward pass, for about one more forward pass. MLP gradients are the same bit for bit;
     * recurrent ones the same to float rounding (the weight gradients are summed segment by
     * segment). Without this setting the model chooses K itself, storing everything unless the
     * stored activations would exceed half of the JVM's maximum heap (on a GPU: half of the device
     * memory left free by the parameters). Not for lstm, which always stores every step.
     *
     * @param every K, at least 1 (K &gt;= the depth or the sequence length stores everything)
     * @return this builder
     */
    public ModelBuilder optRecomputeEvery(int every) {
        this.recomputeEvery = every;
        return this;
    }

    /**
     * A one-line estimate of the memory one training step of the model this builder describes
     * needs: parameters, gradients, optimizer state, filters and stored activations, e.g.
     * {@code memory: 0.298 GiB (parameters 0.0507 GiB, activations 0.0477 GiB, all layers stored)}.
     * Recurrent families take the sequence length from {@link #setShapeFrom} or, for a roaf-rnn,
     * {@link #optSequenceLength}; {@link #memoryEstimate(int, int, OptimizerType, double)} takes it
     * directly. It draws no parameters and opens no device, so its automatic recomputation choice uses
     * the CPU's budget (half the JVM heap); a model built on a GPU chooses from the device's free memory.
     *
     * @param batchSize B, examples per step, at least 1
     * @param optimizer the optimizer (Adam and AdamW keep two floats per parameter, SGD one with momentum)
     * @param momentum  the SGD momentum (0 for plain SGD; ignored for Adam and AdamW)
     * @return the estimate, one line without a trailing newline
     * @throws IllegalArgumentException if the settings are incomplete or invalid, or the family is
     *                                  recurrent and the sequence length is not known
     */
    public String memoryEstimate(int batchSize, OptimizerType optimizer, double momentum) {
        if (family.isRecurrent()) {
            Integer steps = datasetSteps != null ? datasetSteps : sequenceLength;
            if (steps == null) {
                throw new IllegalArgumentException(family + ": the memory estimate needs the sequence length: call"
                        + " setShapeFrom(dataset) or memoryEstimate(batchSize, steps, optimizer, momentum)");
            }
            return memoryEstimate(batchSize, steps, optimizer, momentum);
        }
        return memoryEstimate(batchSize, 0, optimizer, momentum);
    }

    /**
     * A one-line estimate of the memory one training step on sequences of {@code steps} steps
     * needs (recurrent families), e.g. {@code memory: 3.67 GiB (parameters 0.000248 GiB, activations
     * 3.66 GiB, all 10000 steps stored)}; for the MLP families {@code steps} is ignored. See
     * {@link #memoryEstimate(int, OptimizerType, double)}.
     *
     * @param batchSize B, examples per step, at least 1
     * @param steps     T, steps per sequence, at least 1 (recurrent families)
     * @param optimizer the optimizer (Adam and AdamW keep two floats per parameter, SGD one with momentum)
     * @param momentum  the SGD momentum (0 for plain SGD; ignored for Adam and AdamW)
     * @return the estimate, one line without a trailing newline
     * @throws IllegalArgumentException if the settings are incomplete or invalid
     */
    public String memoryEstimate(int batchSize, int steps, OptimizerType optimizer, double momentum) {
        Objects.requireNonNull(optimizer, "optimizer");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        if (family.isRecurrent() && steps < 1) {
            throw new IllegalArgumentException("steps must be at least 1, got " + steps);
        }
        ModelConfig config = config();
        int copies = optimizer.kind().stateCopies(momentum);
        int k = recomputeEvery == null ? 0 : recomputeEvery;
        if (family.isRecurrent()) {
            return MemoryPlan.recurrentEstimate(config, steps, batchSize, copies, k, MemoryPlan.defaultBudgetBytes()).describe();
        }
        return MemoryPlan.estimate(config, batchSize, copies, k, MemoryPlan.defaultBudgetBytes()).describe();
    }

    /**
     * Sets the device the model's parameters live on.
     *
     * @param device the device (default {@link Device#best()})
     * @return this builder
     */
    public ModelBuilder optDevice(Device device) {
        this.device = Objects.requireNonNull(device, "device");
        return this;
    }

    /**
     * Draws the initial weights and biases on the model's device ({@code true}: cuRAND's Philox
     * generator on a GPU, the CPU engine's own chunked generator on the CPU) instead of on the host
     * from per-tensor streams and uploading them (the default). Worth it for very large models (a
     * 50,000-layer roaf-mlp at N = 128 has 819 million weights: 3.3 GB the host would otherwise
     * draw and copy). The filters are drawn on the host either way. The seed still fixes the values
     * for a given kind of device, but a GPU and the CPU draw different values from the same seed.
     *
     * @param onDevice whether to draw on the device (default false)
     * @return this builder
     */
    public ModelBuilder optInitOnDevice(boolean onDevice) {
        this.initOnDevice = onDevice;
        return this;
    }

    /**
     * The family this builder makes.
     *
     * @return the family
     */
    public ModelFamily family() {
        return family;
    }

    /**
     * Checks the settings, opens an engine on the device and draws the initial parameters.
     *
     * @return the new model; the caller owns it and must close it
     * @throws IllegalArgumentException if a required setting is missing, a value is out of range, or
     *                                  a setting does not apply to this family; the message says which
     */
    public Model build() {
        ModelConfig config = config();
        long s = seed;
        Integer k = recomputeEvery;
        boolean drawOnEngine = initOnDevice;
        return Model.open(device, engine -> {
            dev.roaf.model.Model m = dev.roaf.model.Model.create(engine, config, s, drawOnEngine);
            if (k != null) {
                try {
                    MemoryPlan.configure(m, k, MemoryPlan.defaultBudgetBytes(engine));
                } catch (RuntimeException e) {
                    m.close();
                    throw e;
                }
            }
            return m;
        });
    }

    /** The validated internal configuration. */
    ModelConfig config() {
        List<String> missing = new ArrayList<>();
        if (inputSize == null) {
            missing.add("setInputSize(D)");
        }
        if (hidden == null) {
            missing.add("setHiddenSize(N)");
        }
        if (outputs == null) {
            missing.add("setOutputs(C)");
        }
        if (!family.isRecurrent() && depth == null) {
            missing.add("setDepth(L)");
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(family + " model: missing required setting" + (missing.size() > 1 ? "s " : " ")
                    + String.join(", ", missing));
        }
        atLeastOne("setInputSize", inputSize);
        atLeastOne("setHiddenSize", hidden);
        atLeastOne("setOutputs", outputs);
        if (family.isRecurrent() && depth != null) {
            throw new IllegalArgumentException("setDepth applies to the MLP families (roaf-mlp, mlp, resmlp), not " + family);
        }
        if (depth != null) {
            atLeastOne("setDepth", depth);
        }
        if (!family.isRecurrent() && headSet) {
            throw new IllegalArgumentException("optHeadEveryStep applies to recurrent families (roaf-rnn, rnn, lstm), not " + family);
        }
        if (recomputeEvery != null && family == ModelFamily.LSTM) {
            throw new IllegalArgumentException("optRecomputeEvery applies to roaf-rnn, rnn and the MLP families, not lstm"
                    + " (it stores every step)");
        }
        if (recomputeEvery != null) {
            atLeastOne("optRecomputeEvery", recomputeEvery);
        }
        if (sequenceLength != null && family != ModelFamily.ROAF_RNN) {
            throw new IllegalArgumentException("optSequenceLength applies to roaf-rnn (for beta = c / T), not " + family);
        }
        if (sequenceLength != null) {
            atLeastOne("optSequenceLength", sequenceLength);
        }
        float a = 0f, b = 0f;
        if (family.hasFilter()) {
            float[] ab = resolveAlphaBeta();
            a = ab[0];
            b = ab[1];
        } else {
            String given = alpha != null ? "optAlpha" : beta != null ? "optBeta" : betaScale != null ? "optBetaScale"
                    : alphaScale != null ? "optAlphaScale"
                    : filter != null ? "optFilter" : null;
            if (given != null) {
                throw new IllegalArgumentException(given + " applies to roaf-rnn and roaf-mlp, not " + family);
            }
        }
        int layers = family.isRecurrent() ? 1 : depth;
        return new ModelConfig(family.kind(), inputSize, hidden, outputs, layers, a, b,
                family.hasFilter() ? (filter == null ? FilterType.HAAR : filter).kind() : null, headEveryStep);
    }

    private float[] resolveAlphaBeta() {
        if (beta != null && betaScale != null) {
            throw new IllegalArgumentException("optBeta and optBetaScale are alternatives: give one of them");
        }
        if (alpha != null && !(alpha > 0 && alpha <= 1)) {
            throw new IllegalArgumentException("optAlpha must be in (0, 1], got " + alpha);
        }
        if (beta != null && !(beta > 0 && Double.isFinite(beta))) {
            throw new IllegalArgumentException("optBeta must be > 0 and finite, got " + beta);
        }
        if (betaScale != null && !(betaScale > 0 && Double.isFinite(betaScale))) {
            throw new IllegalArgumentException("optBetaScale must be > 0 and finite, got " + betaScale);
        }
        if (alphaScale != null && !(alphaScale > 0 && Double.isFinite(alphaScale))) {
            throw new IllegalArgumentException("optAlphaScale must be > 0 and finite, got " + alphaScale);
        }
        if (alphaScale != null && (alpha != null || betaScale != null)) {
            throw new IllegalArgumentException("optAlphaScale excludes " + (alpha != null ? "optAlpha" : "optBetaScale")
                    + ": give optAlphaScale with or without optBeta");
        }
        boolean rule = betaScale != null || alphaScale != null || (beta == null && alpha == null);
        int l;
        if (family.isRecurrent()) {
            if (rule && sequenceLength == null) {
                throw new IllegalArgumentException("roaf-rnn: beta = c / T needs the sequence length: call optSequenceLength(T)"
                        + " (or setShapeFrom(dataset)), or give optBeta or optAlpha");
            }
            l = sequenceLength == null ? 1 : sequenceLength;
        } else {
            l = depth;
        }
        if (alpha != null && beta == null && betaScale == null && alpha >= 1) {
            throw new IllegalArgumentException("optAlpha(" + alpha + ") alone gives beta = 1 - alpha = 0; give optBeta or"
                    + " optBetaScale too");
        }
        if (alpha == null && alphaScale == null && beta != null && beta >= 1) {
            throw new IllegalArgumentException("optBeta(" + beta + ") alone gives alpha = 1 - beta <= 0; give optAlpha too");
        }
        try {
            return ModelConfig.resolveAlphaBeta(alpha, beta, betaScale, alphaScale, l, family.isRecurrent()
                    ? Model.DEFAULT_BETA_SCALE_RECURRENT : Model.DEFAULT_BETA_SCALE_MLP);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replace("--beta-scale", "optBetaScale").replace("--alpha-scale", "optAlphaScale")
                    .replace("--alpha", "optAlpha").replace("--beta", "optBeta"), e);
        }
    }

    private static void atLeastOne(String setting, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(setting + " must be at least 1, got " + value);
        }
    }
}
