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
import dev.roaf.model.MemoryPlan;
import dev.roaf.model.Model;
import dev.roaf.model.ModelConfig;
import dev.roaf.model.ModelKind;
import dev.roaf.engine.cpu.CpuEngine;
import dev.roaf.io.InvalidFileException;
import dev.roaf.io.Json;
import dev.roaf.train.Checkpoint;
import dev.roaf.train.CheckpointPolicy;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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
     * The default c of beta = c / T for recurrent models: 30 learned psMNIST fastest in a sweep of
     * c in {1, 10, 30, 100, 300} x lr in {0.002, 0.005, 0.01} (80 steps, N=128, batch 100; README,
     * "Choosing alpha and beta").
     */
    static final double DEFAULT_BETA_SCALE_RECURRENT = dev.roaf.Model.DEFAULT_BETA_SCALE_RECURRENT;
    /**
     * The default c of beta = c / L for MLPs: 1 keeps the end-to-end gain near exp(-1) at any depth
     * (roaf-math.md section 2), so 50,000 layers train from the defaults.
     */
    static final double DEFAULT_BETA_SCALE_MLP = dev.roaf.Model.DEFAULT_BETA_SCALE_MLP;

    /** Adam's default learning rate: 0.005 (the sweep above; 0.01 learned as fast at 80 steps but is riskier over long runs). */
    static final float DEFAULT_LR = (float) dev.roaf.Trainer.DEFAULT_LEARNING_RATE;

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
    @Option(names = "--beta-scale", description = "c in beta = c / L (MLP) or c / T (RNN), capped at 0.5 (default when"
            + " neither alpha nor beta is given: " + DEFAULT_BETA_SCALE_RECURRENT + " for RNNs, " + DEFAULT_BETA_SCALE_MLP + " for MLPs)")
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
    float lr = DEFAULT_LR;
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
    @Option(names = "--checkpoint-every", description = "Write <out>/checkpoint.safetensors every this many steps (default: off)")
    Long checkpointEvery;
    @Option(names = "--checkpoint-minutes", description = "Write <out>/checkpoint.safetensors every this many minutes (default: off)")
    Double checkpointMinutes;
    @Option(names = "--on-nan", description = "stop or skip: what to do with a step whose loss or gradient is not finite"
            + " (default: ${DEFAULT-VALUE})")
    String onNan = "stop";
    @Option(names = "--resume", description = "Continue the run in this folder from its checkpoint, with the options recorded there")
    Path resume;
    @Option(names = "--recompute-every", description = "MLP models: keep every K-th layer state and recompute the others in the"
            + " backward pass (same gradients bit for bit, about one more forward pass; default: automatic, only when storing"
            + " every layer would exceed half the heap)")
    Integer recomputeEvery;

    /** The checkpoint being continued, set by {@link #resumeRun} on the command rebuilt from the recorded options. */
    private Checkpoint resumeFrom;

    @Override
    public Integer call() throws Exception {
        if (resume != null && resumeFrom == null) {
            return resumeRun();
        }
        PrintWriter err = spec.commandLine().getErr();
        ModelKind kind = ModelKind.parse(model);
        Optimizer.Kind optKind = Optimizer.Kind.parse(optimizer);
        FilterKind filterKind = FilterKind.parse(filter);
        Trainer.OnNonFinite nanPolicy = Trainer.OnNonFinite.parse(onNan);
        if (threads < 0) {
            throw new IllegalArgumentException("--threads must be >= 0 (0 = all processors), got " + threads);
        }
        if (checkpointEvery != null && checkpointEvery < 1) {
            throw new IllegalArgumentException("--checkpoint-every must be at least 1 step, got " + checkpointEvery);
        }
        if (checkpointMinutes != null && !(checkpointMinutes > 0 && Double.isFinite(checkpointMinutes))) {
            throw new IllegalArgumentException("--checkpoint-minutes must be a positive number, got " + checkpointMinutes);
        }
        if (length < 0) {
            throw new IllegalArgumentException("--length must be >= 1, got " + length);
        }
        if (recomputeEvery != null && recomputeEvery < 1) {
            throw new IllegalArgumentException("--recompute-every must be at least 1 layer, got " + recomputeEvery);
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
        if (beta != null && !(beta > 0 && Double.isFinite(beta))) {
            throw new IllegalArgumentException("--beta must be > 0, got " + beta);
        }
        if (alpha != null && !(alpha > 0 && alpha <= 1)) {
            throw new IllegalArgumentException("--alpha must be in (0, 1], got " + alpha);
        }
        if (betaScale != null && !(betaScale > 0 && Double.isFinite(betaScale))) {
            throw new IllegalArgumentException("--beta-scale must be > 0, got " + betaScale);
        }
        float[] ab = {0f, 0f};
        if (kind.hasFilter()) {
            ab = ModelConfig.resolveAlphaBeta(alpha, beta, betaScale, kind.recurrent() ? t.steps() : layers,
                    kind.recurrent() ? DEFAULT_BETA_SCALE_RECURRENT : DEFAULT_BETA_SCALE_MLP);
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

        int recompute = recomputeEvery == null ? 0 : recomputeEvery;
        if (!kind.recurrent()) {
            err.println("roaf: " + MemoryPlan.estimate(config, batch, optKind == Optimizer.Kind.ADAM ? 2 : momentum != 0 ? 1 : 0,
                    recompute, MemoryPlan.defaultBudgetBytes()).describe());
        }
        try (Engine engine = Engines.open(device, threads, err::println);
             Model m = Model.create(engine, config, seed);
             RunRecord record = new RunRecord(dir, kind + " on " + t.name(), t.target() != Batch.Target.REGRESSION)) {
            MemoryPlan.configure(m, recompute, MemoryPlan.defaultBudgetBytes());
            if (init != null && resumeFrom == null) {
                m.loadTensors(Safetensors.read(init), init.toString());
            }
            err.println(String.format(Locale.ROOT, "roaf: %s N=%d%s on %s%s, %s, %,d parameters, %d steps of %d on %s -> %s",
                    kind, hidden, kind.recurrent() ? "" : " L=" + layers, t.name(), t.steps() > 0 ? " (T=" + t.steps() + ")" : "",
                    kind.hasFilter() ? String.format(Locale.ROOT, "alpha=%.6g beta=%.6g %s", ab[0], ab[1], filterKind) : "baseline",
                    m.parameters().count(), totalSteps, batch, engine.deviceName(), dir));
            Map<String, Object> runConfig = runConfig(config, options, t, engine);
            if (resumeFrom != null) {
                runConfig = resumedConfig(dir, runConfig, engine);
            }
            record.writeConfig(runConfig);
            Progress progress = Progress.forStderr(totalSteps);
            Trainer trainer = new Trainer(m, t, options).onNonFinite(nanPolicy);
            if (checkpointEvery != null || checkpointMinutes != null) {
                trainer.checkpoints(new CheckpointPolicy(dir.resolve(Checkpoint.FILE_NAME), checkpointEvery == null ? 0 : checkpointEvery,
                        checkpointMinutes == null ? 0 : checkpointMinutes, Map.of("train_args", Json.write(recordedArgs(engine)))));
            }
            if (resumeFrom != null) {
                trainer.resumeFrom(resumeFrom, dir.resolve(Checkpoint.FILE_NAME).toString());
                err.println("roaf: resuming " + dir + " after step " + resumeFrom.step() + " of " + totalSteps);
            }
            trainer.addListener(record).addListener(new TrainListener() {
                @Override
                public void onSkippedStep(long step, double loss, double gradNorm, long skippedSoFar) {
                    if (skippedSoFar <= 10) {
                        progress.message("step " + step + " skipped: loss " + loss + ", gradient norm " + gradNorm
                                + (skippedSoFar == 10 ? " (further skips are only counted)" : ""));
                    }
                }

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
            if (nanPolicy == Trainer.OnNonFinite.SKIP) {
                err.println("roaf: skipped " + result.skippedSteps() + " of " + totalSteps
                        + " steps with a non-finite loss or gradient (--on-nan skip)");
            }
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

    /** Options that may differ from the recorded ones when resuming (they do not change the result). */
    private static final Set<String> CHANGEABLE = Set.of("--threads", "--device", "--checkpoint-every", "--checkpoint-minutes", "--on-nan",
            "--recompute-every");
    /** Options that are not part of a run's definition. */
    private static final Set<String> NOT_RECORDED = Set.of("--help", "--version", "--verbose", "--resume", "--out");

    /**
     * {@code --resume DIR}: rebuilds the command from the options recorded in DIR's checkpoint, rejects
     * options given now that conflict with them, and continues the run in DIR.
     */
    private Integer resumeRun() throws Exception {
        Path file = resume.resolve(Checkpoint.FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--resume " + resume + ": expected a run folder with " + Checkpoint.FILE_NAME + ", found "
                    + (Files.isDirectory(resume) ? "none (the run wrote no checkpoint: checkpoints need --checkpoint-every N"
                    + " or --checkpoint-minutes M)" : "no such folder"));
        }
        Checkpoint cp = Checkpoint.read(file);
        // A crash during a checkpoint write leaves a temporary file next to the (intact) checkpoint.
        try (var stale = Files.newDirectoryStream(resume, "." + Checkpoint.FILE_NAME + ".*.tmp")) {
            for (Path p : stale) {
                Files.deleteIfExists(p);
            }
        }
        String argsJson = cp.metadata().get("train_args");
        if (argsJson == null) {
            throw new InvalidFileException(file, "expected the run's options in __metadata__ train_args, found none");
        }
        List<String> args = new ArrayList<>();
        try {
            for (Object o : Json.asArray(Json.parse(argsJson), "train_args")) {
                args.add(Json.asString(o, "train_args"));
            }
        } catch (RuntimeException e) {
            throw new InvalidFileException(file.toString(), "__metadata__ train_args: " + e.getMessage(), e);
        }
        TrainCommand rec = new TrainCommand();
        CommandLine cl = new CommandLine(rec);
        cl.setOut(spec.commandLine().getOut());
        cl.setErr(spec.commandLine().getErr());
        try {
            cl.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new InvalidFileException(file.toString(), "__metadata__ train_args: " + e.getMessage(), e);
        }
        CommandLine.ParseResult now = spec.commandLine().getParseResult();
        for (CommandLine.Model.OptionSpec o : spec.options()) {
            String name = o.longestName();
            if (!now.hasMatchedOption(o) || name.equals("--resume") || name.equals("--verbose")) {
                continue;
            }
            if (name.equals("--out")) {
                if (!out.toAbsolutePath().normalize().equals(resume.toAbsolutePath().normalize())) {
                    throw new IllegalArgumentException("--out " + out + " conflicts with --resume " + resume
                            + ": a resumed run continues in its own folder");
                }
                continue;
            }
            CommandLine.Model.OptionSpec r = rec.spec.findOption(name);
            if (r == null) {
                continue;
            }
            if (CHANGEABLE.contains(name)) {
                if (name.equals("--threads") && !java.util.Objects.equals(o.getValue(), r.getValue())) {
                    spec.commandLine().getErr().println("roaf: --threads " + o.getValue() + " differs from the run's " + r.getValue()
                            + ": the result may differ from an uninterrupted run in the last bits");
                }
                r.setValue(o.getValue());
            } else if (!java.util.Objects.equals(o.getValue(), r.getValue())) {
                throw new IllegalArgumentException(name + " " + o.getValue() + " conflicts with the run being resumed in " + resume
                        + ", which was started with " + (r.getValue() == null ? "no " + name : name + " " + r.getValue())
                        + "; leave it out to continue that run (only " + new java.util.TreeSet<>(CHANGEABLE)
                        + " may change), or start a new run with --out");
            }
        }
        rec.out = resume;
        rec.resume = resume;
        rec.resumeFrom = cp;
        return rec.call();
    }

    /** The options that define this run, as command-line arguments (threads resolved to the engine's count). */
    private List<String> recordedArgs(Engine engine) {
        List<String> args = new ArrayList<>();
        for (CommandLine.Model.OptionSpec o : spec.options()) {
            String name = o.longestName();
            Object v = o.getValue();
            if (NOT_RECORDED.contains(name) || v == null || v instanceof Boolean) {
                continue;
            }
            if (name.equals("--threads") && engine instanceof CpuEngine cpu) {
                v = cpu.threads();
            }
            args.add(name);
            args.add(String.valueOf(v));
        }
        return args;
    }

    /** The run's original config.json (or {@code fresh} if it is unreadable) with this resume appended to "resumed". */
    private Map<String, Object> resumedConfig(Path dir, Map<String, Object> fresh, Engine engine) {
        Map<String, Object> c;
        try {
            c = new LinkedHashMap<>(Json.asObject(Json.parse(Files.readString(dir.resolve("config.json"))), "config.json"));
        } catch (java.io.IOException | RuntimeException e) {
            c = new LinkedHashMap<>(fresh);
        }
        List<Object> resumed = new ArrayList<>();
        if (c.get("resumed") instanceof List<?> l) {
            resumed.addAll(l);
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("at", java.time.Instant.now().toString());
        r.put("after_step", resumeFrom.step());
        r.put("device", engine.deviceName());
        resumed.add(r);
        c.put("resumed", resumed);
        return c;
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
