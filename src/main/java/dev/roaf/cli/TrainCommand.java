package dev.roaf.cli;

import dev.roaf.CheckpointInfo;
import dev.roaf.ConsoleProgress;
import dev.roaf.Dataset;
import dev.roaf.Datasets;
import dev.roaf.Device;
import dev.roaf.EvaluationEvent;
import dev.roaf.FilterType;
import dev.roaf.JsonText;
import dev.roaf.LearningRateSchedule;
import dev.roaf.Model;
import dev.roaf.ModelBuilder;
import dev.roaf.ModelFamily;
import dev.roaf.OptimizerType;
import dev.roaf.RunRecorder;
import dev.roaf.TargetType;
import dev.roaf.Trainer;
import dev.roaf.TrainingListener;
import dev.roaf.TrainingResult;
import dev.roaf.TrainingStoppedException;
import dev.roaf.Version;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code roaf train}: trains one model on one task and leaves a run record (config.json,
 * metrics.jsonl, steps.csv, model.safetensors, curves.png) in {@code --out}. With no options it trains a
 * roaf-rnn on psMNIST for a few minutes on a CPU.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model on a task and write a run record (config.json, metrics.jsonl, steps.csv,"
                + " model.safetensors, curves.png).", "With no options: roaf-rnn, N=128, on psMNIST, " + TrainCommand.DEFAULT_STEPS
                + " steps of batch 100."})
final class TrainCommand implements Callable<Integer> {
    /** How long a SIGTERM or Ctrl-C waits for the step under way and its checkpoint before the JVM exits anyway. */
    static final long STOP_WAIT_SECONDS = 300;
    /** Exit status of a run stopped by {@link dev.roaf.Trainer#stop()} other than by a signal (128 + SIGINT's 2, as shells do). */
    static final int STOPPED_EXIT_CODE = 130;

    /** Steps of the default run: enough for psMNIST to learn well above chance on two cores in a few minutes. */
    static final long DEFAULT_STEPS = 100;
    /**
     * The default c of beta = c / T for recurrent models: 30 learned psMNIST fastest in a sweep of
     * c in {1, 10, 30, 100, 300} x lr in {0.002, 0.005, 0.01} (80 steps, N=128, batch 100; README,
     * "Choosing alpha and beta").
     */
    static final double DEFAULT_BETA_SCALE_RECURRENT = Model.DEFAULT_BETA_SCALE_RECURRENT;
    /**
     * The default c of beta = c / L for MLPs: 1 keeps the end-to-end gain near exp(-1) at any depth
     * (roaf-math.md section 2), so 50,000 layers train from the defaults.
     */
    static final double DEFAULT_BETA_SCALE_MLP = Model.DEFAULT_BETA_SCALE_MLP;

