package dev.roaf;

import dev.roaf.train.EvalRecord;
import dev.roaf.train.RunRecord;
import dev.roaf.train.StepRecord;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link TrainingListener} that keeps the record of a training run in a folder, as
 * {@code roaf train --out DIR} does: {@code config.json} (written by {@link #writeConfig}),
 * {@code metrics.jsonl} (one line per evaluation, flushed as it comes, keys as in
 * {@link EvaluationEvent#toJson()}), {@code steps.csv} (one line per optimizer step: step, loss,
 * accuracy, gradient norm before clipping, wall seconds) and {@code curves.png} (loss, accuracy and
 * gradient norm against steps, redrawn after each evaluation). Save the model into {@link #dir()} to complete the record.
 *
 * <p>A recorder holds an open file; close it (try-with-resources) when the run ends. It holds no
 * native memory.
 */
public final class RunRecorder implements TrainingListener, AutoCloseable {
    private final RunRecord record;

    /**
     * Creates the folder (and its parents) and opens {@code metrics.jsonl} and {@code steps.csv}, replacing old ones.
     *
     * @param dir            the run folder
     * @param title          the chart title, e.g. {@code "roaf-rnn on psmnist"}
     * @param classification whether accuracy is meaningful (class targets); otherwise the loss is
     *                       plotted on a log scale and there is no accuracy panel
     * @throws IOException if the folder or file cannot be created
     */
    public RunRecorder(Path dir, String title, boolean classification) throws IOException {
        this.record = new RunRecord(Objects.requireNonNull(dir, "dir"), Objects.requireNonNull(title, "title"), classification);
    }

    /**
     * A recorder for training {@code model} on {@code data}: the title is
     * {@code "<family> on <dataset name>"} and accuracy is plotted for class targets.
     *
     * @param dir   the run folder
     * @param model the model being trained
     * @param data  the training dataset
     * @return the recorder
     * @throws IOException if the folder or file cannot be created
     */
    public static RunRecorder forRun(Path dir, Model model, Dataset data) throws IOException {
        return new RunRecorder(dir, model.family() + " on " + data.name(), data.targetType() != TargetType.REGRESSION);
    }

    /**
     * The run folder.
     *
     * @return the folder
     */
    public Path dir() {
        return record.dir();
    }

    /**
     * Writes {@code config.json} atomically, pretty-printed.
     *
     * @param config a JSON-ready map (strings, numbers, booleans, null, lists and maps), e.g. the
     *               command line, {@link Model#metadata()}, the training settings and
     *               {@link Dataset#describe()}
     * @throws IOException if it cannot be written
     */
    public void writeConfig(Map<String, Object> config) throws IOException {
        record.writeConfig(config);
    }

    /**
     * Rewrites {@code metrics.jsonl} and {@code steps.csv} with the evaluations and steps before the
     * checkpoint a run resumes from, and keeps the past steps for {@code curves.png}.
     *
     * @param pastSteps       the steps before the checkpoint
     * @param pastEvaluations the evaluations before the checkpoint
     * @throws java.io.UncheckedIOException if the files cannot be written
     */
    @Override
    public void onResume(List<StepEvent> pastSteps, List<EvaluationEvent> pastEvaluations) {
        List<StepRecord> steps = new ArrayList<>();
        for (StepEvent s : pastSteps) {
            steps.add(Trainer.internal(s));
        }
        List<EvalRecord> evals = new ArrayList<>();
        for (EvaluationEvent e : pastEvaluations) {
            evals.add(Trainer.internal(e));
        }
        record.onRestore(steps, evals);
    }

    /**
     * Writes the step's line of {@code steps.csv} and keeps the step for {@code curves.png}.
     *
     * @param step the step
     */
    @Override
    public void onStep(StepEvent step) {
        record.onStep(Trainer.internal(step));
    }

    /**
     * Appends a line to {@code metrics.jsonl} and redraws {@code curves.png}.
     *
     * @param evaluation the evaluation
     * @throws java.io.UncheckedIOException if the files cannot be written
     */
    @Override
    public void onEvaluation(EvaluationEvent evaluation) {
        record.onEvaluation(Trainer.internal(evaluation));
    }

    /**
     * Closes {@code metrics.jsonl}.
     *
     * @throws IOException if closing fails
     */
    @Override
    public void close() throws IOException {
        record.close();
    }
}
