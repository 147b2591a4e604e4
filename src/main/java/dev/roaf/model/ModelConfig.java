package dev.roaf.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything that fixes a model's shape and equations: what a saved file's metadata records.
 *
 * @param kind          the model family
 * @param inputSize     D: input width per step (recurrent models) or vector length (MLPs)
 * @param hidden        N: state width
 * @param outputs       C: classes, or regression width
 * @param depth         L: ROAF layers (MLP families); 1 for recurrent models
 * @param alpha         weight of the filter term (ROAF models; 0 for rnn/mlp, 1 for resmlp, unused by lstm)
 * @param beta          weight of the nonlinear term (ROAF models; 1 for rnn/mlp/resmlp, unused by lstm)
 * @param filter        how O is drawn (ROAF models; null otherwise)
 * @param headEveryStep recurrent models: read out at every step (sequence to sequence) instead of the last
 */
public record ModelConfig(ModelKind kind, int inputSize, int hidden, int outputs, int depth, float alpha, float beta,
                          FilterKind filter, boolean headEveryStep) {

    /** Validates ranges and the combinations each kind allows. */
    public ModelConfig {
        if (kind == null) {
            throw new IllegalArgumentException("model kind is required");
        }
        positive("input size", inputSize);
        positive("hidden size", hidden);
        positive("outputs", outputs);
        positive("depth", depth);
        if (kind.recurrent() && depth != 1) {
            throw new IllegalArgumentException("depth applies to MLP models; recurrent models have depth 1, got " + depth);
        }
        if (!kind.recurrent() && headEveryStep) {
            throw new IllegalArgumentException("a per-step head needs a recurrent model, not " + kind);
        }
        switch (kind) {
            case ROAF_RNN, ROAF_MLP -> {
                if (!(alpha > 0f && alpha <= 1f)) {
                    throw new IllegalArgumentException("alpha must be in (0, 1], got " + alpha);
                }
                if (!(beta > 0f) || Float.isInfinite(beta)) {
                    throw new IllegalArgumentException("beta must be > 0 and finite, got " + beta);
                }
                if (filter == null) {
                    throw new IllegalArgumentException(kind + " needs a filter kind (haar, haar-shared or permutation)");
                }
            }
            case RNN, MLP -> {
                alpha = 0f;
                beta = 1f;
                filter = null;
            }
            case RESMLP -> {
                alpha = 1f;
                beta = 1f;
                filter = null;
            }
            case LSTM -> {
                alpha = 0f;
                beta = 0f;
                filter = null;
            }
        }
    }

    private static void positive(String what, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(what + " must be at least 1, got " + v);
        }
    }

    /**
     * Resolves the filter weight alpha and the nonlinear weight beta from what the user gave, for a
     * stack of depth L or a sequence of length T ({@code depthOrLength}), with no alpha-scale.
     *
     * @return {@code {alpha, beta}}
     * @see #resolveAlphaBeta(Double, Double, Double, Double, int, double)
     */
    public static float[] resolveAlphaBeta(Double alpha, Double beta, Double betaScale, int depthOrLength,
                                           double defaultBetaScale) {
        return resolveAlphaBeta(alpha, beta, betaScale, null, depthOrLength, defaultBetaScale);
    }

    /**
     * Resolves the filter weight alpha and the nonlinear weight beta from what the user gave, for a
     * stack of depth L or a sequence of length T ({@code depthOrLength}).
     *
     * <p>Rules, in order: a beta-scale c gives {@code beta = min(c / L, 1/2)}; otherwise an explicit
     * beta is used; otherwise an explicit alpha gives {@code beta = 1 - alpha}; otherwise an
     * alpha-scale c gives {@code beta = 1 - alpha}; with nothing given, {@code defaultBetaScale} acts as
     * the beta-scale. Alpha: an explicit alpha; otherwise an alpha-scale c gives
     * {@code alpha = max(1 - c / L, 1/2)}; otherwise {@code 1 - beta} (the convex combination). So an
     * alpha-scale alone is the convex rule again, and an alpha-scale with an explicit beta decouples
     * the two: the filter keeps a horizon of about L / c steps whatever the weight of the nonlinear
     * term (the copy task's recipe, bench/results/paper-cpu). The caps keep alpha positive when L is
     * smaller than c. Why depth-aware: with beta fixed, signals shrink by about alpha per layer or step,
     * so only beta = c / L keeps the end-to-end factor near exp(-c) at any depth (roaf-math.md, section 2).
     *
     * @return {@code {alpha, beta}}
     */
    public static float[] resolveAlphaBeta(Double alpha, Double beta, Double betaScale, Double alphaScale,
                                           int depthOrLength, double defaultBetaScale) {
        if (depthOrLength < 1) {
            throw new IllegalArgumentException("depth or length must be at least 1, got " + depthOrLength);
        }
        if (betaScale != null && beta != null) {
            throw new IllegalArgumentException("give --beta or --beta-scale, not both");
        }
        if (alphaScale != null && alpha != null) {
            throw new IllegalArgumentException("give --alpha or --alpha-scale, not both");
        }
        if (alphaScale != null && betaScale != null) {
            throw new IllegalArgumentException("give --alpha-scale or --beta-scale, not both (--alpha-scale with --beta"
                    + " sets the two weights apart; --beta-scale alone is the convex rule)");
        }
        if (alphaScale != null && !(alphaScale > 0 && Double.isFinite(alphaScale))) {
            throw new IllegalArgumentException("--alpha-scale must be > 0, got " + alphaScale);
        }
        Double a0 = alphaScale != null ? Double.valueOf(Math.max(1 - alphaScale / depthOrLength, 0.5)) : alpha;
        double b;
        if (betaScale != null) {
            if (!(betaScale > 0) || betaScale.isInfinite()) {
                throw new IllegalArgumentException("--beta-scale must be > 0, got " + betaScale);
            }
            b = Math.min(betaScale / depthOrLength, 0.5);
        } else if (beta != null) {
            b = beta;
        } else if (a0 != null) {
            b = 1 - a0;
        } else {
            b = Math.min(defaultBetaScale / depthOrLength, 0.5);
        }
        double a = a0 != null ? a0 : 1 - b;
        if (!(a > 0 && a <= 1)) {
            throw new IllegalArgumentException("--alpha must be in (0, 1], got " + a);
        }
        if (!(b > 0) || Double.isInfinite(b)) {
            throw new IllegalArgumentException("--beta must be > 0, got " + b + (alpha != null && beta == null && betaScale == null
                    ? " (from beta = 1 - alpha; give --beta or --beta-scale with --alpha 1)" : ""));
        }
        return new float[]{(float) a, (float) b};
    }

    /** The metadata a saved file carries so that it describes itself (all values are strings). */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "roaf");
        m.put("model", kind.cliName());
        m.put("input_size", Integer.toString(inputSize));
        m.put("hidden", Integer.toString(hidden));
        m.put("outputs", Integer.toString(outputs));
        m.put("depth", Integer.toString(depth));
        if (kind.hasFilter()) {
            m.put("alpha", Float.toString(alpha));
            m.put("beta", Float.toString(beta));
            m.put("filter", filter.cliName());
        }
        m.put("nonlinearity", "tanh");
        if (kind.recurrent()) {
            m.put("head", headEveryStep ? "every" : "last");
        }
        return m;
    }

    /** Rebuilds a configuration from {@link #toMetadata()}; messages say which key is missing or wrong. */
    public static ModelConfig fromMetadata(Map<String, String> m) {
        if (!"roaf".equals(m.get("format"))) {
            throw new IllegalArgumentException("metadata has no \"format\": \"roaf\" entry; not a roaf model file");
        }
        ModelKind kind = ModelKind.parse(required(m, "model"));
        String nl = m.getOrDefault("nonlinearity", "tanh");
        if (!nl.equals("tanh")) {
            throw new IllegalArgumentException("nonlinearity '" + nl + "' is not supported (only tanh)");
        }
        float alpha = 0f, beta = 0f;
        FilterKind filter = null;
        if (kind.hasFilter()) {
            alpha = parseFloat(m, "alpha");
            beta = parseFloat(m, "beta");
            filter = FilterKind.parse(required(m, "filter"));
        }
        boolean every = kind.recurrent() && "every".equals(m.getOrDefault("head", "last"));
        return new ModelConfig(kind, parseInt(m, "input_size"), parseInt(m, "hidden"), parseInt(m, "outputs"),
                parseInt(m, "depth"), alpha, beta, filter, every);
    }

    private static String required(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("metadata key \"" + key + "\" is missing");
        }
        return v;
    }

    private static int parseInt(Map<String, String> m, String key) {
        String v = required(m, key);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("metadata key \"" + key + "\": expected an integer, found '" + v + "'");
        }
    }

    private static float parseFloat(Map<String, String> m, String key) {
        String v = required(m, key);
        try {
            return Float.parseFloat(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("metadata key \"" + key + "\": expected a number, found '" + v + "'");
        }
    }
}
