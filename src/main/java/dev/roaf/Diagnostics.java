package dev.roaf;

import dev.roaf.data.Batch;
import dev.roaf.data.Task;
import dev.roaf.data.TaskOptions;
import dev.roaf.data.Tasks;
import dev.roaf.diag.Bounds;
import dev.roaf.diag.Jacobi;
import dev.roaf.diag.StackDiagnostics;
import dev.roaf.engine.Engine;
import dev.roaf.io.InvalidFileException;
import dev.roaf.io.Json;
import dev.roaf.io.Safetensors;
import dev.roaf.model.FilterKind;
import dev.roaf.model.ModelConfig;
import dev.roaf.model.ModelKind;
import dev.roaf.plot.LineChart;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Measurements that show why a deep ROAF-MLP trains, as {@code roaf diagnose} makes them: for an
 * MLP-family model at initialisation (or a saved one) the per-layer gradient norms of the loss on one
 * batch and, for moderate sizes, the singular values of the input-output Jacobian dx_L/dx_0, next to
 * a plain tanh MLP and a residual MLP of the same depth and width, compared with the bounds of
 * roaf-math.md section 2 (w = max_l ||W_l||_2, per layer alpha -+ beta w, end to end
 * (alpha -+ beta w)^L).
 *
 * <p>Configure with {@link #builder()}, then {@link #run(Path, Consumer, Consumer)} writes into a
 * folder {@code gradnorms.csv} ({@code layer,grad_x_norm,grad_W_norm}), {@code jacobian_sv.csv}
 * ({@code index,singular_value}), the same for the comparison models ({@code gradnorms-mlp.csv},
 * ...), {@code gradnorms.png}, {@code jacobian_sv.png} and {@code summary.json}, and reports each
 * model's measurements as text lines. A run opens the device for its duration and releases it.
 */
public final class Diagnostics {
    /** Largest width N for which the Jacobian is computed unless {@link Builder#optJacobian(boolean)} forces it: {@value}. */
    public static final int JACOBIAN_MAX_WIDTH = 64;
    /** Largest depth L for which the Jacobian is computed unless {@link Builder#optJacobian(boolean)} forces it: {@value}. */
    public static final int JACOBIAN_MAX_DEPTH = 2000;
    /** Points per plotted series (longer series are sampled at a regular stride). */
    private static final int PLOT_POINTS = 4000;

    private final ModelFamily family;
    private final int depth;
    private final int hidden;
    private final int batch;
    private final long seed;
    private final Double alpha;
    private final Double beta;
    private final Double betaScale;
    private final FilterType filter;
    private final Path from;
    private final boolean randomInput;
    private final Path dataDir;
    private final boolean only;
    private final boolean jacobian;
    private final Device device;

    private Diagnostics(Builder b) {
        this.family = b.family;
        this.depth = b.depth;
        this.hidden = b.hidden;
        this.batch = b.batch;
        this.seed = b.seed;
        this.alpha = b.alpha;
        this.beta = b.beta;
        this.betaScale = b.betaScale;
        this.filter = b.filter;
        this.from = b.from;
        this.randomInput = b.randomInput;
        this.dataDir = b.dataDir;
        this.only = b.only;
        this.jacobian = b.jacobian;
        this.device = b.device;
    }

    /**
     * A builder with the defaults of {@code roaf diagnose}: roaf-mlp, L = 1000, N = 64, a batch of 32
     * MNIST training examples, seed 1, the comparison models included, the best device.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** What one model measured. */
    private record Result(ModelConfig config, Bounds bounds, StackDiagnostics.GradNorms grads, double[] singularValues,
                          double seconds) {
    }

    /**
     * Measures the models and writes the files.
     *
     * @param dir     the output folder (created if needed); null for
     *                {@code runs/<yyyyMMdd-HHmmss>-diagnose-<family>} under the working directory
     * @param report  receives the measurements, a few lines per model, and a last line naming the
     *                files written
     * @param notices receives one-line notices (the folder and device used, the bundled MNIST sample,
     *                device fallbacks); null for none
     * @return the output folder
     * @throws IllegalArgumentException if a setting does not fit (a recurrent family, a saved model
     *                                  that is not an MLP or whose file is malformed, MNIST input for
     *                                  a model that does not read 784 pixels into 10 classes), or the
     *                                  device cannot be opened; the message says which
     * @throws IOException              if a file cannot be read or written
     */
    public Path run(Path dir, Consumer<String> report, Consumer<String> notices) throws IOException {
        Objects.requireNonNull(report, "report");
        Consumer<String> err = notices == null ? s -> { } : notices;
        ModelConfig primary;
        if (from != null) {
            Map<String, String> fromMeta;
            try {
                fromMeta = Safetensors.read(from).metadata();
                primary = ModelConfig.fromMetadata(fromMeta);
            } catch (InvalidFileException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(new InvalidFileException(from, e.getMessage()).getMessage(), e);
            }
            if (primary.kind().recurrent() || primary.kind() == ModelKind.LSTM) {
                throw new IllegalArgumentException(from + " holds a " + primary.kind()
                        + " model; diagnostics measure MLP models (roaf-mlp, mlp, resmlp)");
            }
        } else {
            primary = config(family.kind(), 784, 10, depth, hidden);
        }
        List<ModelConfig> configs = new ArrayList<>();
        configs.add(primary);
        if (!only) {
            for (ModelKind k : List.of(ModelKind.ROAF_MLP, ModelKind.MLP, ModelKind.RESMLP)) {
                if (k != primary.kind()) {
                    configs.add(config(k, primary.inputSize(), primary.outputs(), primary.depth(), primary.hidden()));
                }
            }
        }
        Batch b = batch(primary, err);
        boolean withJacobian = jacobian || (primary.hidden() <= JACOBIAN_MAX_WIDTH && primary.depth() <= JACOBIAN_MAX_DEPTH);
        Path out = dir != null ? dir : Path.of("runs", java.time.LocalDateTime.now().format(
                java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-diagnose-" + primary.kind());
        Files.createDirectories(out);

        List<Result> results = new ArrayList<>();
        try (Engine engine = (notices == null ? device : device.withNotices(notices)).open()) {
            err.accept(String.format(Locale.ROOT, "roaf: diagnose L=%d N=%d on a batch of %d (%s input) on %s%s -> %s",
                    primary.depth(), primary.hidden(), b.size, randomInput ? "random" : "mnist", engine.deviceName(),
                    withJacobian ? "" : "; Jacobian skipped (N > " + JACOBIAN_MAX_WIDTH + " or L > " + JACOBIAN_MAX_DEPTH
                            + "; --jacobian computes it)", out));
            for (int i = 0; i < configs.size(); i++) {
                ModelConfig c = configs.get(i);
                long t0 = System.nanoTime();
                try (dev.roaf.model.Model m = i == 0 && from != null ? dev.roaf.model.Model.load(engine, from)
                        : dev.roaf.model.Model.create(engine, c, seed)) {
                    double w = StackDiagnostics.maxSpectralNorm(m);
                    Bounds bounds = new Bounds(m.config().alpha(), m.config().beta(), w, c.depth());
                    StackDiagnostics.GradNorms g = StackDiagnostics.gradNorms(m, b);
                    double[] sv = null;
                    if (withJacobian) {
                        sv = singularValues(StackDiagnostics.jacobian(m, StackDiagnostics.inputState(m, b, 0)));
                    }
                    Result r = new Result(m.config(), bounds, g, sv, (System.nanoTime() - t0) / 1e9);
                    results.add(r);
                    report(report, r, i == 0 && from != null ? from.toString() : null);
                    String suffix = i == 0 ? "" : "-" + c.kind().cliName();
                    writeGradNorms(out.resolve("gradnorms" + suffix + ".csv"), g);
                    if (sv != null) {
                        writeSingularValues(out.resolve("jacobian_sv" + suffix + ".csv"), sv);
                    }
                } catch (InvalidFileException e) {
                    throw new IllegalArgumentException(e.getMessage(), e);
                }
            }
        }
        plot(out, results);
        Files.writeString(out.resolve("summary.json"), Json.write(summary(results, b)) + "\n");
        report.accept("roaf: wrote gradnorms.csv" + (withJacobian ? ", jacobian_sv.csv" : "") + ", gradnorms.png"
                + (withJacobian ? ", jacobian_sv.png" : "") + " and summary.json to " + out);
        return out;
    }

    /** A fresh configuration, alpha and beta resolved exactly as {@code roaf train} does for MLPs. */
    private ModelConfig config(ModelKind kind, int inputs, int outputs, int layers, int width) {
        if (kind.recurrent() || kind == ModelKind.LSTM) {
            throw new IllegalArgumentException("diagnostics measure MLP models (roaf-mlp, mlp, resmlp), not " + kind);
        }
        FilterKind fk = (filter == null ? FilterType.HAAR : filter).kind();
        float[] ab = {0f, 0f};
        if (kind.hasFilter()) {
            try {
                ab = ModelConfig.resolveAlphaBeta(alpha, beta, betaScale, layers, Model.DEFAULT_BETA_SCALE_MLP);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage().replace("--beta-scale", "optBetaScale")
                        .replace("--alpha", "optAlpha").replace("--beta", "optBeta"), e);
            }
        }
        return new ModelConfig(kind, inputs, width, outputs, layers, ab[0], ab[1], kind.hasFilter() ? fk : null, false);
    }

    /** The measured batch: mnist training examples (seeded), or U(0,1) inputs with random labels. */
    private Batch batch(ModelConfig c, Consumer<String> err) {
        if (randomInput) {
            SplittableRandom rng = new SplittableRandom(seed);
            float[] x = new float[batch * c.inputSize()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rng.nextDouble();
            }
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) {
                labels[i] = rng.nextInt(c.outputs());
            }
            return new Batch(batch, 0, c.inputSize(), x, Batch.Target.CLASS, labels, null, c.outputs());
        }
        Task t;
        try {
            t = Tasks.create("mnist", TaskOptions.defaults().withDataDir(dataDir));
        } catch (dev.roaf.data.DataException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (t.inputSize() != c.inputSize() || t.outputSize() != c.outputs()) {
            throw new IllegalArgumentException("the model reads " + c.inputSize() + " inputs and has " + c.outputs()
                    + " outputs; mnist gives " + t.inputSize() + " and " + t.outputSize() + " (use --input random)");
        }
        Object data = t.describe().get("data");
        if (data instanceof Map<?, ?> dm && Boolean.TRUE.equals(dm.get("sample"))) {
            err.accept("roaf: using the " + dm.get("source") + " bundled in the jar");
        }
        return t.trainBatch(seed, 0, batch);
    }

    /** Singular values of J, or all +infinity when J overflowed (NaN or infinite entries). */
    private static double[] singularValues(double[][] j) {
        for (double[] row : j) {
            for (double v : row) {
                if (!Double.isFinite(v)) {
                    double[] inf = new double[j.length];
                    java.util.Arrays.fill(inf, Double.POSITIVE_INFINITY);
                    return inf;
                }
            }
        }
        return Jacobi.singularValues(j);
    }

    private static void report(Consumer<String> o, Result r, String source) {
        ModelConfig c = r.config();
        Bounds bd = r.bounds();
        StackDiagnostics.GradNorms g = r.grads();
        o.accept(String.format(Locale.ROOT, "%s L=%d N=%d%s: alpha=%.6g beta=%.6g%s, loss %.4f (%.1f s)", c.kind(), c.depth(),
                c.hidden(), source == null ? " at init" : " from " + source, bd.alpha(), bd.beta(),
                c.kind().hasFilter() ? " " + c.filter() : c.kind() == ModelKind.RESMLP ? " O=I" : " no filter", g.loss(),
                r.seconds()));
        o.accept(String.format(Locale.ROOT, "  w = max_l ||W_l||_2 = %.4f (power iteration); alpha %s beta*w = %.4g%s",
                bd.w(), bd.guaranteed() ? ">" : "<=", bd.beta() * bd.w(),
                bd.guaranteed() ? "" : ": the lower bounds are 0 (no guarantee against vanishing)"));
        double[] step = g.stepRatioRange();
        o.accept(String.format(Locale.ROOT, "  per layer:  theory sigma(J_l) in [%.6g, %.6g]; measured ||dL/dx_l|| / ||dL/dx_l+1|| in [%.6g, %.6g]",
                bd.perLayerLow(), bd.perLayerHigh(), step[0], step[1]));
        double e2e = g.gradTop() > 0 ? g.gradX()[0] / g.gradTop() : Double.NaN;
        o.accept(String.format(Locale.ROOT, "  end to end: theory (alpha -+ beta w)^L in [%s, %s]; measured ||dL/dx_0|| / ||dL/dx_L|| = %.4g%s",
                Bounds.formatLog10(bd.log10EndLow()), Bounds.formatLog10(bd.log10EndHigh()), e2e,
                r.singularValues() == null ? "" : String.format(Locale.ROOT, "; Jacobian singular values in [%.4g, %.4g]",
                        r.singularValues()[r.singularValues().length - 1], r.singularValues()[0])));
        double ratio = g.maxMinRatio();
        String verdict;
        if (g.nonFiniteLayers() > 0) {
            verdict = String.format(Locale.ROOT, "not finite: the gradient overflows float32 in %d of %d layers", g.nonFiniteLayers(),
                    c.depth());
        } else if (g.zeroLayers() > 0) {
            verdict = String.format(Locale.ROOT, "inf: the gradient vanishes to zero in %d of %d layers (max/min over the others %.4g)",
                    g.zeroLayers(), c.depth(), g.maxMinRatioNonZero());
        } else {
            verdict = String.format(Locale.ROOT, "%.4g (min %.4g at layer %d, top %.4g)", ratio, g.gradX()[g.argMin()], g.argMin(),
                    g.gradTop());
        }
        o.accept("  gradient norm over layers: max/min = " + verdict);
        int frozen = g.zeroWeightLayers();
        if (frozen > 0) {
            o.accept(String.format(Locale.ROOT, "  weight gradients: ||dL/dW_l|| is exactly 0 in %d of %d layers: those layers cannot learn",
                    frozen, c.depth()));
        }
    }

    private static void writeGradNorms(Path file, StackDiagnostics.GradNorms g) throws IOException {
        StringBuilder sb = new StringBuilder("layer,grad_x_norm,grad_W_norm\n");
        for (int l = 0; l < g.gradX().length; l++) {
            sb.append(l).append(',').append(num(g.gradX()[l])).append(',').append(num(g.gradW()[l])).append('\n');
        }
        Files.writeString(file, sb);
    }

    private static void writeSingularValues(Path file, double[] sv) throws IOException {
        StringBuilder sb = new StringBuilder("index,singular_value\n");
        for (int i = 0; i < sv.length; i++) {
            sb.append(i).append(',').append(num(sv[i])).append('\n');
        }
        Files.writeString(file, sb);
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.9g", v);
    }

    private static void plot(Path dir, List<Result> results) throws IOException {
        int layers = results.get(0).config().depth();
        int stride = Math.max(1, (layers + PLOT_POINTS - 1) / PLOT_POINTS);
        LineChart.Panel gx = new LineChart.Panel("||dLoss/dx_l|| at layer l", "layer l", "gradient norm").logY(true);
        LineChart.Panel gw = new LineChart.Panel("||dLoss/dW_l||", "layer l", "gradient norm").logY(true);
        for (Result r : results) {
            String name = label(r);
            int count = (layers + stride - 1) / stride;
            double[] xs = new double[count], yx = new double[count], yw = new double[count];
            for (int i = 0; i < count; i++) {
                int l = Math.min(layers - 1, i * stride);
                xs[i] = l;
                yx[i] = r.grads().gradX()[l];
                yw[i] = r.grads().gradW()[l];
            }
            gx.series(name, xs, yx);
            gw.series(name, xs, yw);
        }
        for (Result r : results) {
            if (r.config().kind() == ModelKind.ROAF_MLP && r.bounds().guaranteed()) {
                // Band around the top gradient: (alpha -+ beta w)^(L-l) ||dL/dx_L||.
                gx.hline("roaf bound low", r.grads().gradTop() * Math.pow(10, r.bounds().log10EndLow()));
                gx.hline("roaf bound high", r.grads().gradTop() * Math.pow(10, r.bounds().log10EndHigh()));
            }
        }
        LineChart.write(dir.resolve("gradnorms.png"), 1400, 560, String.format(Locale.ROOT, "Gradient norms at depth L = %d, N = %d",
                layers, results.get(0).config().hidden()), gx, gw);
        if (results.get(0).singularValues() != null) {
            LineChart.Panel sv = new LineChart.Panel("singular values of dx_L/dx_0", "index", "singular value").logY(true);
            for (Result r : results) {
                double[] s = r.singularValues();
                double[] xs = new double[s.length];
                for (int i = 0; i < s.length; i++) {
                    xs[i] = i;
                }
                sv.series(label(r), xs, s);
                if (r.config().kind() == ModelKind.ROAF_MLP && r.bounds().guaranteed()) {
                    sv.hline("roaf (alpha - beta w)^L", Math.pow(10, r.bounds().log10EndLow()));
                    sv.hline("roaf (alpha + beta w)^L", Math.pow(10, r.bounds().log10EndHigh()));
                }
            }
            LineChart.write(dir.resolve("jacobian_sv.png"), 900, 600, String.format(Locale.ROOT,
                    "Input-output Jacobian, L = %d, N = %d", layers, results.get(0).config().hidden()), sv);
        }
    }

    private static String label(Result r) {
        ModelConfig c = r.config();
        return c.kind() == ModelKind.ROAF_MLP ? String.format(Locale.ROOT, "roaf-mlp (alpha=%.6g)", c.alpha()) : c.kind().cliName();
    }

    private Map<String, Object> summary(List<Result> results, Batch b) {
        String input = randomInput ? "random" : "mnist";
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("input", input);
        s.put("batch", b.size);
        s.put("seed", seed);
        s.put("from", from == null ? null : from.toString());
        List<Object> models = new ArrayList<>();
        for (Result r : results) {
            Map<String, Object> m = new LinkedHashMap<>(r.config().toMetadata());
            Bounds bd = r.bounds();
            m.put("w", bd.w());
            m.put("bounds_guaranteed", bd.guaranteed());
            m.put("per_layer_sigma_low", bd.perLayerLow());
            m.put("per_layer_sigma_high", bd.perLayerHigh());
            m.put("log10_end_to_end_low", Double.isInfinite(bd.log10EndLow()) ? null : bd.log10EndLow());
            m.put("log10_end_to_end_high", bd.log10EndHigh());
            double[] step = r.grads().stepRatioRange();
            m.put("grad_step_ratio_min", finite(step[0]));
            m.put("grad_step_ratio_max", finite(step[1]));
            m.put("grad_max_min_ratio", finite(r.grads().maxMinRatio()));
            m.put("grad_zero_layers", r.grads().zeroLayers());
            m.put("grad_w_zero_layers", r.grads().zeroWeightLayers());
            m.put("grad_nonfinite_layers", r.grads().nonFiniteLayers());
            m.put("grad_top_norm", finite(r.grads().gradTop()));
            m.put("grad_input_norm", finite(r.grads().gradX()[0]));
            m.put("loss", finite(r.grads().loss()));
            if (r.singularValues() != null) {
                m.put("jacobian_sv_max", finite(r.singularValues()[0]));
                m.put("jacobian_sv_min", finite(r.singularValues()[r.singularValues().length - 1]));
            }
            m.put("seconds", r.seconds());
            models.add(m);
        }
        s.put("models", models);
        return s;
    }

    private static Object finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /** Settings of a {@link Diagnostics} run; every setting is optional. */
    public static final class Builder {
        private ModelFamily family = ModelFamily.ROAF_MLP;
        private int depth = 1000;
        private int hidden = 64;
        private int batch = 32;
        private long seed = 1;
        private Double alpha;
        private Double beta;
        private Double betaScale;
        private FilterType filter;
        private Path from;
        private boolean randomInput;
        private Path dataDir;
        private boolean only;
        private boolean jacobian;
        private Device device = Device.best();

        private Builder() {
        }

        /**
         * Sets the family of the primary model (written to {@code gradnorms.csv}).
         *
         * @param family roaf-mlp (default), mlp or resmlp
         * @return this builder
         */
        public Builder optFamily(ModelFamily family) {
            this.family = Objects.requireNonNull(family, "family");
            return this;
        }

        /**
         * Sets L, the number of layers of the fresh models.
         *
         * @param depth L, at least 1 (default 1000)
         * @return this builder
         */
        public Builder optDepth(int depth) {
            this.depth = depth;
            return this;
        }

        /**
         * Sets N, the width of the fresh models.
         *
         * @param hidden N, at least 1 (default 64)
         * @return this builder
         */
        public Builder optHiddenSize(int hidden) {
            this.hidden = hidden;
            return this;
        }

        /**
         * Sets the number of examples in the measured batch.
         *
         * @param batch B, at least 1 (default 32)
         * @return this builder
         */
        public Builder optBatchSize(int batch) {
            this.batch = batch;
            return this;
        }

        /**
         * Sets the seed of the initialisation and of the batch.
         *
         * @param seed the seed (default 1)
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets roaf-mlp's alpha, the weight of the filter term, as {@link ModelBuilder#optAlpha}.
         *
         * @param alpha in (0, 1] (default 1 - beta)
         * @return this builder
         */
        public Builder optAlpha(double alpha) {
            this.alpha = alpha;
            return this;
        }

        /**
         * Sets roaf-mlp's beta, the weight of the nonlinear term, as {@link ModelBuilder#optBeta}.
         *
         * @param beta &gt; 0 (default from the beta scale)
         * @return this builder
         */
        public Builder optBeta(double beta) {
            this.beta = beta;
            return this;
        }

        /**
         * Sets c in roaf-mlp's beta = min(c / L, 1/2), as {@link ModelBuilder#optBetaScale}.
         *
         * @param betaScale c &gt; 0 (default {@link Model#DEFAULT_BETA_SCALE_MLP} when neither alpha nor beta is set)
         * @return this builder
         */
        public Builder optBetaScale(double betaScale) {
            this.betaScale = betaScale;
            return this;
        }

        /**
         * Sets roaf-mlp's filter.
         *
         * @param filter the filter (default {@link FilterType#HAAR})
         * @return this builder
         */
        public Builder optFilter(FilterType filter) {
            this.filter = Objects.requireNonNull(filter, "filter");
            return this;
        }

        /**
         * Diagnoses a saved MLP-family model (a {@code model.safetensors}) as the primary model instead
         * of a fresh one; its file defines family, depth, width, alpha, beta and filter.
         *
         * @param modelFile the saved model
         * @return this builder
         */
        public Builder optFrom(Path modelFile) {
            this.from = Objects.requireNonNull(modelFile, "modelFile");
            return this;
        }

        /**
         * Chooses the measured batch: U(0,1) inputs with random labels (needs no data) instead of
         * MNIST training examples.
         *
         * @param random whether to use random inputs (default false: MNIST)
         * @return this builder
         */
        public Builder optRandomInput(boolean random) {
            this.randomInput = random;
            return this;
        }

        /**
         * Sets the folder searched first for the MNIST IDX files, as {@link Datasets.Options#withDataDir}.
         *
         * @param dataDir the folder
         * @return this builder
         */
        public Builder optDataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /**
         * Measures only the primary model, not the two comparison models.
         *
         * @param only whether to skip the comparison models (default false)
         * @return this builder
         */
        public Builder optOnlyPrimary(boolean only) {
            this.only = only;
            return this;
        }

        /**
         * Computes the Jacobian's singular values at any size (by default only when
         * N &lt;= {@value #JACOBIAN_MAX_WIDTH} and L &lt;= {@value #JACOBIAN_MAX_DEPTH}).
         *
         * @param always whether to compute it at any size
         * @return this builder
         */
        public Builder optJacobian(boolean always) {
            this.jacobian = always;
            return this;
        }

        /**
         * Sets the device the measurements run on.
         *
         * @param device the device (default {@link Device#best()})
         * @return this builder
         */
        public Builder optDevice(Device device) {
            this.device = Objects.requireNonNull(device, "device");
            return this;
        }

        /**
         * Checks the settings.
         *
         * @return the diagnostics, ready to {@link Diagnostics#run run}
         * @throws IllegalArgumentException if a setting is out of range or does not apply (the message says which)
         */
        public Diagnostics build() {
            if (family.isRecurrent()) {
                throw new IllegalArgumentException("optFamily must be roaf-mlp, mlp or resmlp, got " + family);
            }
            if (batch < 1) {
                throw new IllegalArgumentException("optBatchSize must be at least 1, got " + batch);
            }
            if (from == null && depth < 1) {
                throw new IllegalArgumentException("optDepth must be at least 1, got " + depth);
            }
            if (from == null && hidden < 1) {
                throw new IllegalArgumentException("optHiddenSize must be at least 1, got " + hidden);
            }
            if (beta != null && !(beta > 0 && Double.isFinite(beta))) {
                throw new IllegalArgumentException("optBeta must be > 0, got " + beta);
            }
            if (alpha != null && !(alpha > 0 && alpha <= 1)) {
                throw new IllegalArgumentException("optAlpha must be in (0, 1], got " + alpha);
            }
            if (betaScale != null && !(betaScale > 0 && Double.isFinite(betaScale))) {
                throw new IllegalArgumentException("optBetaScale must be > 0, got " + betaScale);
            }
            if (only && from == null && family != ModelFamily.ROAF_MLP && (alpha != null || beta != null || betaScale != null)) {
                throw new IllegalArgumentException("optAlpha, optBeta and optBetaScale apply to roaf-mlp, not " + family);
            }
            return new Diagnostics(this);
        }
    }
}
