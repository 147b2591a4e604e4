package dev.roaf.train;

import dev.roaf.data.Batch;
import dev.roaf.data.Task;
import dev.roaf.model.Model;
import dev.roaf.model.StepStats;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Trains a model on a task: minibatches in the task's deterministic order, the mean loss, one
 * optimizer update per step, evaluations on the test set, events to listeners.
 *
 * <p>A step whose loss or gradient is not finite stops the run with
 * {@link TrainingDivergedException} before the parameters are touched, or is skipped
 * ({@link #onNonFinite}). With {@link #checkpoints} the trainer writes {@link Checkpoint}s as it goes;
 * {@link #resumeFrom} continues from one, bit for bit. The trainer owns its
 * optimizer; the caller owns the model. Single-threaded: call {@link #fit()} once ({@link #stop()} is the one method
 * another thread may call).
 */
public final class Trainer {
    private final Model model;
    private final Task task;
    private final TrainOptions options;
    private final List<TrainListener> listeners = new ArrayList<>();
    private final int evalBatch;
    private CheckpointPolicy checkpoints;
    private Checkpoint resume;
    private String resumeSource;
    private OnNonFinite onNonFinite = OnNonFinite.STOP;
    private volatile boolean stopRequested;

    /** A trainer for {@code model} on {@code task}. */
    public Trainer(Model model, Task task, TrainOptions options) {
        this.model = Objects.requireNonNull(model, "model");
        this.task = Objects.requireNonNull(task, "task");
        this.options = Objects.requireNonNull(options, "options");
        if (task.trainSize() > 0 && task.trainSize() < options.batchSize()) {
            throw new IllegalArgumentException("--batch " + options.batchSize() + " is larger than the " + task.trainSize()
                    + " training examples of " + task.name());
        }
        // Evaluation needs no stored activations, so it can use larger batches than training.
        this.evalBatch = Math.max(options.batchSize(), 100);
    }

    /** Adds a listener; listeners are called in the order they were added. */
    public Trainer addListener(TrainListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /** What to do with a step whose loss or gradient is not finite. */
    public enum OnNonFinite {
        /** Stop with {@link TrainingDivergedException} (after writing a checkpoint of the step before, if checkpointing). */
        STOP,
        /** Skip the step (no update), count it, and go on. */
        SKIP;

        /** Parses {@code stop} or {@code skip}. */
        public static OnNonFinite parse(String s) {
            return switch (s) {
                case "stop" -> STOP;
                case "skip" -> SKIP;
                default -> throw new IllegalArgumentException("--on-nan must be stop or skip, got '" + s + "'");
            };
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Writes checkpoints as {@code policy} says ({@code null}: none, the default). */
    public Trainer checkpoints(CheckpointPolicy policy) {
        this.checkpoints = policy;
        return this;
    }

    /**
     * Continues from {@code checkpoint} instead of starting at step 1: {@link #fit()} loads its
     * parameters into the model and its state into the optimizer, and ends exactly as the run that
     * wrote it would have (bit for bit on the same engine and thread count).
     */
    public Trainer resumeFrom(Checkpoint checkpoint, String source) {
        if (checkpoint.step() > options.steps()) {
            throw new IllegalArgumentException(source + ": the checkpoint is at step " + checkpoint.step()
                    + ", beyond the run's " + options.steps() + " steps");
        }
        this.resume = checkpoint;
        this.resumeSource = source;
        return this;
    }

    /**
     * Asks {@link #fit()} to stop before its next step; safe from any thread (a shutdown hook, a cancel button). The fit
     * then writes a checkpoint of the last step done, when checkpointing is on and that step has none yet, and throws
     * {@link TrainingStoppedException}. Asked before {@code fit()} starts, it stops before the first step.
     */
    public void stop() {
        stopRequested = true;
    }

    /** Sets the policy for non-finite steps (default {@link OnNonFinite#STOP}). */
    public Trainer onNonFinite(OnNonFinite policy) {
        this.onNonFinite = Objects.requireNonNull(policy, "policy");
        return this;
    }

    /** Runs all steps and returns every evaluation; the last one covers the whole test set. */
    public TrainResult fit() {
        long start = System.nanoTime();
        double wallBefore = 0;
        List<EvalRecord> evals = new ArrayList<>();
        StepStats window = StepStats.zero();
        long skipped = 0;
        long first = 1;
        History history = new History();
        // On a GPU: refuse, before allocating optimizer state or activations, a run that cannot fit.
        dev.roaf.model.MemoryPlan.checkDeviceMemory(model, task.steps(), options.batchSize(),
                options.optimizer().stateCopies(options.momentum()));
        try (Optimizer opt = Optimizer.create(options.optimizer(), model.engine(), model.parameters(), options.momentum(),
                options.weightDecay());
             BatchPrefetcher batches = new BatchPrefetcher(task, options.seed(), options.batchSize(), options.steps(),
                     model.engine().overlapsHostWork())) {
            if (resume != null) {
                resume.restoreModel(model, resumeSource);
                try {
                    opt.importState(resume.optimizerState(), resume.optimizerSteps());
                } catch (IllegalArgumentException e) {
                    throw new dev.roaf.io.InvalidFileException(java.nio.file.Path.of(resumeSource), e.getMessage());
                }
                evals.addAll(resume.evaluations());
                window = resume.window();
                skipped = resume.skippedSteps();
                wallBefore = resume.wallSeconds();
                history.addAll(resume.history());
                first = resume.step() + 1;
                List<StepRecord> past = new ArrayList<>(history.size());
                for (int i = 0; i < history.size(); i++) {
                    long s = (long) history.get(i, 0);
                    past.add(new StepRecord(s, epoch(s), s * options.batchSize(), history.get(i, 1), history.get(i, 2),
                            history.get(i, 3), history.get(i, 4)));
                }
                for (TrainListener l : listeners) {
                    l.onRestore(List.copyOf(past), List.copyOf(evals));
                }
            }
            long lastCheckpointStep = first - 1;
            long lastCheckpointNanos = System.nanoTime();
            for (long step = first; step <= options.steps(); step++) {
                if (stopRequested) {
                    long done = step - 1;
                    if (checkpoints != null && done > lastCheckpointStep) {
                        writeCheckpoint(done, opt, skipped, wallBefore + seconds(start), window, evals, history);
                    }
                    java.nio.file.Path saved = checkpoints != null && java.nio.file.Files.exists(checkpoints.file())
                            ? checkpoints.file() : null;
                    throw new TrainingStoppedException(done, saved);
                }
                Batch batch = batches.take(step - 1);
                StepStats stats = model.forwardBackward(batch);
                double gradNorm = Math.sqrt(model.engine().sumOfSquares(model.parameters().grads()));
                if (!Double.isFinite(stats.meanLoss()) || !Double.isFinite(gradNorm)) {
                    if (onNonFinite == OnNonFinite.SKIP) {
                        skipped++;
                        for (TrainListener l : listeners) {
                            l.onSkippedStep(step, stats.meanLoss(), gradNorm, skipped);
                        }
                    } else {
                        String saved = "";
                        if (checkpoints != null && step > 1) {
                            if (lastCheckpointStep != step - 1) {
                                writeCheckpoint(step - 1, opt, skipped, wallBefore + seconds(start), window, evals, history);
                            }
                            saved = "; the last good checkpoint (after step " + (step - 1) + ") is " + checkpoints.file()
                                    + " (resume with --on-nan skip to skip such steps)";
                        }
                        throw new TrainingDivergedException(step, "step " + step + ": the " + (Double.isFinite(stats.meanLoss())
                                ? "gradient" : "loss") + " is not finite (loss " + stats.meanLoss() + ", gradient norm " + gradNorm
                                + "); parameters were left as they were after step " + (step - 1)
                                + ". Try a smaller --lr (now " + options.lr() + ") or --clip-norm 1" + saved);
                    }
                } else {
                    if (options.clipNorm() > 0f && gradNorm > options.clipNorm()) {
                        model.engine().scale(model.parameters().grads(), (float) (options.clipNorm() / gradNorm));
                    }
                    opt.step((float) options.lrAt(step));
                    window = window.plus(stats);
                    double wall = wallBefore + seconds(start);
                    StepRecord rec = new StepRecord(step, epoch(step), step * options.batchSize(), stats.meanLoss(),
                            stats.accuracy(), gradNorm, wall);
                    history.add(rec);
                    for (TrainListener l : listeners) {
                        l.onStep(rec);
                    }
                }
                boolean last = step == options.steps();
                if (last || (options.evalEvery() > 0 && step % options.evalEvery() == 0)) {
                    StepStats test = evaluate(model, task, last ? 0 : options.evalSize(), evalBatch);
                    EvalRecord e = new EvalRecord(step, epoch(step), step * options.batchSize(), window.meanLoss(),
                            window.accuracy(), test.meanLoss(), test.accuracy(), testExamples(last), wallBefore + seconds(start),
                            onNonFinite == OnNonFinite.SKIP ? skipped : -1);
                    window = StepStats.zero();
                    evals.add(e);
                    for (TrainListener l : listeners) {
                        l.onEvaluation(e);
                    }
                }
                if (checkpoints != null && (last
                        || (checkpoints.everySteps() > 0 && step % checkpoints.everySteps() == 0)
                        || (checkpoints.everyMinutes() > 0
                        && System.nanoTime() - lastCheckpointNanos >= checkpoints.everyMinutes() * 60e9))) {
                    writeCheckpoint(step, opt, skipped, wallBefore + seconds(start), window, evals, history);
                    lastCheckpointStep = step;
                    lastCheckpointNanos = System.nanoTime();
                }
            }
        }
        TrainResult result = new TrainResult(options.steps(), List.copyOf(evals), wallBefore + seconds(start), skipped);
        for (TrainListener l : listeners) {
            l.onFinish(result);
        }
        return result;
    }

    private void writeCheckpoint(long step, Optimizer opt, long skipped, double wall, StepStats window,
                                 List<EvalRecord> evals, History history) {
        Checkpoint c = new Checkpoint(step, opt.steps(), skipped, wall, window, evals, history.toArray(),
                model.toTensorData(), opt.exportState(), checkpointMetadata());
        try {
            c.write(checkpoints.file());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write the checkpoint " + checkpoints.file() + ": " + e.getMessage(), e);
        }
        for (TrainListener l : listeners) {
            l.onCheckpoint(step, checkpoints.file());
        }
    }

    private java.util.Map<String, String> checkpointMetadata() {
        java.util.Map<String, String> meta = new java.util.LinkedHashMap<>(model.metadata(null));
        meta.putAll(checkpoints.metadata());
        meta.put("train_steps", Long.toString(options.steps()));
        meta.put("optimizer", options.optimizer().toString());
        meta.put("weight_decay", Float.toString(options.weightDecay()));
        meta.put("lr_schedule", options.schedule().toString());
        meta.put("lr_hold", Double.toString(options.lrHold()));
        meta.put("lr_warmup", Long.toString(options.lrWarmup()));
        return meta;
    }

    /** The per-step records a checkpoint carries, {@link Checkpoint#HISTORY_FIELDS} numbers per step, in a growable array. */
    private static final class History {
        private static final int FIELDS = Checkpoint.HISTORY_FIELDS;
        private double[] data = new double[FIELDS * 64];
        private int size;

        void add(StepRecord s) {
            addAll(new double[] {s.step(), s.loss(), s.accuracy(), s.gradNorm(), s.wallSeconds()});
        }

        /** Appends whole rows of {@link #FIELDS} numbers. */
        void addAll(double[] rows) {
            int n = rows.length / FIELDS;
            if (FIELDS * (size + n) > data.length) {
                data = java.util.Arrays.copyOf(data, Math.max(2 * data.length, FIELDS * (size + n)));
            }
            System.arraycopy(rows, 0, data, FIELDS * size, FIELDS * n);
            size += n;
        }

        int size() {
            return size;
        }

        double get(int i, int field) {
            return data[FIELDS * i + field];
        }

        double[] toArray() {
            return java.util.Arrays.copyOf(data, FIELDS * size);
        }
    }

    private long testExamples(boolean last) {
        return last || options.evalSize() == 0 ? task.testSize() : Math.min(options.evalSize(), task.testSize());
    }

    private double epoch(long step) {
        return task.trainSize() > 0 ? (double) step * options.batchSize() / task.trainSize() : Double.NaN;
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    /**
     * Evaluates {@code model} on the first {@code maxExamples} test examples of {@code task} (all of
     * them when 0), in batches of {@code batchSize}.
     */
    public static StepStats evaluate(Model model, Task task, int maxExamples, int batchSize) {
        int total = maxExamples == 0 ? task.testSize() : Math.min(maxExamples, task.testSize());
        StepStats sum = StepStats.zero();
        for (int from = 0; from < total; from += batchSize) {
            sum = sum.plus(model.evaluate(task.testBatch(from, Math.min(batchSize, total - from)), null));
        }
        return sum;
    }
}