    /** Adam's default learning rate: 0.005 (the sweep above; 0.01 learned as fast at 80 steps but is riskier over long runs). */
    static final float DEFAULT_LR = (float) Trainer.DEFAULT_LEARNING_RATE;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--recipe", completionCandidates = Recipe.Names.class, description = "Start from a published recipe,"
            + " one per claim of the paper: ${COMPLETION-CANDIDATES}; its options fill in those the command line leaves out (e.g."
            + " --recipe psmnist-10-epochs --seed 2, or --model lstm for the baseline on the same budget); 'roaf recipes'"
            + " lists them with what they measured")
    String recipe;
    @Option(names = "--model", description = "roaf-rnn, rnn, lstm, roaf-mlp, mlp or resmlp (default: ${DEFAULT-VALUE})")
    String model = "roaf-rnn";
    @Option(names = "--task", description = "psmnist, smnist, psfashion, sfashion, mnist, fashion, adding, copy (default:"
            + " ${DEFAULT-VALUE}); roaf-rnn on copy, adding, psmnist and psfashion takes the task's measured recipe for the"
            + " options not given (copy: --alpha-scale 1 --beta 0.1 --clip-norm 1 --lr-schedule cosine --lr-hold 0.6;"
            + " adding: --beta-scale 1"
            + " --lr 0.03 --clip-norm 1;"
            + " psmnist, psfashion: --lr 0.01 --clip-norm 1)")
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
    @Option(names = "--alpha-scale", description = "c in alpha = 1 - c / L (MLP) or 1 - c / T (RNN), at least 0.5: the"
            + " filter's horizon, about T / c steps; with --beta the two weights are set apart (copy task: --alpha-scale 1"
            + " --beta 0.1), alone beta = 1 - alpha")
    Double alphaScale;
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
    @Option(names = "--optimizer", description = "adam, adamw or sgd, as torch.optim's (default: ${DEFAULT-VALUE})")
    String optimizer = "adam";
    @Option(names = "--momentum", description = "SGD momentum (default: ${DEFAULT-VALUE})")
    float momentum = 0f;
    @Option(names = "--weight-decay", description = "Weight decay of every trainable parameter: decoupled for adamw"
            + " (each step multiplies the weights by 1 - lr * wd), added to the gradient as wd * w for adam and sgd"
            + " (default: 0.01 for adamw, as torch.optim.AdamW; 0 otherwise)")
    Float weightDecay;
    @Option(names = "--clip-norm", description = "Rescale gradients whose L2 norm exceeds this (default: off)")
    float clipNorm = 0f;
    @Option(names = "--lr-schedule", description = "constant, or cosine: decay from --lr at the first step (or after"
            + " --lr-hold) towards 0 at the last (default: ${DEFAULT-VALUE})")
    String lrSchedule = "constant";
    @Option(names = "--lr-hold", description = "With --lr-schedule cosine: the fraction of the steps that keep the full"
            + " --lr before the decay starts (e.g. 0.7: constant for 70%% of the run, cosine to 0 over the rest;"
            + " default: ${DEFAULT-VALUE})")
    double lrHold = 0;
    @Option(names = "--lr-warmup", description = "Raise the rate linearly over this many first steps (step s uses s/K of it),"
            + " e.g. when --init starts from trained weights with a fresh Adam (default: ${DEFAULT-VALUE}, none)")
    long lrWarmup = 0;
    @Option(names = "--seed", description = "Seeds the initialisation and the order of examples (default: ${DEFAULT-VALUE})")
    long seed = 1;
    @Option(names = "--perm-seed", description = "Seeds the pixel permutation of ps* tasks (default: ${DEFAULT-VALUE})")
    long permSeed = 0;
    @CommandLine.Mixin
    DeviceOptions devices = new DeviceOptions();
    @Option(names = "--data-dir", description = "Folder with MNIST / Fashion-MNIST IDX files")
    Path dataDir;
    @Option(names = "--init", description = "Start from the weights and filters of this safetensors file (shapes checked;"
            + " alpha and beta come from this command line), e.g. a shorter T's run (README: adding at T = 1,000)")
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
    @Option(names = "--recompute-every", description = "MLP models: keep every K-th layer state, roaf-rnn and rnn: every K-th"
            + " step's state, and recompute the others in the backward pass (about one more forward pass; MLP gradients the same"
            + " bit for bit, recurrent ones to float rounding; not for lstm; default: automatic, only when storing every layer or"
            + " step would exceed half the heap, on a GPU half its free memory)")
    Integer recomputeEvery;
    @Option(names = "--init-draws", description = "host: draw the initial weights on the host from per-tensor streams, the"
            + " same values on every device (default); device: draw them where they live (cuRAND on a GPU), with no host copy,"
            + " for very large models; a GPU and the CPU then draw different values")
    String initDraws = "host";

    /** The checkpoint being continued, set by {@link #resumeRun} on the command rebuilt from the recorded options. */
    private CheckpointInfo resumeFrom;

    @Override
    public Integer call() throws Exception {
        if (resume != null && resumeFrom == null) {
            return resumeRun();
        }
        PrintWriter err = spec.commandLine().getErr();
        Recipe named = recipe == null ? null : Recipe.named(recipe);
        if (named != null) {
            err.println("roaf: " + applyNamedRecipe(named));
        }
        ModelFamily kind = ModelFamily.parse(model);
        // A named recipe is complete: the task's defaults would only replace what it chose.
        String taskRecipe = named == null ? applyTaskRecipe(kind) : "";
        OptimizerType optKind = OptimizerType.parse(optimizer);
        // An unknown name or an inconsistent hold fails before anything is built.
        if (LearningRateSchedule.parse(lrSchedule) == LearningRateSchedule.CONSTANT && lrHold != 0) {
            throw new IllegalArgumentException("--lr-hold " + lrHold + " needs --lr-schedule cosine (a constant rate has no decay to hold back)");
        }
        if (!(lrHold >= 0 && lrHold < 1)) {
            throw new IllegalArgumentException("--lr-hold must be a fraction of the steps in [0, 1), got " + lrHold);
        }
        if (lrWarmup < 0) {
            throw new IllegalArgumentException("--lr-warmup must be a number of steps >= 0, got " + lrWarmup);
        }
        FilterType filterKind = FilterType.parse(filter);
        boolean skipNonFinite = parseOnNan(onNan);
        devices.validate();
        if (checkpointEvery != null && checkpointEvery < 1) {
            throw new IllegalArgumentException("--checkpoint-every must be at least 1 step, got " + checkpointEvery);
        }
        if (checkpointMinutes != null && !(checkpointMinutes > 0 && Double.isFinite(checkpointMinutes))) {
            throw new IllegalArgumentException("--checkpoint-minutes must be a positive number, got " + checkpointMinutes);
        }
        if (length < 0) {
            throw new IllegalArgumentException("--length must be >= 1, got " + length);
        }
        if (!initDraws.equals("host") && !initDraws.equals("device")) {
            throw new IllegalArgumentException("--init-draws must be host or device, got '" + initDraws + "'");
        }
        if (recomputeEvery != null && recomputeEvery < 1) {
            throw new IllegalArgumentException("--recompute-every must be at least 1 (layers or steps), got " + recomputeEvery);
        }
        Dataset t = Datasets.builtIn(task, Datasets.Options.defaults().withLength(length).withPermSeed(permSeed)
                .withDataDir(dataDir));
        Map<String, Object> described = t.describe();
        if (Boolean.TRUE.equals(described.get("sample"))) {
            err.println("roaf: using the " + described.get("source") + " bundled in the jar; for the full dataset run"
                    + " 'roaf data fetch mnist' or pass --data-dir");
            if (named != null && named.data() != null) {
                err.println("roaf: note: recipe " + named.name() + " was measured on " + named.data()
                        + "; on the sample expect a different result");
            }
        }
        if (kind.isRecurrent() != (t.steps() > 0)) {
            throw new IllegalArgumentException("--model " + kind + (kind.isRecurrent()
                    ? " reads sequences; task " + task + " gives vectors (use psmnist, smnist, psfashion, sfashion, adding or copy)"
                    : " reads vectors; task " + task + " gives sequences (use mnist or fashion)"));
        }
        int layers = kind.isRecurrent() ? 1 : depth;
        if (!kind.isRecurrent() && depth < 1) {
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
        ModelBuilder builder = Model.builder(kind).setShapeFrom(t).setHiddenSize(hidden).optSeed(seed);
        if (!kind.isRecurrent()) {
            builder.setDepth(layers);
        }
        if (kind.hasFilter()) {
            if (betaScale != null && beta != null) {
                throw new IllegalArgumentException("give --beta or --beta-scale, not both");
            }
            if (alpha != null && beta == null && betaScale == null && alpha >= 1) {
                throw new IllegalArgumentException("--beta must be > 0, got " + (1 - alpha)
                        + " (from beta = 1 - alpha; give --beta or --beta-scale with --alpha 1)");
            }
            if (alpha == null && alphaScale == null && beta != null && beta >= 1) {
                throw new IllegalArgumentException("--alpha must be in (0, 1], got " + (1 - beta));
            }
            if (alpha != null) {
                builder.optAlpha(alpha);
            }
            if (beta != null) {
                builder.optBeta(beta);
            }
            if (betaScale != null) {
                builder.optBetaScale(betaScale);
            }
            if (alphaScale != null) {
                if (alpha != null || betaScale != null) {
                    throw new IllegalArgumentException("give --alpha-scale with or without --beta, not with "
                            + (alpha != null ? "--alpha" : "--beta-scale"));
                }
                if (!(alphaScale > 0 && Double.isFinite(alphaScale))) {
                    throw new IllegalArgumentException("--alpha-scale must be > 0, got " + alphaScale);
                }
                builder.optAlphaScale(alphaScale);
            }
            builder.optFilter(filterKind);
        } else if (alpha != null || beta != null || betaScale != null || alphaScale != null) {
            throw new IllegalArgumentException("--alpha, --beta, --beta-scale and --alpha-scale apply to roaf-rnn and roaf-mlp, not " + kind);
        }
        if (hidden < 1) {
            throw new IllegalArgumentException("hidden size must be at least 1, got " + hidden);
        }
        long totalSteps = resolveSteps(t);
        long every = evalEvery != null ? evalEvery : Math.max(1, totalSteps / 10);
        checkTrainOptions(totalSteps, every);
        if (t.trainSize() > 0 && t.trainSize() < batch) {
            throw new IllegalArgumentException("--batch " + batch + " is larger than the " + t.trainSize()
                    + " training examples of " + t.name());
        }
        Path dir = out != null ? out : Path.of("runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                + "-" + kind + "-" + task);

        if (recomputeEvery != null) {
            builder.optRecomputeEvery(recomputeEvery);
        }
        builder.optInitOnDevice(initDraws.equals("device"));
        if (!taskRecipe.isEmpty()) {
            err.println("roaf: roaf-rnn's recipe for " + task + " (options not given on the command line): " + taskRecipe
                    + " (measured: bench/results/paper-cpu)");
        }
        err.println("roaf: " + apiNames(() -> builder.memoryEstimate(batch, optKind, momentum)));
        builder.optDevice(devices.open(err::println));
        try (Model m = devices.asTyped(() -> apiNames(builder::build));
             RunRecorder record = new RunRecorder(dir, kind + " on " + t.name(), t.targetType() != TargetType.REGRESSION)) {
            if (init != null && resumeFrom == null) {
                m.loadParameters(init);
                describeInit(Model.readMetadata(init), m.metadata()).forEach(err::println);
            }
            err.println(String.format(Locale.ROOT, "roaf: %s N=%d%s on %s%s, %s, %,d parameters, %d steps of %d on %s -> %s",
                    kind, hidden, kind.isRecurrent() ? "" : " L=" + layers, t.name(), t.steps() > 0 ? " (T=" + t.steps() + ")" : "",
                    kind.hasFilter() ? String.format(Locale.ROOT, "alpha=%.6g beta=%.6g %s", m.alpha(), m.beta(), filterKind) : "baseline",
                    m.parameterCount(), totalSteps, batch, m.deviceName(), dir));
            Map<String, Object> runConfig = runConfig(m, totalSteps, every, t);
            if (resumeFrom != null) {
                runConfig = resumedConfig(dir, runConfig, m);
            }
            record.writeConfig(runConfig);
            ConsoleProgress progress = ConsoleProgress.forStderr(totalSteps);
            Trainer.Builder trainer = Trainer.builder(m, t).setSteps(totalSteps).optBatchSize(batch).optLearningRate(lr)
                    .optOptimizer(optKind).optMomentum(optKind == OptimizerType.SGD ? momentum : 0)
                    .optWeightDecay(weightDecay(optKind)).optSeed(seed)
                    .optEvaluateEvery(every).optEvaluationSize(evalSize).optClipNorm(clipNorm)
                    .optLearningRateSchedule(LearningRateSchedule.parse(lrSchedule), lrHold).optLearningRateWarmup(lrWarmup)
                    .optSkipNonFiniteSteps(skipNonFinite);
            boolean checkpointing = checkpointEvery != null || checkpointMinutes != null;
            if (checkpointing) {
                trainer.optCheckpoints(dir.resolve(Trainer.CHECKPOINT_FILE_NAME), checkpointEvery == null ? 0 : checkpointEvery,
                        checkpointMinutes == null ? 0 : checkpointMinutes, Map.of("train_args", JsonText.write(recordedArgs(m))));
            }
            if (resumeFrom != null) {
                trainer.optResumeFrom(dir.resolve(Trainer.CHECKPOINT_FILE_NAME));
            }
            trainer.addListener(record).addListener(progress).addListener(new TrainingListener() {
                @Override
                public void onSkippedStep(long step, double loss, double gradientNorm, long skippedSoFar) {
                    if (skippedSoFar <= 10) {
                        progress.message("step " + step + " skipped: loss " + loss + ", gradient norm " + gradientNorm
                                + (skippedSoFar == 10 ? " (further skips are only counted)" : ""));
                    }
                }
            });
            Trainer built = trainer.build();
            if (resumeFrom != null) {
                err.println("roaf: resuming " + dir + " after step " + resumeFrom.step() + " of " + totalSteps);
            }
            TrainingResult result;
            // SIGTERM or Ctrl-C (a `timeout`, a scheduler's preemption, the user): finish the step under way, write a
            // checkpoint when checkpointing is on, and only then let the JVM exit.
            CountDownLatch stopped = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                err.println("roaf: stopping after the current step" + (checkpointing ? " (writing a checkpoint)" : ""));
                built.stop();
                try {
                    stopped.await(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "roaf-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                result = built.fit();
            } catch (TrainingStoppedException e) {
                err.println("roaf: stopped after step " + e.step() + " of " + totalSteps + (e.checkpoint() == null
                        ? "; no checkpoint (checkpointing was off: --checkpoint-every N or --checkpoint-minutes M)"
                        : "; continue with: roaf train --resume " + dir));
                return STOPPED_EXIT_CODE;
            } finally {
                stopped.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: it returns now that the latch is open
                }
            }
            if (skipNonFinite) {
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
            EvaluationEvent last = result.last();
            spec.commandLine().getOut().println(String.format(Locale.ROOT, "%s on %s after %d steps: test loss %.4f%s (%d test examples); run record in %s",
                    kind, t.name(), last.step(), last.testLoss(), Double.isNaN(last.testAccuracy()) ? ""
                            : String.format(Locale.ROOT, ", test accuracy %.4f", last.testAccuracy()), last.testExamples(), dir));
        }
        return 0;
    }

    /**
     * What {@code --init} started from, and a warning when the file was saved with another alpha or beta:
     * the file carries weights and filters, while alpha and beta come from this command line (a curriculum
     * over T that forgets {@code --alpha/--beta} at one stage would otherwise change the model silently).
     */
    static List<String> describeInit(Map<String, String> file, Map<String, String> now) {
        List<String> lines = new ArrayList<>();
        String task = file.get("task");
        String length = file.get("length");
        lines.add("roaf: --init: weights and filters from a " + file.getOrDefault("model", "model")
                + (task == null ? "" : " trained on " + task + (length == null || length.equals("0") ? "" : " T=" + length)));
        List<String> differ = new ArrayList<>();
        for (String key : List.of("alpha", "beta")) {
            String a = file.get(key), b = now.get(key);
            if (a != null && b != null && !sameNumber(a, b)) {
                differ.add(key + " " + a + " (now " + b + ")");
            }
        }
        if (!differ.isEmpty()) {
            lines.add("roaf: note: the --init file was saved with " + String.join(", ", differ)
                    + "; alpha and beta come from this command line: give --alpha/--beta to keep the file's");
        }
        return lines;
    }

    private static boolean sameNumber(String a, String b) {
        try {
            double x = Double.parseDouble(a), y = Double.parseDouble(b);
            return Math.abs(x - y) <= 1e-6 * Math.max(Math.abs(x), Math.abs(y));
        } catch (NumberFormatException e) {
            return a.equals(b);
        }
    }

    /** Parses {@code --on-nan}: whether to skip non-finite steps. */
    private static boolean parseOnNan(String s) {
        return switch (s) {
            case "stop" -> false;
            case "skip" -> true;
            default -> throw new IllegalArgumentException("--on-nan must be stop or skip, got '" + s + "'");
        };
    }

    /** The weight decay the run uses: --weight-decay, or the optimizer's default (0.01 for adamw, else 0). */
    private float weightDecay(OptimizerType optKind) {
        return weightDecay != null ? weightDecay : (float) optKind.defaultWeightDecay();
    }

    /** The training options' checks, with messages that name the command-line options. */
    private void checkTrainOptions(long totalSteps, long every) {
        if (totalSteps < 1) {
            throw new IllegalArgumentException("--steps must be at least 1, got " + totalSteps);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        }
        if (!(lr > 0f) || Float.isInfinite(lr)) {
            throw new IllegalArgumentException("--lr must be a positive number, got " + lr);
        }
        if (!(momentum >= 0f && momentum < 1f)) {
            throw new IllegalArgumentException("--momentum must be in [0, 1), got " + momentum);
        }
        if (weightDecay != null && (!(weightDecay >= 0f) || Float.isInfinite(weightDecay))) {
            throw new IllegalArgumentException("--weight-decay must be a finite number >= 0, got " + weightDecay);
        }
        if (every < 0) {
            throw new IllegalArgumentException("--eval-every must be >= 0, got " + every);
        }
        if (evalSize < 0) {
            throw new IllegalArgumentException("--eval-size must be >= 0, got " + evalSize);
        }
        if (!(clipNorm >= 0f) || Float.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("--clip-norm must be >= 0, got " + clipNorm);
        }
    }

    /** Runs {@code action}, naming the command-line options in the messages of the API's setting errors. */
    private static <T> T apiNames(java.util.function.Supplier<T> action) {
        try {
            return action.get();
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            if (m == null) {
                throw e;
            }
            String named = m.replace("optBetaScale", "--beta-scale").replace("optAlphaScale", "--alpha-scale").replace("optAlpha", "--alpha").replace("optBeta", "--beta")
                    .replace("optRecomputeEvery", "--recompute-every").replace("setHiddenSize", "--hidden")
                    .replace("setDepth", "--depth");
            if (named.equals(m)) {
                throw e;
            }
            throw new IllegalArgumentException(named, e);
        }
    }

    /** Options that may differ from the recorded ones when resuming (they do not change the result). */
    private static final Set<String> CHANGEABLE = Set.of("--threads", "--device", "--checkpoint-every", "--checkpoint-minutes", "--on-nan",
            "--recompute-every");
    /** Options that are not part of a run's definition. */
    private static final Set<String> NOT_RECORDED = Set.of("--help", "--version", "--verbose", "--resume", "--out", "--recipe");

    /**
     * {@code --resume DIR}: rebuilds the command from the options recorded in DIR's checkpoint, rejects
     * options given now that conflict with them, and continues the run in DIR.
     */
    private Integer resumeRun() throws Exception {
        if (recipe != null) {
            throw new IllegalArgumentException("--recipe " + recipe + " conflicts with --resume " + resume
                    + ": a resumed run takes the options recorded in its checkpoint; leave --recipe out");
        }
        Path file = resume.resolve(Trainer.CHECKPOINT_FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--resume " + resume + ": expected a run folder with " + Trainer.CHECKPOINT_FILE_NAME + ", found "
                    + (Files.isDirectory(resume) ? "none (the run wrote no checkpoint: checkpoints need --checkpoint-every N"
                    + " or --checkpoint-minutes M)" : "no such folder"));
        }
        CheckpointInfo cp = Trainer.readCheckpoint(file);
        // A crash during a checkpoint write leaves a temporary file next to the (intact) checkpoint.
        try (var stale = Files.newDirectoryStream(resume, "." + Trainer.CHECKPOINT_FILE_NAME + ".*.tmp")) {
            for (Path p : stale) {
                Files.deleteIfExists(p);
            }
        }
        String argsJson = cp.metadata().get("train_args");
        if (argsJson == null) {
            throw new IllegalArgumentException(file + ": expected the run's options in __metadata__ train_args, found none");
        }
        List<String> args = new ArrayList<>();
        try {
            if (!(JsonText.parse(argsJson) instanceof List<?> list)) {
                throw new IllegalArgumentException("train_args: expected an array of strings");
            }
            for (Object o : list) {
                if (!(o instanceof String a)) {
                    throw new IllegalArgumentException("train_args: expected a string, found " + o);
                }
                args.add(a);
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": __metadata__ train_args: " + e.getMessage(), e);
        }
        TrainCommand rec = new TrainCommand();
        CommandLine cl = new CommandLine(rec);
        cl.setOut(spec.commandLine().getOut());
        cl.setErr(spec.commandLine().getErr());
        try {
            cl.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(file + ": __metadata__ train_args: " + e.getMessage(), e);
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
    private List<String> recordedArgs(Model m) {
        List<String> args = new ArrayList<>();
        for (CommandLine.Model.OptionSpec o : spec.options()) {
            String name = o.longestName();
            Object v = o.getValue();
            if (NOT_RECORDED.contains(name) || v == null || v instanceof Boolean) {
                continue;
            }
            if (name.equals("--threads") && m.cpuThreads() > 0) {
                v = m.cpuThreads();
            }
            args.add(name);
            args.add(String.valueOf(v));
        }
        return args;
    }

    /**
     * Applies {@code --recipe}: each of the recipe's options that the command line leaves out (see
     * {@link Recipe#overrides}) lands in its option field, so it is recorded for {@code --resume} like a
     * given one. Models without a filter (lstm, rnn, mlp, resmlp: the recipe's budget as a baseline) leave
     * its alpha/beta mix out.
     *
     * @return one line: what was taken from the recipe, what it measured and where its record is
     */
    private String applyNamedRecipe(Recipe r) {
        List<String> given = spec.commandLine().getParseResult().matchedOptions().stream()
                .map(CommandLine.Model.OptionSpec::longestName).toList();
        TrainCommand parsed = new TrainCommand();
        new CommandLine(parsed).parseArgs(r.args().toArray(String[]::new));
        Map<String, String> options = r.options();
        List<String> taken = new ArrayList<>();
        List<String> mixLeftOut = new ArrayList<>();
        List<String> names = new ArrayList<>(options.keySet());
        names.remove("--model");
        names.add(0, "--model");  // whether the mix applies depends on the model
        for (String name : names) {
            if (given.stream().anyMatch(g -> Recipe.overrides(g, name))) {
                continue;
            }
            String option = name + " " + options.get(name);
            if (Recipe.MIX.contains(name) && !ModelFamily.parse(model).hasFilter()) {
                mixLeftOut.add(option);
                continue;
            }
            spec.findOption(name).setValue(parsed.spec.findOption(name).getValue());
            taken.add(option);
        }
        return "recipe " + r.name() + " (" + r.claim() + "): " + (taken.isEmpty() ? "none of its options" : String.join(" ", taken))
                + (mixLeftOut.isEmpty() ? "" : "; without " + String.join(" ", mixLeftOut) + " (" + model + " has no filter)")
                + "; measured: " + r.measured() + " (" + r.record() + ")";
    }

    /**
     * Applies roaf-rnn's measured {@link TaskRecipe} for the task, option by option, to what the command
     * line left unset (the alpha/beta mix counts as one option). The values land in the option fields,
     * so they are recorded for {@code --resume} like given ones.
     *
     * @return the options applied, as a command-line fragment; empty when none
     */
    private String applyTaskRecipe(ModelFamily kind) {
        TaskRecipe r = kind == ModelFamily.ROAF_RNN ? TaskRecipe.forRoafRnn(task) : null;
        if (r == null) {
            return "";
        }
        CommandLine.ParseResult given = spec.commandLine().getParseResult();
        boolean mixGiven = alpha != null || beta != null || betaScale != null || alphaScale != null;
        List<String> applied = new ArrayList<>();
        if (!mixGiven && !r.mixOptions().isEmpty()) {
            alphaScale = r.alphaScale();
            beta = r.beta();
            betaScale = r.betaScale();
            applied.add(r.mixOptions());
        }
        if (r.lr() != null && !given.hasMatchedOption("--lr")) {
            lr = r.lr();
            applied.add("--lr " + TaskRecipe.fmt(r.lr()));
        }
        if (r.clipNorm() != null && !given.hasMatchedOption("--clip-norm")) {
            clipNorm = r.clipNorm();
            applied.add("--clip-norm " + TaskRecipe.fmt(r.clipNorm()));
        }
        // The schedule is one choice: either option on the command line keeps the recipe's out of it.
        if (r.lrHold() != null && !given.hasMatchedOption("--lr-schedule") && !given.hasMatchedOption("--lr-hold")) {
            lrSchedule = "cosine";
            lrHold = r.lrHold();
            applied.add("--lr-schedule cosine --lr-hold " + TaskRecipe.fmt(r.lrHold()));
        }
        return String.join(" ", applied);
    }

    /** The run's original config.json (or {@code fresh} if it is unreadable) with this resume appended to "resumed". */
    @SuppressWarnings("unchecked")
    private Map<String, Object> resumedConfig(Path dir, Map<String, Object> fresh, Model m) {
        Map<String, Object> c;
        try {
            if (!(JsonText.parse(Files.readString(dir.resolve("config.json"))) instanceof Map<?, ?> old)) {
                throw new IllegalArgumentException("config.json: expected an object");
            }
            c = new LinkedHashMap<>((Map<String, Object>) old);
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
        r.put("device", m.deviceName());
        resumed.add(r);
        c.put("resumed", resumed);
        return c;
    }

    private long resolveSteps(Dataset t) {
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

    private Map<String, Object> runConfig(Model m, long totalSteps, long every, Dataset t) {
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
        c.put("cpu", Machine.cpuModel());  // tables made elsewhere name the machine that ran, not their own
        c.put("device", m.deviceName());
        c.put("started", java.time.Instant.now().toString());
        c.put("recipe", recipe);
        Map<String, Object> modelMap = new LinkedHashMap<>(m.metadata());
        modelMap.put("seed", seed);
        c.put("model", modelMap);
        Map<String, Object> train = new LinkedHashMap<>();
        train.put("steps", totalSteps);
        train.put("batch", batch);
        train.put("lr", lr);
        train.put("optimizer", OptimizerType.parse(optimizer).toString());
        train.put("momentum", momentum);
        train.put("weight_decay", weightDecay(OptimizerType.parse(optimizer)));
        train.put("clip_norm", clipNorm);
        train.put("lr_schedule", LearningRateSchedule.parse(lrSchedule).toString());
        train.put("lr_hold", lrHold);
        train.put("lr_warmup", lrWarmup);
        train.put("seed", seed);
        train.put("eval_every", every);
        train.put("eval_size", evalSize);
        train.put("init", init == null ? null : init.toString());
        c.put("train", train);
        c.put("task", t.describe());
        return c;
    }
}
