package dev.roaf.train;

import dev.roaf.io.Json;
import dev.roaf.plot.LineChart;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The files a training run leaves in its output folder, written as the run goes: {@code config.json}
 * (once, by {@link #writeConfig}), {@code metrics.jsonl} (one line per evaluation, flushed),
 * {@code steps.csv} (one line per optimizer step: {@value #STEPS_HEADER}, flushed with each evaluation;
 * the gradient norm is the one before clipping, so a spike shows even when it was clipped) and
 * {@code curves.png} (loss, accuracy and gradient norm against steps, redrawn after each evaluation).
 */
public final class RunRecord implements TrainListener, AutoCloseable {
    /** The first line of {@code steps.csv}; empty fields are values that do not apply (accuracy of a regression) or are unknown. */
    public static final String STEPS_HEADER = "step,loss,accuracy,grad_norm,wall_s";
    private final Path dir;
    private final String title;
    private final boolean classification;
    private final BufferedWriter metrics;
    private final BufferedWriter stepLines;
    private final List<double[]> steps = new ArrayList<>();
    private final List<EvalRecord> evals = new ArrayList<>();
    /** Set when drawing failed for want of java.desktop; later evaluations do not try again. */
    private boolean curvesUnavailable;

    /**
     * Opens (creates) the run folder, its {@code metrics.jsonl} and its {@code steps.csv}.
     *
     * @param title          chart title, e.g. "roaf-rnn on psmnist"
     * @param classification whether accuracy is meaningful (otherwise the loss is plotted on a log scale)
     */
    public RunRecord(Path dir, String title, boolean classification) throws IOException {
        this.dir = dir;
        this.title = title;
        this.classification = classification;
        Files.createDirectories(dir);
        this.metrics = Files.newBufferedWriter(dir.resolve("metrics.jsonl"), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        try {
            this.stepLines = Files.newBufferedWriter(dir.resolve("steps.csv"), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
            stepLines.write(STEPS_HEADER);
            stepLines.write('\n');
        } catch (IOException | RuntimeException e) {
            metrics.close();
            throw e;
        }
    }

    /** The run folder. */
    public Path dir() {
        return dir;
    }

    /** Writes {@code config.json} atomically (pretty-printed JSON). */
    public void writeConfig(Map<String, Object> config) throws IOException {
        writeAtomically(dir.resolve("config.json"), Json.pretty(config) + "\n");
    }

    static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Rewrites {@code metrics.jsonl} and {@code steps.csv} with the evaluations and steps of the run
     * before its checkpoint (the lines they had then, byte for byte) and takes the steps for {@code curves.png}.
     */
    @Override
    public void onRestore(List<StepRecord> past, List<EvalRecord> pastEvals) {
        steps.clear();
        evals.clear();
        for (StepRecord s : past) {
            onStep(s);
        }
        try {
            for (EvalRecord e : pastEvals) {
                evals.add(e);
                metrics.write(Json.write(e.toJson()));
                metrics.write('\n');
            }
            metrics.flush();
            stepLines.flush();
            if (!pastEvals.isEmpty()) {
                drawCurves();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the run record in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void onStep(StepRecord step) {
        steps.add(new double[]{step.step(), step.loss(), step.accuracy(), step.gradNorm()});
        try {
            stepLines.write(stepLine(step));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the run record in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** One line of {@code steps.csv}: the step, the numbers as floats (shortest exact decimal), empty when not finite. */
    static String stepLine(StepRecord s) {
        return s.step() + "," + number(s.loss()) + "," + number(s.accuracy()) + "," + number(s.gradNorm()) + ","
                + (Double.isFinite(s.wallSeconds()) ? String.format(java.util.Locale.ROOT, "%.3f", s.wallSeconds()) : "")
                + "\n";
    }

    private static String number(double x) {
        return Double.isFinite(x) ? Float.toString((float) x) : "";
    }

    @Override
    public void onEvaluation(EvalRecord eval) {
        evals.add(eval);
        try {
            metrics.write(Json.write(eval.toJson()));
            metrics.write('\n');
            metrics.flush();
            stepLines.flush();
            drawCurves();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the run record in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** {@link #writeCurves}, except where this Java runtime cannot draw: then once a notice, and the record goes on. */
    private void drawCurves() throws IOException {
        if (curvesUnavailable) {
            return;
        }
        try {
            writeCurves();
        } catch (LinkageError e) {
            // A runtime without java.desktop (a jlink image, as on the GPU machines) has no AWT: the record stays complete
            // without the picture.
            curvesUnavailable = true;
            System.err.println("roaf: curves.png not drawn (" + e + "): this Java runtime lacks the java.desktop module;"
                    + " training goes on, and 'roaf plot " + dir + "' on a full JDK draws it later");
        }
    }

    /**
     * Redraws {@code curves.png}: loss (train per step, smoothed, and test), accuracy, and the gradient
     * norm of each step before clipping (unsmoothed, log scale: the spikes are the point) against steps.
     */
    public void writeCurves() throws IOException {
        int n = steps.size();
        double[] sx = new double[n], sl = new double[n], sa = new double[n], sg = new double[n];
        // Exponential smoothing over ~ n/10 steps (at most 50) keeps per-batch noise from hiding the trend.
        double k = 1.0 / Math.max(1, Math.min(50, n / 10));
        double smoothL = Double.NaN, smoothA = Double.NaN;
        for (int i = 0; i < n; i++) {
            double[] s = steps.get(i);
            sx[i] = s[0];
            smoothL = Double.isNaN(smoothL) ? s[1] : smoothL + k * (s[1] - smoothL);
            smoothA = Double.isNaN(smoothA) ? s[2] : smoothA + k * (s[2] - smoothA);
            sl[i] = smoothL;
            sa[i] = smoothA;
            sg[i] = s[3];
        }
        int m = evals.size();
        double[] ex = new double[m], el = new double[m], ea = new double[m];
        for (int i = 0; i < m; i++) {
            ex[i] = evals.get(i).step();
            el[i] = evals.get(i).testLoss();
            ea[i] = evals.get(i).testAcc();
        }
        // Regression losses always get a log axis; a cross-entropy only when it falls through decades (copy).
        LineChart.Panel loss = new LineChart.Panel("loss", "step", "mean loss").series("train (smoothed)", sx, sl)
                .series("test", ex, el);
        LineChart.Panel grad = new LineChart.Panel("gradient norm", "step", "L2 norm before clipping")
                .series("per step", sx, sg).logY(true).legend(false);
        if (classification) {
            loss.autoLogY();
            LineChart.Panel acc = new LineChart.Panel("accuracy", "step", "accuracy")
                    .series("train (smoothed)", sx, sa).series("test", ex, ea);
            LineChart.write(dir.resolve("curves.png"), 1650, 450, title, loss, acc, grad);
        } else {
            LineChart.write(dir.resolve("curves.png"), 1200, 450, title, loss.logY(true), grad);
        }
    }

    @Override
    public void close() throws IOException {
        try (stepLines) {
            metrics.close();
        }
    }
}
