package dev.roaf.cli;

import dev.roaf.Version;
import dev.roaf.data.Batch;
import dev.roaf.data.Task;
import dev.roaf.data.TaskOptions;
import dev.roaf.data.Tasks;
import dev.roaf.engine.Engine;
import dev.roaf.engine.Engines;
import dev.roaf.io.Safetensors;
import dev.roaf.model.FilterKind;
import dev.roaf.model.Model;
import dev.roaf.model.ModelConfig;
import dev.roaf.model.ModelKind;
import dev.roaf.train.EvalRecord;
import dev.roaf.train.Optimizer;
import dev.roaf.train.Progress;
import dev.roaf.train.RunRecord;
import dev.roaf.train.StepRecord;
import dev.roaf.train.TrainListener;
import dev.roaf.train.TrainOptions;
import dev.roaf.train.TrainResult;
import dev.roaf.train.Trainer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code roaf train}: trains one model on one task and leaves a run record (config.json,
 * metrics.jsonl, model.safetensors, curves.png) in {@code --out}. With no options it trains a
 * roaf-rnn on psMNIST for a few minutes on a CPU.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model on a task and write a run record (config.json, metrics.jsonl, model.safetensors,"
                + " curves.png).", "With no options: roaf-rnn, N=128, on psMNIST, " + TrainCommand.DEFAULT_STEPS
                + " steps of batch 100."})
