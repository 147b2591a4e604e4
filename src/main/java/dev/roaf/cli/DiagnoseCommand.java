package dev.roaf.cli;

import dev.roaf.data.Batch;
import dev.roaf.data.Task;
import dev.roaf.data.TaskOptions;
import dev.roaf.data.Tasks;
import dev.roaf.diag.Bounds;
import dev.roaf.diag.Jacobi;
import dev.roaf.diag.StackDiagnostics;
import dev.roaf.engine.Engine;
import dev.roaf.engine.Engines;
import dev.roaf.io.InvalidFileException;
import dev.roaf.io.Json;
import dev.roaf.io.Safetensors;
import dev.roaf.model.FilterKind;
import dev.roaf.model.Model;
import dev.roaf.model.ModelConfig;
import dev.roaf.model.ModelKind;
import dev.roaf.plot.LineChart;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code roaf diagnose}: measures, for an MLP-family model at initialisation (or a trained
 * checkpoint), the per-layer gradient norms of the loss on one batch and the singular values of the
 * input-output Jacobian, next to a plain tanh MLP and a residual MLP of the same depth and width,
 * and prints them against the bounds of roaf-math.md section 2.
 */
@Command(name = "diagnose", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure per-layer gradient norms and input-output Jacobian singular values of roaf-mlp, mlp and resmlp"
                + " at initialisation (or of a saved model), and compare them with the theoretical bounds.",
                "Writes gradnorms.csv (layer,grad_x_norm,grad_W_norm), jacobian_sv.csv (moderate sizes or --jacobian),"
                        + " gradnorms-<model>.csv / jacobian_sv-<model>.csv for the comparison models, gradnorms.png,"
                        + " jacobian_sv.png and summary.json into --out."})
