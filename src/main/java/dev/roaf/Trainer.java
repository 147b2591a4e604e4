package dev.roaf;

import dev.roaf.io.InvalidFileException;
import dev.roaf.train.Checkpoint;
import dev.roaf.train.CheckpointPolicy;
import dev.roaf.train.EvalRecord;
import dev.roaf.train.StepRecord;
import dev.roaf.train.TrainListener;
import dev.roaf.train.TrainOptions;
import dev.roaf.train.TrainResult;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Trains a {@link Model} on a {@link Dataset}: minibatches in the dataset's deterministic order,
 * the batch-mean loss, one optimizer update per step, periodic evaluations on the test set, and
 * events to {@link TrainingListener}s. Make one with {@link #builder(Model, Dataset)}.
 *
 * <p>Required: the number of steps ({@link Builder#setSteps}) or of epochs ({@link Builder#setEpochs}).
 * Optional ({@code opt}-prefixed): batch size, learning rate, optimizer, momentum and weight decay, seed,
 * evaluation period and size, gradient clipping. The run is a pure function of the model's initial
 * parameters, the dataset and these settings (bit for bit on the same device and thread count).
 *
 * <p>The trainer holds no native memory of its own: {@link #fit()} allocates the optimizer state on
 * the model's device and releases it before returning. The caller owns (and closes) the model. A
 * trainer runs once; it is used from one thread, except {@link #stop()}, which any thread may call.
 */
public final class Trainer {
    /**
     * Adam's default learning rate, 0.005: in the psMNIST sweep (bench/results) 0.01 learned as fast
     * over 80 steps, 0.005 is the safer choice for long runs and for the baselines.
     */
    public static final double DEFAULT_LEARNING_RATE = 0.005;

    /**
     * The file name {@code roaf train} gives its checkpoints inside a run folder:
     * {@value}.
     */
    public static final String CHECKPOINT_FILE_NAME = Checkpoint.FILE_NAME;

    private final Model model;
    private final Dataset data;
    private final TrainOptions options;
    private final List<TrainingListener> listeners;
    private final CheckpointPolicy checkpoints;
    private final Checkpoint resume;
    private final String resumeSource;
    private final boolean skipNonFinite;
    private boolean fitted;
    /** Set by {@link #stop()}, from any thread; {@link #running} is the run it must reach once fit() has started one. */
    private volatile boolean stopRequested;
    private volatile dev.roaf.train.Trainer running;

    private Trainer(Model model, Dataset data, TrainOptions options, Builder b, Checkpoint resume) {
        this.model = model;
        this.data = data;
        this.options = options;
        this.listeners = List.copyOf(b.listeners);
        this.checkpoints = b.checkpointFile == null ? null
                : new CheckpointPolicy(b.checkpointFile, b.checkpointSteps, b.checkpointMinutes, b.checkpointMetadata);
        this.resume = resume;
        this.resumeSource = b.resumeFile == null ? null : b.resumeFile.toString();
        this.skipNonFinite = b.skipNonFinite;
    }

    /**
     * A builder for a trainer of {@code model} on {@code data}.
     *
     * @param model the model to train (its parameters are updated in place)
     * @param data  the dataset; its examples must fit the model
     * @return a new builder
     */
    public static Builder builder(Model model, Dataset data) {
        return new Builder(Objects.requireNonNull(model, "model"), Objects.requireNonNull(data, "data"));
    }

    /**
     * Runs every step, calling the listeners, and evaluates at the end on the whole test set.
     *
     * @return every evaluation and the time taken
     * @throws TrainingDivergedException if a step's loss or gradient is not finite (the model keeps
     *                                   the parameters of the step before)
     * @throws TrainingStoppedException  if {@link #stop()} was called (after writing a checkpoint, when checkpointing)
     * @throws IllegalStateException     if {@code fit()} was already called, or the model was closed
     */
    public TrainingResult fit() {
        // Holding the model's lock for the whole run keeps other threads' predict/evaluate/save from
        // interleaving with training steps on the shared workspace (they wait instead).
        synchronized (model) {
            return fitLocked();
        }
    }

    /**
     * Asks a running {@link #fit()} to stop before its next step, from any thread (a shutdown hook, a cancel button):
     * the step under way finishes, a checkpoint of it is written when checkpointing is on ({@link Builder#optCheckpoints}),
     * and {@code fit()} throws {@link TrainingStoppedException}. A run stopped so continues later from that checkpoint
     * ({@link Builder#optResumeFrom}) exactly as if it had not stopped. Called before {@code fit()}, it stops the run before
     * its first step; called after, it does nothing.
     */
    public void stop() {
        stopRequested = true;
        dev.roaf.train.Trainer t = running;
        if (t != null) {
            t.stop();
        }
    }

    private TrainingResult fitLocked() {
        if (fitted) {
            throw new IllegalStateException("fit() was already called on this trainer; build a new Trainer to train more");
        }
        fitted = true;
        dev.roaf.train.Trainer trainer = new dev.roaf.train.Trainer(model.internal(), data.task(), options);
        if (checkpoints != null) {
            trainer.checkpoints(checkpoints);
        }
        if (resume != null) {
            trainer.resumeFrom(resume, resumeSource);
        }
        if (skipNonFinite) {
            trainer.onNonFinite(dev.roaf.train.Trainer.OnNonFinite.SKIP);
        }
        // Published before the flag is read: a stop() on another thread either sees this trainer or set the flag first.
        running = trainer;
        if (stopRequested) {
            trainer.stop();
        }
        List<EvaluationEvent> evaluations = new ArrayList<>();
        trainer.addListener(new TrainListener() {
            @Override
            public void onSkippedStep(long step, double loss, double gradNorm, long skippedSoFar) {
                for (TrainingListener l : listeners) {
                    l.onSkippedStep(step, loss, gradNorm, skippedSoFar);
                }
            }

            @Override
            public void onStep(StepRecord s) {
                StepEvent e = step(s);
                for (TrainingListener l : listeners) {
                    l.onStep(e);
                }
            }

            @Override
            public void onEvaluation(EvalRecord r) {
                EvaluationEvent e = evaluation(r);
                evaluations.add(e);
                for (TrainingListener l : listeners) {
                    l.onEvaluation(e);
                }
            }

            @Override
            public void onRestore(List<StepRecord> steps, List<EvalRecord> past) {
                List<StepEvent> pastSteps = new ArrayList<>();
                for (StepRecord s : steps) {
                    pastSteps.add(step(s));
                }
                List<EvaluationEvent> pastEvaluations = new ArrayList<>();
                for (EvalRecord e : past) {
                    pastEvaluations.add(evaluation(e));
                }
                evaluations.addAll(pastEvaluations);
                for (TrainingListener l : listeners) {
                    l.onResume(List.copyOf(pastSteps), List.copyOf(pastEvaluations));
                }
            }

            @Override
            public void onFinish(TrainResult r) {
                // The public result is made below, from the same evaluations.
            }
        });
        TrainResult r;
        try {
            r = trainer.fit();
        } catch (dev.roaf.train.TrainingDivergedException e) {
            throw new TrainingDivergedException(e.step(), e.getMessage(), e);
        } catch (dev.roaf.train.TrainingStoppedException e) {
            throw new TrainingStoppedException(e.step(), e.checkpoint(), e);
        } finally {
            running = null;
        }
        TrainingResult result = new TrainingResult(r.steps(), evaluations, r.wallSeconds(), r.skippedSteps());
        for (TrainingListener l : listeners) {
            l.onFinish(result);
        }
        return result;
    }

    /**
     * The loss and accuracy of the trained model on a dataset's whole test set (for instance a
     * held-out dataset other than the training one).
     *
     * @param dataset a dataset whose examples fit the model
     * @return the metrics
     * @throws IllegalArgumentException if the dataset does not fit the model
     * @throws IllegalStateException    if the model was closed
     */
    public Evaluation evaluate(Dataset dataset) {
        return model.evaluate(dataset);
    }

    /**
     * The number of optimizer steps {@link #fit()} takes (resolved from epochs when they were given).
     *
     * @return the steps
     */
    public long steps() {
        return options.steps();
    }

    /**
     * The model this trainer updates.
     *
     * @return the model
     */
    public Model model() {
        return model;
    }

    /**
     * The dataset this trainer trains on.
     *
     * @return the dataset
     */
    public Dataset dataset() {
        return data;
    }

    /**
     * Reads what a checkpoint written by {@link Builder#optCheckpoints} records about its run (the
     * step reached, the skipped steps and the metadata), without restoring anything; a caller uses it
     * to rebuild the run's settings before resuming with {@link Builder#optResumeFrom}.
     *
     * @param checkpointFile the checkpoint file
     * @return what it records
     * @throws IllegalArgumentException if the file is not a valid roaf checkpoint (the message names
     *                                  the file and what is wrong)
     * @throws IOException              if the file cannot be read (e.g. {@link java.nio.file.NoSuchFileException})
     */
    public static CheckpointInfo readCheckpoint(Path checkpointFile) throws IOException {
        Objects.requireNonNull(checkpointFile, "checkpointFile");
        try {
            Checkpoint c = Checkpoint.read(checkpointFile);
            return new CheckpointInfo(c.step(), c.skippedSteps(), c.metadata());
        } catch (InvalidFileException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    static StepEvent step(StepRecord s) {
        return new StepEvent(s.step(), s.epoch(), s.examples(), s.loss(), s.accuracy(), s.gradNorm(), s.wallSeconds());
    }

    static EvaluationEvent evaluation(EvalRecord r) {
        return new EvaluationEvent(r.step(), r.epoch(), r.examples(), r.trainLoss(), r.trainAcc(), r.testLoss(),
                r.testAcc(), r.testExamples(), r.wallSeconds(), r.skippedSteps());
    }

    static StepRecord internal(StepEvent e) {
        return new StepRecord(e.step(), e.epoch(), e.examples(), e.loss(), e.accuracy(), e.gradientNorm(), e.wallSeconds());
    }

    static EvalRecord internal(EvaluationEvent e) {
        return new EvalRecord(e.step(), e.epoch(), e.examples(), e.trainLoss(), e.trainAccuracy(), e.testLoss(),
                e.testAccuracy(), e.testExamples(), e.wallSeconds(), e.skippedSteps());
    }

    /** Throws unless {@code data}'s examples and targets fit {@code model}. */
    static void checkFits(Model model, Dataset data) {
        Objects.requireNonNull(data, "data");
        ModelFamily f = model.family();
        if (f.isRecurrent() != data.isSequence()) {
            throw new IllegalArgumentException(f + (f.isRecurrent()
                    ? " reads sequences, but dataset " + data.name() + " has vectors"
                    : " reads vectors, but dataset " + data.name() + " has sequences"));
        }
        if (model.inputSize() != data.inputSize()) {
            throw new IllegalArgumentException("dataset " + data.name() + " has " + data.inputSize()
                    + " input features, the model expects " + model.inputSize());
        }
        if (model.outputs() != data.outputs()) {
            throw new IllegalArgumentException("dataset " + data.name() + " has " + data.outputs() + " "
                    + (data.targetType() == TargetType.REGRESSION ? "outputs" : "classes") + ", the model has "
                    + model.outputs() + " outputs");
        }
        boolean perStep = data.targetType() == TargetType.CLASS_PER_STEP;
        if (perStep != model.headEveryStep()) {
            throw new IllegalArgumentException(perStep
                    ? "dataset " + data.name() + " has a label per step, but the model reads out at the last step only"
                    + " (build it with optHeadEveryStep(true))"
                    : "the model reads out at every step, but dataset " + data.name() + " has one target per sequence");
        }
    }

    /**
     * Builds a {@link Trainer}. Settings are checked by {@link #build()}, which throws
     * {@link IllegalArgumentException} naming the setting, the value and what is allowed.
     */
    public static final class Builder {
        private final Model model;
        private final Dataset data;
        private Long steps;
        private Double epochs;
        private int batchSize = 100;
        private double learningRate = DEFAULT_LEARNING_RATE;
        private OptimizerType optimizer = OptimizerType.ADAM;
        private double momentum;
        private Double weightDecay;
        private long seed = 1;
        private Long evaluateEvery;
        private int evaluationSize = 1000;
        private double clipNorm;
        private LearningRateSchedule schedule = LearningRateSchedule.CONSTANT;
        private double lrHold;
        private long lrWarmup;
        private final List<TrainingListener> listeners = new ArrayList<>();
        private Path checkpointFile;
        private long checkpointSteps;
        private double checkpointMinutes;
        private Map<String, String> checkpointMetadata = Map.of();
        private Path resumeFile;
        private boolean skipNonFinite;

        private Builder(Model model, Dataset data) {
            this.model = model;
            this.data = data;
        }

        /**
         * Sets the number of optimizer steps; excludes {@link #setEpochs}.
         *
         * @param steps steps, at least 1
         * @return this builder
         */
        public Builder setSteps(long steps) {
            this.steps = steps;
            return this;
        }

        /**
         * Sets the number of epochs over the training examples (datasets of known size only); the
         * run takes {@code max(1, round(epochs * floor(trainSize / batchSize)))} steps. Excludes
         * {@link #setSteps}.
         *
         * @param epochs epochs, greater than 0 (fractions allowed)
         * @return this builder
         */
        public Builder setEpochs(double epochs) {
            this.epochs = epochs;
            return this;
        }

        /**
         * Sets the number of examples per step; the loss is the batch mean.
         *
         * @param batchSize examples, at least 1 and at most the training examples (default 100)
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets the learning rate.
         *
         * @param learningRate greater than 0 (default {@link #DEFAULT_LEARNING_RATE})
         * @return this builder
         */
        public Builder optLearningRate(double learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        /**
         * Sets the update rule.
         *
         * @param optimizer the optimizer (default {@link OptimizerType#ADAM})
         * @return this builder
         */
        public Builder optOptimizer(OptimizerType optimizer) {
            this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
            return this;
        }

        /**
         * Sets the momentum of SGD ({@code v = momentum v + g; p -= lr v}); Adam and AdamW have none.
         *
         * @param momentum in [0, 1) (default 0, plain SGD)
         * @return this builder
         */
        public Builder optMomentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        /**
         * Sets the weight decay, applied to every trainable parameter (biases included; the fixed
         * filters are not parameters): for {@link OptimizerType#ADAMW} decoupled (each step multiplies
         * the parameters by {@code 1 - lr * weightDecay}, as {@code torch.optim.AdamW}), for
         * {@link OptimizerType#ADAM} and {@link OptimizerType#SGD} added to the gradient as
         * {@code weightDecay * p} (L2, as their {@code weight_decay} in torch.optim).
         *
         * @param weightDecay finite and >= 0 (default {@link OptimizerType#defaultWeightDecay()}: 0.01 for
         *                    AdamW, 0 otherwise)
         * @return this builder
         */
        public Builder optWeightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /**
         * Sets the seed of the order of training examples (the model's initialisation has its own seed).
         *
         * @param seed the seed (default 1)
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets how often to evaluate on the test set during training; there is always a final
         * evaluation on the whole test set after the last step.
         *
         * @param steps evaluate every this many steps; 0 for the final evaluation only (default: a
         *              tenth of the steps, at least 1)
         * @return this builder
         */
        public Builder optEvaluateEvery(long steps) {
            this.evaluateEvery = steps;
            return this;
        }

        /**
         * Sets how many test examples an intermediate evaluation uses (the first ones of the test set).
         *
         * @param examples examples, 0 for the whole test set (default 1000)
         * @return this builder
         */
        public Builder optEvaluationSize(int examples) {
            this.evaluationSize = examples;
            return this;
        }

        /**
         * Sets gradient clipping: a gradient whose L2 norm (over all parameters) exceeds
         * {@code clipNorm} is rescaled to that norm.
         *
         * @param clipNorm the largest norm, 0 for no clipping (default 0)
         * @return this builder
         */
        public Builder optClipNorm(double clipNorm) {
            this.clipNorm = clipNorm;
            return this;
        }

        /**
         * Sets how the learning rate changes over the run: constant (the default) or a cosine decay to zero
         * at the last step (the one {@link #setSteps}, or {@link #setEpochs} converted to steps, names).
         *
         * @param schedule the schedule
         * @return this builder
         */
        public Builder optLearningRateSchedule(LearningRateSchedule schedule) {
            return optLearningRateSchedule(schedule, 0);
        }

        /**
         * Sets the schedule and the fraction of the run's steps that keep the full rate before its decay
         * starts: {@code (COSINE, 0.7)} trains at the full rate for 70% of the steps, then decays it along
         * a cosine to zero at the last step. Holding a rate that learns and decaying only at the end keeps
         * the early progress of a constant rate and ends at a small one, which stops late loss spikes.
         *
         * @param schedule     the schedule
         * @param holdFraction the fraction of the steps at the full rate, in [0, 1); must be 0 for
         *                     {@link LearningRateSchedule#CONSTANT}
         * @return this builder
         * @throws IllegalArgumentException for a fraction outside [0, 1), or a non-zero one with CONSTANT
         */
        public Builder optLearningRateSchedule(LearningRateSchedule schedule, double holdFraction) {
            Objects.requireNonNull(schedule, "schedule");
            if (!(holdFraction >= 0 && holdFraction < 1)) {
                throw new IllegalArgumentException("holdFraction must be in [0, 1), got " + holdFraction);
            }
            if (schedule == LearningRateSchedule.CONSTANT && holdFraction != 0) {
                throw new IllegalArgumentException("a hold fraction (" + holdFraction
                        + ") needs a decaying schedule such as COSINE; CONSTANT has no decay to hold back");
            }
            this.schedule = schedule;
            this.lrHold = holdFraction;
            return this;
        }

        /**
         * Makes the learning rate rise linearly over the first {@code steps} steps: step s of them uses
         * {@code s / steps} of the rate the schedule gives. Use it when a model that starts from trained
         * weights ({@link Model#loadParameters}) meets a fresh optimizer: Adam's first updates move every
         * parameter by the full rate, which can undo what a long sequence model learned.
         *
         * @param steps the warmup length in steps, 0 (the default) for none
         * @return this builder
         * @throws IllegalArgumentException if {@code steps} is negative
         */
        public Builder optLearningRateWarmup(long steps) {
            if (steps < 0) {
                throw new IllegalArgumentException("the warmup must be >= 0 steps (0 = none), got " + steps);
            }
            this.lrWarmup = steps;
            return this;
        }

        /**
         * Makes {@link #fit()} write a checkpoint (parameters, optimizer state, step, evaluations so
         * far) every {@code everySteps} steps and/or every {@code everyMinutes} minutes, and after the
         * last step; each write atomically replaces {@code file}, so a crash leaves the previous
         * complete checkpoint. Resume with {@link #optResumeFrom}.
         *
         * @param file         the checkpoint file, e.g. {@code run/checkpoint.safetensors}
         * @param everySteps   steps between checkpoints, 0 for by time only
         * @param everyMinutes minutes between checkpoints, 0 for by steps only (not both 0)
         * @param metadata     extra strings stored in every checkpoint (e.g. the run's options); may be empty
         * @return this builder
         */
        public Builder optCheckpoints(Path file, long everySteps, double everyMinutes, Map<String, String> metadata) {
            this.checkpointFile = Objects.requireNonNull(file, "file");
            this.checkpointSteps = everySteps;
            this.checkpointMinutes = everyMinutes;
            this.checkpointMetadata = metadata == null ? Map.of() : Map.copyOf(metadata);
            return this;
        }

        /**
         * Makes {@link #fit()} continue from a checkpoint written by a run with the same model,
         * dataset and settings: it loads the checkpoint's parameters and optimizer state and ends as
         * the uninterrupted run would have (bit for bit on the CPU with the same thread count). The
         * result and listeners' evaluations include those from before the checkpoint.
         *
         * @param checkpointFile a file written through {@link #optCheckpoints}
         * @return this builder
         */
        public Builder optResumeFrom(Path checkpointFile) {
            this.resumeFile = Objects.requireNonNull(checkpointFile, "checkpointFile");
            return this;
        }

        /**
         * Makes {@link #fit()} skip (not apply, but count) a step whose loss or gradient is not finite,
         * instead of stopping with {@link TrainingDivergedException}.
         *
         * @param skip true to skip such steps (default false: stop)
         * @return this builder
         */
        public Builder optSkipNonFiniteSteps(boolean skip) {
            this.skipNonFinite = skip;
            return this;
        }

        /**
         * Adds a listener; listeners are called in the order they were added.
         *
         * @param listener receives the step and evaluation events
         * @return this builder
         */
        public Builder addListener(TrainingListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * Checks the settings against each other, the model and the dataset.
         *
         * @return the trainer
         * @throws IllegalArgumentException if a setting is missing or out of range, the dataset does
         *                                  not fit the model, or the resume checkpoint is not a valid
         *                                  roaf checkpoint; the message says which
         * @throws UncheckedIOException     if the resume checkpoint cannot be read
         * @throws IllegalStateException    if the model was closed
         */
        public Trainer build() {
            model.checkOpen();
            if (steps != null && epochs != null) {
                throw new IllegalArgumentException("setSteps and setEpochs are alternatives: give one of them");
            }
            if (steps == null && epochs == null) {
                throw new IllegalArgumentException("the training length is required: call setSteps(S) or setEpochs(E)");
            }
            checkFits(model, data);
            if (batchSize < 1) {
                throw new IllegalArgumentException("optBatchSize must be at least 1, got " + batchSize);
            }
            if (data.trainSize() > 0 && batchSize > data.trainSize()) {
                throw new IllegalArgumentException("optBatchSize(" + batchSize + ") is larger than the " + data.trainSize()
                        + " training examples of " + data.name());
            }
            long total = resolveSteps();
            if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException("optLearningRate must be > 0 and finite, got " + learningRate);
            }
            if (!(momentum >= 0 && momentum < 1)) {
                throw new IllegalArgumentException("optMomentum must be in [0, 1), got " + momentum);
            }
            if (momentum != 0 && optimizer != OptimizerType.SGD) {
                throw new IllegalArgumentException("optMomentum applies to SGD, not " + optimizer
                        + "; add optOptimizer(OptimizerType.SGD)");
            }
            double decay = weightDecay != null ? weightDecay : optimizer.defaultWeightDecay();
            if (!(decay >= 0) || Double.isInfinite(decay)) {
                throw new IllegalArgumentException("optWeightDecay must be >= 0 and finite, got " + decay);
            }
            if (evaluateEvery != null && evaluateEvery < 0) {
                throw new IllegalArgumentException("optEvaluateEvery must be >= 0 (0 = only at the end), got " + evaluateEvery);
            }
            if (evaluationSize < 0) {
                throw new IllegalArgumentException("optEvaluationSize must be >= 0 (0 = the whole test set), got "
                        + evaluationSize);
            }
            if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) {
                throw new IllegalArgumentException("optClipNorm must be >= 0 and finite (0 = no clipping), got " + clipNorm);
            }
            long every = evaluateEvery != null ? evaluateEvery : Math.max(1, total / 10);
            TrainOptions options = new TrainOptions(total, batchSize, (float) learningRate, optimizer.kind(),
                    (float) momentum, seed, every, evaluationSize, (float) clipNorm, schedule.schedule(), lrHold, lrWarmup,
                    (float) decay);
            if (checkpointFile != null) {
                if (checkpointSteps < 0) {
                    throw new IllegalArgumentException("optCheckpoints: everySteps must be >= 0, got " + checkpointSteps);
                }
                if (!(checkpointMinutes >= 0) || Double.isInfinite(checkpointMinutes)) {
                    throw new IllegalArgumentException("optCheckpoints: everyMinutes must be >= 0 and finite, got "
                            + checkpointMinutes);
                }
                if (checkpointSteps == 0 && checkpointMinutes == 0) {
                    throw new IllegalArgumentException("optCheckpoints: give everySteps or everyMinutes (not both 0)");
                }
            }
            Checkpoint resume = null;
            if (resumeFile != null) {
                try {
                    resume = Checkpoint.read(resumeFile);
                } catch (InvalidFileException e) {
                    throw new IllegalArgumentException(e.getMessage(), e);
                } catch (IOException e) {
                    throw new UncheckedIOException("optResumeFrom: cannot read " + resumeFile + ": " + e.getMessage(), e);
                }
                if (resume.step() > total) {
                    throw new IllegalArgumentException("optResumeFrom: " + resumeFile + " is at step " + resume.step()
                            + ", beyond the run's " + total + " steps");
                }
            }
            return new Trainer(model, data, options, this, resume);
        }

        private long resolveSteps() {
            if (steps != null) {
                if (steps < 1) {
                    throw new IllegalArgumentException("setSteps must be at least 1, got " + steps);
                }
                return steps;
            }
            if (!(epochs > 0) || Double.isInfinite(epochs)) {
                throw new IllegalArgumentException("setEpochs must be > 0 and finite, got " + epochs);
            }
            if (data.trainSize() <= 0) {
                throw new IllegalArgumentException("setEpochs needs a dataset of known size; " + data.name()
                        + " is an endless stream: use setSteps");
            }
            return Math.max(1, Math.round(epochs * (data.trainSize() / batchSize)));
        }
    }
}