final class TrainCommand implements Callable<Integer> {
    /** Steps of the default run: enough for psMNIST to learn well above chance on two cores in a few minutes. */
    static final long DEFAULT_STEPS = 100;
    /**
     * The default c of beta = c / L (or c / T). See README "Choosing alpha and beta": measured on
     * psMNIST, recorded in bench/results.
     */
    static final double DEFAULT_BETA_SCALE = 1.0;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", description = "roaf-rnn, rnn, lstm, roaf-mlp, mlp or resmlp (default: ${DEFAULT-VALUE})")
    String model = "roaf-rnn";
    @Option(names = "--task", description = "psmnist, smnist, psfashion, sfashion, mnist, fashion, adding, copy (default: ${DEFAULT-VALUE})")
    String task = "psmnist";
    @Option(names = "--hidden", description = "State width N (default: ${DEFAULT-VALUE})")
    int hidden = 128;
    @Option(names = "--depth", description = "ROAF layers L of an MLP model (default: ${DEFAULT-VALUE})")
    int depth = 100;
    @Option(names = "--length", description = "T: sequence length of adding, delay of copy (default: the task's)")
    int length = 0;
    @Option(names = "--alpha", description = "Weight of the orthogonal filter term (default: 1 - beta)")
    Double alpha;
    @Option(names = "--beta", description = "Weight of the nonlinear term (default: from --beta-scale)")
    Double beta;
    @Option(names = "--beta-scale", description = "c in beta = c / L (MLP) or c / T (RNN), capped at 0.5 (default: "
            + DEFAULT_BETA_SCALE + " when neither alpha nor beta is given)")
    Double betaScale;
    @Option(names = "--filter", description = "haar, haar-shared or permutation (default: ${DEFAULT-VALUE})")
    String filter = "haar";
    @Option(names = "--epochs", description = "Epochs over the training set (datasets only)")
    Double epochs;
    @Option(names = "--steps", description = "Optimizer steps (default: " + DEFAULT_STEPS + ")")
    Long steps;
    @Option(names = "--batch", description = "Examples per step (default: ${DEFAULT-VALUE})")
    int batch = 100;
    @Option(names = "--lr", description = "Learning rate (default: ${DEFAULT-VALUE})")
    float lr = 0.002f;
    @Option(names = "--optimizer", description = "adam or sgd (default: ${DEFAULT-VALUE})")
    String optimizer = "adam";
    @Option(names = "--momentum", description = "SGD momentum (default: ${DEFAULT-VALUE})")
    float momentum = 0f;
    @Option(names = "--clip-norm", description = "Rescale gradients whose L2 norm exceeds this (default: off)")
    float clipNorm = 0f;
    @Option(names = "--seed", description = "Seeds the initialisation and the order of examples (default: ${DEFAULT-VALUE})")
    long seed = 1;
    @Option(names = "--perm-seed", description = "Seeds the pixel permutation of ps* tasks (default: ${DEFAULT-VALUE})")
    long permSeed = 0;
    @Option(names = "--device", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE})")
    String device = "auto";
    @Option(names = "--threads", description = "CPU threads (default: all processors)")
    int threads = 0;
    @Option(names = "--data-dir", description = "Folder with MNIST / Fashion-MNIST IDX files")
    Path dataDir;
    @Option(names = "--init", description = "Start from the parameters of this safetensors file (shapes checked)")
    Path init;
    @Option(names = "--out", description = "Run folder (default: runs/<time>-<model>-<task>)")
    Path out;
    @Option(names = "--eval-every", description = "Evaluate every this many steps (default: steps / 10)")
    Long evalEvery;
    @Option(names = "--eval-size", description = "Test examples per intermediate evaluation; the final one uses all"
            + " (default: ${DEFAULT-VALUE})")
    int evalSize = 1000;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        ModelKind kind = ModelKind.parse(model);
        Optimizer.Kind optKind = Optimizer.Kind.parse(optimizer);
        FilterKind filterKind = FilterKind.parse(filter);
        if (length < 0) {
            throw new IllegalArgumentException("--length must be >= 1, got " + length);
        }
        Task t = Tasks.create(task, TaskOptions.defaults().withLength(length).withPermSeed(permSeed).withDataDir(dataDir));
        Object data = t.describe().get("data");
        if (data instanceof Map<?, ?> dm && Boolean.TRUE.equals(dm.get("sample"))) {
            err.println("roaf: using the " + dm.get("source") + " bundled in the jar; for the full dataset run"
                    + " 'roaf data fetch mnist' or pass --data-dir");
        }
        if (kind.recurrent() != (t.steps() > 0)) {
            throw new IllegalArgumentException("--model " + kind + (kind.recurrent()
                    ? " reads sequences; task " + task + " gives vectors (use psmnist, smnist, psfashion, sfashion, adding or copy)"
                    : " reads vectors; task " + task + " gives sequences (use mnist or fashion)"));
        }
        int layers = kind.recurrent() ? 1 : depth;
        if (!kind.recurrent() && depth < 1) {
            throw new IllegalArgumentException("--depth must be at least 1, got " + depth);
        }
        float[] ab = {0f, 0f};
        if (kind.hasFilter()) {
            ab = ModelConfig.resolveAlphaBeta(alpha, beta, betaScale, kind.recurrent() ? t.steps() : layers, DEFAULT_BETA_SCALE);
        } else if (alpha != null || beta != null || betaScale != null) {
            throw new IllegalArgumentException("--alpha, --beta and --beta-scale apply to roaf-rnn and roaf-mlp, not " + kind);
        }
        ModelConfig config = new ModelConfig(kind, t.inputSize(), hidden, t.outputSize(), layers, ab[0], ab[1],
                kind.hasFilter() ? filterKind : null, t.target() == Batch.Target.CLASS_PER_STEP);
        long totalSteps = resolveSteps(t);
        long every = evalEvery != null ? evalEvery : Math.max(1, totalSteps / 10);
        TrainOptions options = new TrainOptions(totalSteps, batch, lr, optKind, momentum, seed, every, evalSize, clipNorm);
        Path dir = out != null ? out : Path.of("runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                + "-" + kind + "-" + task);

        try (Engine engine = Engines.open(device, threads, err::println);
             Model m = Model.create(engine, config, seed);
             RunRecord record = new RunRecord(dir, kind + " on " + t.name(), t.target() != Batch.Target.REGRESSION)) {
            if (init != null) {
                m.loadTensors(Safetensors.read(init), init.toString());
            }
            err.println(String.format(Locale.ROOT, "roaf: %s N=%d%s on %s%s, %s, %,d parameters, %d steps of %d on %s -> %s",
                    kind, hidden, kind.recurrent() ? "" : " L=" + layers, t.name(), t.steps() > 0 ? " (T=" + t.steps() + ")" : "",
                    kind.hasFilter() ? String.format(Locale.ROOT, "alpha=%.6g beta=%.6g %s", ab[0], ab[1], filterKind) : "baseline",
                    m.parameters().count(), totalSteps, batch, engine.deviceName(), dir));
            record.writeConfig(runConfig(config, options, t, engine));
            Progress progress = Progress.forStderr(totalSteps);
            Trainer trainer = new Trainer(m, t, options).addListener(record).addListener(new TrainListener() {
                @Override
                public void onStep(StepRecord s) {
                    progress.update(s.step(), s.loss(), Double.isNaN(s.accuracy()) ? "" : String.format(Locale.ROOT, "acc %.3f", s.accuracy()));
                }

                @Override
                public void onEvaluation(EvalRecord e) {
                    progress.message(describe(e));
                }
            });
            TrainResult result = trainer.fit();
            progress.finish();
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("task", t.name());
            meta.put("perm_seed", Long.toString(permSeed));
            meta.put("length", Integer.toString(t.steps()));
            meta.put("steps", Long.toString(totalSteps));
            meta.put("seed", Long.toString(seed));
            m.save(dir.resolve("model.safetensors"), meta);
            EvalRecord last = result.last();
            spec.commandLine().getOut().println(String.format(Locale.ROOT, "%s on %s after %d steps: test loss %.4f%s (%d test examples); run record in %s",
                    kind, t.name(), last.step(), last.testLoss(), Double.isNaN(last.testAcc()) ? ""
                            : String.format(Locale.ROOT, ", test accuracy %.4f", last.testAcc()), last.testExamples(), dir));
        }
        return 0;
    }

    private long resolveSteps(Task t) {
        if (steps != null && epochs != null) {
            throw new IllegalArgumentException("give --steps or --epochs, not both");
        }
        if (epochs != null) {
            if (t.trainSize() <= 0) {
                throw new IllegalArgumentException("--epochs needs a dataset; task " + t.name() + " is an endless stream: use --steps");
            }
            if (!(epochs > 0)) {
                throw new IllegalArgumentException("--epochs must be > 0, got " + epochs);
            }
            return Math.max(1, Math.round(epochs * (t.trainSize() / batch)));
        }
        return steps != null ? steps : DEFAULT_STEPS;
    }

    static String describe(EvalRecord e) {
        return String.format(Locale.ROOT, "step %d%s: train loss %.4f%s | test loss %.4f%s (%d examples) | %.1f s", e.step(),
                Double.isNaN(e.epoch()) ? "" : String.format(Locale.ROOT, " (epoch %.2f)", e.epoch()), e.trainLoss(),
                Double.isNaN(e.trainAcc()) ? "" : String.format(Locale.ROOT, " acc %.3f", e.trainAcc()), e.testLoss(),
                Double.isNaN(e.testAcc()) ? "" : String.format(Locale.ROOT, " acc %.4f", e.testAcc()), e.testExamples(), e.wallSeconds());
    }

    private Map<String, Object> runConfig(ModelConfig config, TrainOptions o, Task t, Engine engine) {
        Map<String, Object> c = new LinkedHashMap<>();
        List<String> argv = new ArrayList<>(List.of("roaf"));
        CommandLine root = spec.commandLine();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        argv.addAll(root.getParseResult().originalArgs());
        c.put("command", argv);
        c.put("roaf_version", Version.VERSION);
        c.put("java", System.getProperty("java.vendor") + " " + System.getProperty("java.version"));
        c.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " processors");
        c.put("device", engine.deviceName());
        c.put("started", java.time.Instant.now().toString());
        Map<String, Object> modelMap = new LinkedHashMap<>(config.toMetadata());
        modelMap.put("seed", seed);
        c.put("model", modelMap);
        Map<String, Object> train = new LinkedHashMap<>();
        train.put("steps", o.steps());
        train.put("batch", o.batchSize());
        train.put("lr", o.lr());
        train.put("optimizer", o.optimizer().toString());
        train.put("momentum", o.momentum());
        train.put("clip_norm", o.clipNorm());
        train.put("seed", o.seed());
        train.put("eval_every", o.evalEvery());
        train.put("eval_size", o.evalSize());
        train.put("init", init == null ? null : init.toString());
        c.put("train", train);
        c.put("task", t.describe());
        return c;
    }
}