final class DiagnoseCommand implements Callable<Integer> {
    /** Largest N and L for which the Jacobian is computed without --jacobian. */
    static final int JACOBIAN_MAX_WIDTH = 64;
    static final int JACOBIAN_MAX_DEPTH = 2000;
    /** Points per plotted series (longer series are sampled at a regular stride). */
    private static final int PLOT_POINTS = 4000;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", description = "roaf-mlp, mlp or resmlp: the model written to gradnorms.csv (default: ${DEFAULT-VALUE})")
    String model = "roaf-mlp";
    @Option(names = "--depth", description = "Layers L (default: ${DEFAULT-VALUE})")
    int depth = 1000;
    @Option(names = "--hidden", description = "Width N (default: ${DEFAULT-VALUE})")
    int hidden = 64;
    @Option(names = "--batch", description = "Examples in the measured batch (default: ${DEFAULT-VALUE})")
    int batch = 32;
    @Option(names = "--seed", description = "Seeds the initialisation and the batch (default: ${DEFAULT-VALUE})")
    long seed = 1;
    @Option(names = "--alpha", description = "roaf-mlp: weight of the filter term (default: 1 - beta)")
    Double alpha;
    @Option(names = "--beta", description = "roaf-mlp: weight of the nonlinear term (default: from --beta-scale)")
    Double beta;
    @Option(names = "--beta-scale", description = "roaf-mlp: c in beta = min(c / L, 1/2) (default when neither alpha nor beta is given: "
            + TrainCommand.DEFAULT_BETA_SCALE_MLP + ", as roaf train)")
    Double betaScale;
    @Option(names = "--filter", description = "roaf-mlp: haar, haar-shared or permutation (default: ${DEFAULT-VALUE})")
    String filter = "haar";
    @Option(names = "--from", description = "Diagnose this saved model (model.safetensors of an MLP run) instead of a fresh one")
    Path from;
    @Option(names = "--input", description = "mnist (a training batch of the mnist task) or random (U(0,1) inputs, random labels;"
            + " needs no data) (default: ${DEFAULT-VALUE})")
    String input = "mnist";
    @Option(names = "--data-dir", description = "Folder with MNIST IDX files")
    Path dataDir;
    @Option(names = "--only", description = "Measure only --model, not the two comparison models")
    boolean only;
    @Option(names = "--jacobian", description = "Compute the Jacobian singular values at any size (default: only when N <= "
            + JACOBIAN_MAX_WIDTH + " and L <= " + JACOBIAN_MAX_DEPTH + ")")
    boolean jacobian;
    @Option(names = "--device", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE})")
    String device = "auto";
    @Option(names = "--threads", description = "CPU threads (default: all processors)")
    int threads = 0;
    @Option(names = "--out", description = "Output folder (default: runs/<time>-diagnose-<model>)")
    Path out;

    /** What one model measured. */
    record Result(ModelConfig config, Bounds bounds, StackDiagnostics.GradNorms grads, double[] singularValues, double seconds) {
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter o = spec.commandLine().getOut();
        if (threads < 0) {
            throw new IllegalArgumentException("--threads must be >= 0 (0 = all processors), got " + threads);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        }
        if (!input.equals("mnist") && !input.equals("random")) {
            throw new IllegalArgumentException("--input must be mnist or random, got '" + input + "'");
        }
        ModelConfig primary;
        Map<String, String> fromMeta = null;
        if (from != null) {
            CommandLine.ParseResult pr = spec.commandLine().getParseResult();
            for (String name : List.of("--model", "--depth", "--hidden", "--alpha", "--beta", "--beta-scale", "--filter")) {
                if (pr.hasMatchedOption(name)) {
                    throw new IllegalArgumentException(name + " conflicts with --from " + from + ": the model file defines it");
                }
            }
            fromMeta = Safetensors.read(from).metadata();
            try {
                primary = ModelConfig.fromMetadata(fromMeta);
            } catch (IllegalArgumentException e) {
                throw new InvalidFileException(from, e.getMessage());
            }
            if (primary.kind().recurrent() || primary.kind() == ModelKind.LSTM) {
                throw new IllegalArgumentException("--from " + from + " holds a " + primary.kind()
                        + " model; diagnose measures MLP models (roaf-mlp, mlp, resmlp)");
            }
        } else {
            primary = config(ModelKind.parse(model), 784, 10);
        }
        if (primary.kind().recurrent() || primary.kind() == ModelKind.LSTM) {
            throw new IllegalArgumentException("--model must be roaf-mlp, mlp or resmlp, got " + model);
        }
        if (only && primary.kind() != ModelKind.ROAF_MLP && (alpha != null || beta != null || betaScale != null)) {
            throw new IllegalArgumentException("--alpha, --beta and --beta-scale apply to roaf-mlp, not " + primary.kind());
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
        Path dir = out != null ? out : Path.of("runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                + "-diagnose-" + primary.kind());
        Files.createDirectories(dir);

        List<Result> results = new ArrayList<>();
        try (Engine engine = Engines.open(device, threads, err::println)) {
            err.println(String.format(Locale.ROOT, "roaf: diagnose L=%d N=%d on a batch of %d (%s input) on %s%s -> %s",
                    primary.depth(), primary.hidden(), b.size, input, engine.deviceName(),
                    withJacobian ? "" : "; Jacobian skipped (N > " + JACOBIAN_MAX_WIDTH + " or L > " + JACOBIAN_MAX_DEPTH
                            + "; --jacobian computes it)", dir));
            for (int i = 0; i < configs.size(); i++) {
                ModelConfig c = configs.get(i);
                long t0 = System.nanoTime();
                try (Model m = i == 0 && from != null ? Model.load(engine, from) : Model.create(engine, c, seed)) {
                    double w = StackDiagnostics.maxSpectralNorm(m);
                    Bounds bounds = new Bounds(m.config().alpha(), m.config().beta(), w, c.depth());
                    StackDiagnostics.GradNorms g = StackDiagnostics.gradNorms(m, b);
                    double[] sv = null;
                    if (withJacobian) {
                        sv = singularValues(StackDiagnostics.jacobian(m, StackDiagnostics.inputState(m, b, 0)));
                    }
                    Result r = new Result(m.config(), bounds, g, sv, (System.nanoTime() - t0) / 1e9);
                    results.add(r);
                    report(o, r, i == 0 && from != null ? from.toString() : null);
                    String suffix = i == 0 ? "" : "-" + c.kind().cliName();
                    writeGradNorms(dir.resolve("gradnorms" + suffix + ".csv"), g);
                    if (sv != null) {
                        writeSingularValues(dir.resolve("jacobian_sv" + suffix + ".csv"), sv);
                    }
                }
            }
        }
        plot(dir, results);
        Files.writeString(dir.resolve("summary.json"), Json.write(summary(results, b)) + "\n");
        o.println("roaf: wrote gradnorms.csv" + (withJacobian ? ", jacobian_sv.csv" : "") + ", gradnorms.png"
                + (withJacobian ? ", jacobian_sv.png" : "") + " and summary.json to " + dir);
        o.flush();
        return 0;
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

    private ModelConfig config(ModelKind kind, int inputs, int outputs) {
        if (depth < 1) {
            throw new IllegalArgumentException("--depth must be at least 1, got " + depth);
        }
        if (hidden < 1) {
            throw new IllegalArgumentException("--hidden must be at least 1, got " + hidden);
        }
        return config(kind, inputs, outputs, depth, hidden);
    }

    /** A fresh configuration, alpha and beta resolved exactly as {@code roaf train} does for MLPs. */
    private ModelConfig config(ModelKind kind, int inputs, int outputs, int layers, int width) {
        if (kind.recurrent() || kind == ModelKind.LSTM) {
            throw new IllegalArgumentException("--model must be roaf-mlp, mlp or resmlp, got " + kind);
        }
        if (beta != null && !(beta > 0 && Double.isFinite(beta))) {
            throw new IllegalArgumentException("--beta must be > 0, got " + beta);
        }
        if (alpha != null && !(alpha > 0 && alpha <= 1)) {
            throw new IllegalArgumentException("--alpha must be in (0, 1], got " + alpha);
        }
        if (betaScale != null && !(betaScale > 0 && Double.isFinite(betaScale))) {
            throw new IllegalArgumentException("--beta-scale must be > 0, got " + betaScale);
        }
        FilterKind fk = FilterKind.parse(filter);
        float[] ab = {0f, 0f};
        if (kind.hasFilter()) {
            ab = ModelConfig.resolveAlphaBeta(alpha, beta, betaScale, layers, TrainCommand.DEFAULT_BETA_SCALE_MLP);
        }
        return new ModelConfig(kind, inputs, width, outputs, layers, ab[0], ab[1], kind.hasFilter() ? fk : null, false);
    }

    /** The measured batch: mnist training examples (seeded), or U(0,1) inputs with random labels. */
    private Batch batch(ModelConfig c, PrintWriter err) {
        if (input.equals("random")) {
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
        Task t = Tasks.create("mnist", TaskOptions.defaults().withDataDir(dataDir));
        if (t.inputSize() != c.inputSize() || t.outputSize() != c.outputs()) {
            throw new IllegalArgumentException("the model reads " + c.inputSize() + " inputs and has " + c.outputs()
                    + " outputs; mnist gives " + t.inputSize() + " and " + t.outputSize() + " (use --input random)");
        }
        Object data = t.describe().get("data");
        if (data instanceof Map<?, ?> dm && Boolean.TRUE.equals(dm.get("sample"))) {
            err.println("roaf: using the " + dm.get("source") + " bundled in the jar");
        }
        return t.trainBatch(seed, 0, batch);
    }

    private static void report(PrintWriter o, Result r, String source) {
        ModelConfig c = r.config();
        Bounds bd = r.bounds();
        StackDiagnostics.GradNorms g = r.grads();
        o.println(String.format(Locale.ROOT, "%s L=%d N=%d%s: alpha=%.6g beta=%.6g%s, loss %.4f (%.1f s)", c.kind(), c.depth(),
                c.hidden(), source == null ? " at init" : " from " + source, bd.alpha(), bd.beta(),
                c.kind().hasFilter() ? " " + c.filter() : c.kind() == ModelKind.RESMLP ? " O=I" : " no filter", g.loss(),
                r.seconds()));
        o.println(String.format(Locale.ROOT, "  w = max_l ||W_l||_2 = %.4f (power iteration); alpha %s beta*w = %.4g%s",
                bd.w(), bd.guaranteed() ? ">" : "<=", bd.beta() * bd.w(),
                bd.guaranteed() ? "" : ": the lower bounds are 0 (no guarantee against vanishing)"));
        double[] step = g.stepRatioRange();
        o.println(String.format(Locale.ROOT, "  per layer:  theory sigma(J_l) in [%.6g, %.6g]; measured ||dL/dx_l|| / ||dL/dx_l+1|| in [%.6g, %.6g]",
                bd.perLayerLow(), bd.perLayerHigh(), step[0], step[1]));
        double e2e = g.gradTop() > 0 ? g.gradX()[0] / g.gradTop() : Double.NaN;
        o.println(String.format(Locale.ROOT, "  end to end: theory (alpha -+ beta w)^L in [%s, %s]; measured ||dL/dx_0|| / ||dL/dx_L|| = %.4g%s",
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
        o.println("  gradient norm over layers: max/min = " + verdict);
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
}
