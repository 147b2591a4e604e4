package dev.roaf;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One evaluation on the test set during {@link Trainer#fit()}, as a {@link TrainingListener}
 * receives it (and as a line of a run record's {@code metrics.jsonl}).
 *
 * @param step          optimizer steps taken
 * @param epoch         fractional epochs (NaN for an endless synthetic dataset)
 * @param examples      training examples seen
 * @param trainLoss     mean training loss over the steps since the previous evaluation
 * @param trainAccuracy mean training accuracy over the same steps in [0, 1] (NaN for real-valued targets)
 * @param testLoss      mean loss on the evaluated test examples
 * @param testAccuracy  test accuracy in [0, 1] (NaN for real-valued targets); for per-step labels,
 *                      over the positive labels
 * @param testExamples  test examples evaluated
 * @param wallSeconds   seconds since {@link Trainer#fit()} started
 * @param skippedSteps  steps skipped so far for a non-finite loss or gradient (when the trainer was
 *                      built with {@link Trainer.Builder#optSkipNonFiniteSteps(boolean)}), or -1 when
 *                      the run does not skip such steps
 */
public record EvaluationEvent(long step, double epoch, long examples, double trainLoss, double trainAccuracy,
                              double testLoss, double testAccuracy, long testExamples, double wallSeconds,
                              long skippedSteps) {

    /**
     * An evaluation of a run that does not skip non-finite steps ({@link #skippedSteps()} is -1).
     *
     * @param step          optimizer steps taken
     * @param epoch         fractional epochs (NaN for an endless synthetic dataset)
     * @param examples      training examples seen
     * @param trainLoss     mean training loss over the steps since the previous evaluation
     * @param trainAccuracy mean training accuracy in [0, 1] (NaN for real-valued targets)
     * @param testLoss      mean loss on the evaluated test examples
     * @param testAccuracy  test accuracy in [0, 1] (NaN for real-valued targets)
     * @param testExamples  test examples evaluated
     * @param wallSeconds   seconds since {@link Trainer#fit()} started
     */
    public EvaluationEvent(long step, double epoch, long examples, double trainLoss, double trainAccuracy,
                           double testLoss, double testAccuracy, long testExamples, double wallSeconds) {
        this(step, epoch, examples, trainLoss, trainAccuracy, testLoss, testAccuracy, testExamples, wallSeconds, -1);
    }

    /**
     * The event as the JSON object of a {@code metrics.jsonl} line: keys {@code step}, {@code epoch},
     * {@code examples}, {@code train_loss}, {@code train_acc}, {@code test_loss}, {@code test_acc},
     * {@code test_examples}, {@code wall_s}, and {@code skipped_steps} when the run skips non-finite
     * steps ({@link #skippedSteps()} {@code >= 0}).
     *
     * @return an insertion-ordered map, with {@code null} for NaN values
     */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("epoch", finite(epoch));
        m.put("examples", examples);
        m.put("train_loss", finite(trainLoss));
        m.put("train_acc", finite(trainAccuracy));
        m.put("test_loss", finite(testLoss));
        m.put("test_acc", finite(testAccuracy));
        m.put("test_examples", testExamples);
        m.put("wall_s", Math.round(wallSeconds * 1000) / 1000.0);
        if (skippedSteps >= 0) {
            m.put("skipped_steps", skippedSteps);
        }
        return m;
    }

    private static Object finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
