package dev.roaf;

import dev.roaf.train.Progress;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;

/**
 * A {@link TrainingListener} that shows progress on a console stream, as {@code roaf train} does: a
 * live bar redrawn in place on a terminal, or a plain line every 10 seconds or 10% of the steps
 * otherwise (CI logs), plus one line per evaluation and a summary at the end.
 *
 * <p>It holds no native memory; {@link #close()} (or the end of training) prints the summary line.
 */
public final class ConsoleProgress implements TrainingListener, AutoCloseable {
    private final Progress progress;

    private ConsoleProgress(Progress progress) {
        this.progress = progress;
    }

    /**
     * Progress on {@code System.err}, as a live bar when stderr looks like a terminal (a console,
     * {@code TERM} set and not {@code dumb}, {@code CI} not set), otherwise as plain lines.
     *
     * @param totalSteps the steps the run will take ({@link Trainer#steps()}), or 0 if unknown
     * @return the listener
     */
    public static ConsoleProgress forStderr(long totalSteps) {
        return new ConsoleProgress(Progress.forStderr(totalSteps));
    }

    /**
     * Progress on {@code out}.
     *
     * @param out         the stream to write to
     * @param totalSteps  the steps the run will take, or 0 if unknown
     * @param interactive true to redraw one line in place with {@code '\r'}, false for plain lines
     * @return the listener
     */
    public static ConsoleProgress on(PrintStream out, long totalSteps, boolean interactive) {
        return new ConsoleProgress(new Progress(Objects.requireNonNull(out, "out"), totalSteps, interactive, System::nanoTime));
    }

    /**
     * Updates the bar (or line) with the step's loss and accuracy.
     *
     * @param step the step
     */
    @Override
    public void onStep(StepEvent step) {
        progress.update(step.step(), step.loss(), Double.isNaN(step.accuracy()) ? ""
                : String.format(Locale.ROOT, "acc %.3f", step.accuracy()));
    }

    /**
     * Prints {@link #describe(EvaluationEvent)} without breaking the bar.
     *
     * @param evaluation the evaluation
     */
    @Override
    public void onEvaluation(EvaluationEvent evaluation) {
        progress.message(describe(evaluation));
    }

    /**
     * Ends the display with a summary line.
     *
     * @param result the result
     */
    @Override
    public void onFinish(TrainingResult result) {
        progress.finish();
    }

    /**
     * Prints a line of text without breaking the bar.
     *
     * @param line the text, without a trailing newline
     */
    public void message(String line) {
        progress.message(line);
    }

    /**
     * An evaluation as one line, e.g.
     * {@code step 100 (epoch 1.25): train loss 0.4123 acc 0.871 | test loss 0.3987 acc 0.8810 (2000 examples) | 12.3 s}.
     *
     * @param e the evaluation
     * @return the line
     */
    public static String describe(EvaluationEvent e) {
        return String.format(Locale.ROOT, "step %d%s: train loss %.4f%s | test loss %.4f%s (%d examples) | %.1f s", e.step(),
                Double.isNaN(e.epoch()) ? "" : String.format(Locale.ROOT, " (epoch %.2f)", e.epoch()), e.trainLoss(),
                Double.isNaN(e.trainAccuracy()) ? "" : String.format(Locale.ROOT, " acc %.3f", e.trainAccuracy()), e.testLoss(),
                Double.isNaN(e.testAccuracy()) ? "" : String.format(Locale.ROOT, " acc %.4f", e.testAccuracy()), e.testExamples(),
                e.wallSeconds());
    }

    /** Ends the display with a summary line, if {@link #onFinish} has not already. */
    @Override
    public void close() {
        progress.finish();
    }
}
