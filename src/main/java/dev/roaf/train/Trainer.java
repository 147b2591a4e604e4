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
 * {@link TrainingDivergedException} before the parameters are touched. The trainer owns its
 * optimizer; the caller owns the model. Single-threaded: call {@link #fit()} once.
 */
public final class Trainer {
    private final Model model;
    private final Task task;
    private final TrainOptions options;
    private final List<TrainListener> listeners = new ArrayList<>();
    private final int evalBatch;

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

    /** Runs all steps and returns every evaluation; the last one covers the whole test set. */
    public TrainResult fit() {
        long start = System.nanoTime();
        List<EvalRecord> evals = new ArrayList<>();
        StepStats window = StepStats.zero();
        try (Optimizer opt = Optimizer.create(options.optimizer(), model.engine(), model.parameters(), options.momentum())) {
            for (long step = 1; step <= options.steps(); step++) {
                Batch batch = task.trainBatch(options.seed(), step - 1, options.batchSize());
                StepStats stats = model.forwardBackward(batch);
                double gradNorm = Math.sqrt(model.engine().sumOfSquares(model.parameters().grads()));
                if (!Double.isFinite(stats.meanLoss()) || !Double.isFinite(gradNorm)) {
                    throw new TrainingDivergedException(step, "step " + step + ": the " + (Double.isFinite(stats.meanLoss())
                            ? "gradient" : "loss") + " is not finite (loss " + stats.meanLoss() + ", gradient norm " + gradNorm
                            + "); parameters were left as they were after step " + (step - 1)
                            + ". Try a smaller --lr (now " + options.lr() + ") or --clip-norm 1");
                }
                if (options.clipNorm() > 0f && gradNorm > options.clipNorm()) {
                    model.engine().scale(model.parameters().grads(), (float) (options.clipNorm() / gradNorm));
                }
                opt.step(options.lr());
                window = window.plus(stats);
                double wall = seconds(start);
                StepRecord rec = new StepRecord(step, epoch(step), step * options.batchSize(), stats.meanLoss(),
                        stats.accuracy(), gradNorm, wall);
                for (TrainListener l : listeners) {
                    l.onStep(rec);
                }
                boolean last = step == options.steps();
                if (last || (options.evalEvery() > 0 && step % options.evalEvery() == 0)) {
                    StepStats test = evaluate(model, task, last ? 0 : options.evalSize(), evalBatch);
                    EvalRecord e = new EvalRecord(step, epoch(step), step * options.batchSize(), window.meanLoss(),
                            window.accuracy(), test.meanLoss(), test.accuracy(), testExamples(last), seconds(start));
                    window = StepStats.zero();
                    evals.add(e);
                    for (TrainListener l : listeners) {
                        l.onEvaluation(e);
                    }
                }
            }
        }
        TrainResult result = new TrainResult(options.steps(), List.copyOf(evals), seconds(start));
        for (TrainListener l : listeners) {
            l.onFinish(result);
        }
        return result;
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
