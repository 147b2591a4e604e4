package dev.roaf.cli;

import dev.roaf.Charts;
import dev.roaf.JsonText;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code roaf plot}: draws several run records on the same axes, e.g. roaf-rnn against lstm and rnn
 * trained with the same budget. It reads each run's {@code metrics.jsonl} (one row per evaluation)
 * and writes one PNG: the test metric (accuracy, or loss on a log axis) and the training loss over
 * the updates since the previous evaluation, against updates or wall-clock seconds. With
 * {@code --grad-norm} a third panel draws each update's gradient norm before clipping from the
 * runs' {@code steps.csv}: where a loss spike comes from exploding gradients, it shows.
 */
@Command(name = "plot", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Draw the test metric and training loss of run records on the same axes (one PNG).")
final class PlotCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "RUN", description = "Run folders written by roaf train (with metrics.jsonl)")
    List<Path> runs;
    @Option(names = "--out", required = true, description = "The PNG to write")
    Path out;
    @Option(names = "--title", description = "Chart title (default: none)")
    String title;
    @Option(names = "--label", split = ",", description = "Series names, one per run, comma-separated (default: the folder names)")
    List<String> labels;
    @Option(names = "--x", description = "step (updates, the default), epoch (passes over the training set: compares runs"
            + " of different batch sizes; datasets only) or wall (seconds)")
    String x = "step";
    @Option(names = "--grad-norm", description = "Add a panel with each update's gradient norm before clipping (log"
            + " scale), read from the runs' steps.csv (records from before steps.csv existed have none)")
    boolean gradNorm;

    /** One run's evaluation rows. */
    record Curves(String name, boolean classification, double[] xs, double[] test, double[] train) {
    }

    @Override
    public Integer call() throws IOException {
        if (!x.equals("step") && !x.equals("epoch") && !x.equals("wall")) {
            throw new IllegalArgumentException("--x must be step, epoch or wall, got '" + x + "'");
        }
        if (labels != null && labels.size() != runs.size()) {
            throw new IllegalArgumentException("--label gives " + labels.size() + " names for " + runs.size() + " runs");
        }
        List<Curves> all = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            String name = labels != null ? labels.get(i) : String.valueOf(runs.get(i).toAbsolutePath().normalize().getFileName());
            Curves c = read(runs.get(i), name, x.equals("wall") ? "wall_s" : x);
            if (x.equals("epoch") && java.util.Arrays.stream(c.xs()).anyMatch(Double::isNaN)) {
                throw new IllegalArgumentException(runs.get(i) + " has no epochs (a synthetic task streams its examples):"
                        + " use --x step or --x wall");
            }
            all.add(c);
        }
        boolean classification = all.get(0).classification();
        for (Curves c : all) {
            if (c.classification() != classification) {
                throw new IllegalArgumentException("runs " + all.get(0).name() + " and " + c.name()
                        + " measure different things (accuracy and loss): plot them separately");
            }
        }
        String xLabel = x.equals("wall") ? "wall-clock seconds" : x.equals("epoch") ? "epochs" : "updates";
        Charts.Panel test = new Charts.Panel(classification ? "test accuracy" : "test loss", xLabel,
                classification ? "accuracy" : "loss").logY(!classification);
        Charts.Panel train = new Charts.Panel("training loss (mean since the previous evaluation)", xLabel, "loss")
                .autoLogY();
        for (Curves c : all) {
            test.series(c.name(), c.xs(), c.test());
            train.series(c.name(), c.xs(), c.train());
        }
        if (gradNorm) {
            if (x.equals("epoch")) {
                throw new IllegalArgumentException("--grad-norm draws against updates or wall-clock seconds: use --x step or --x wall");
            }
            Charts.Panel grad = new Charts.Panel("gradient norm before clipping (each update)", xLabel, "L2 norm").logY(true);
            for (int i = 0; i < runs.size(); i++) {
                double[][] g = readGradNorms(runs.get(i), x.equals("wall"));
                grad.series(all.get(i).name(), g[0], g[1]);
            }
            Charts.write(out, 1650, 450, title, test, train, grad);
        } else {
            Charts.write(out, 1200, 450, title, test, train);
        }
        spec.commandLine().getOut().println("roaf: wrote " + out + " (" + all.size() + " runs)");
        return 0;
    }

    /** Reads the evaluation rows of {@code run}/metrics.jsonl. */
    static Curves read(Path run, String name, String xKey) throws IOException {
        Path file = run.resolve("metrics.jsonl");
        List<String> lines = readLines(file, "RUN must be a folder written by roaf train --out");
        List<double[]> rows = new ArrayList<>();
        Boolean classification = null;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            if (!(JsonText.parse(lines.get(i)) instanceof Map<?, ?> row)) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": expected a JSON object");
            }
            boolean hasAcc = row.get("test_acc") instanceof Number;
            classification = classification == null ? hasAcc : classification;
            rows.add(new double[] {number(row.get(xKey)), number(hasAcc ? row.get("test_acc") : row.get("test_loss")),
                    number(row.get("train_loss"))});
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(file + " has no evaluations yet");
        }
        double[] xs = new double[rows.size()], test = new double[rows.size()], train = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            xs[i] = rows.get(i)[0];
            test[i] = rows.get(i)[1];
            train[i] = rows.get(i)[2];
        }
        return new Curves(name, classification, xs, test, train);
    }

    /**
     * (x, gradient norm) of every update in {@code run}/steps.csv, or in steps.csv.gz where the record keeps it
     * compressed (bench/results does: every tracked file travels to the GPU machine, within a size limit); x is
     * the step, or the wall time with {@code wall}.
     */
    static double[][] readGradNorms(Path run, boolean wall) throws IOException {
        Path file = run.resolve("steps.csv");
        Path gz = run.resolve("steps.csv.gz");
        List<String> lines;
        if (!Files.exists(file) && Files.exists(gz)) {
            file = gz;
            try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(
                    new java.util.zip.GZIPInputStream(Files.newInputStream(gz)), java.nio.charset.StandardCharsets.UTF_8))) {
                lines = in.lines().toList();
            }
        } else {
            lines = readLines(file, "--grad-norm needs runs recorded with steps.csv");
        }
        List<String> header = lines.isEmpty() ? List.of() : List.of(lines.get(0).split(","));
        int xCol = header.indexOf(wall ? "wall_s" : "step"), gCol = header.indexOf("grad_norm");
        if (xCol < 0 || gCol < 0) {
            throw new IllegalArgumentException(file + ": expected a header with step, grad_norm and wall_s, found '"
                    + (lines.isEmpty() ? "" : lines.get(0)) + "'");
        }
        double[] xs = new double[lines.size() - 1], gs = new double[lines.size() - 1];
        int n = 0;
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",", -1);
            if (f.length != header.size()) {
                continue; // the line a running trainer is writing
            }
            xs[n] = f[xCol].isEmpty() ? Double.NaN : Double.parseDouble(f[xCol]);
            gs[n] = f[gCol].isEmpty() ? Double.NaN : Double.parseDouble(f[gCol]);
            n++;
        }
        return new double[][] {java.util.Arrays.copyOf(xs, n), java.util.Arrays.copyOf(gs, n)};
    }

    /** The lines of a run-record file; a missing one is the user's mistake, named with {@code whatToDo}. */
    private static List<String> readLines(Path file, String whatToDo) throws IOException {
        try {
            return Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + " not found: " + whatToDo);
        }
    }

    private static double number(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
