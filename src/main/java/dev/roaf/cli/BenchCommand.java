package dev.roaf.cli;

import dev.roaf.Charts;
import dev.roaf.Dataset;
import dev.roaf.Datasets;
import dev.roaf.EvaluationEvent;
import dev.roaf.JsonText;
import dev.roaf.Model;
import dev.roaf.ModelBuilder;
import dev.roaf.ModelFamily;
import dev.roaf.StepEvent;
import dev.roaf.TargetType;
import dev.roaf.Trainer;
import dev.roaf.TrainingListener;
import dev.roaf.TrainingResult;
import dev.roaf.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code roaf bench}: runs a named suite of comparisons (ROAF against LSTM and Elman baselines with
 * the same data, budget of updates and seeds) and a speed grid, and writes {@code results.json}
 * (one row per entry and metric), {@code results.md} and {@code headline.md} (tables generated from
 * results.json), {@code curves.json} and PNG plots into {@code --out}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a benchmark suite; write results.json, results.md, headline.md, curves.json and PNG plots.",
                "Suites: quick (CPU, minutes), paper (GPU, hours), speed (time per update across T, N, B), tiny (tests)."})
final class BenchCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--suite", required = true, description = "quick, paper, speed or tiny")
    String suite;
    @CommandLine.Mixin
    DeviceOptions devices = new DeviceOptions();
    @Option(names = "--out", description = "Output folder (default: bench/results/<suite>-<device kind>-<date>)")
    Path out;
    @Option(names = "--seeds", description = "Seeds 1..N for every comparison (default: the suite's)")
    Integer seeds;
    @Option(names = "--data-dir", description = "Folder with MNIST / Fashion-MNIST IDX files")
    Path dataDir;
    @Option(names = "--list", description = "Print the suite's entries (and the equivalent roaf train commands); run nothing")
    boolean list;
    @Option(names = "--peers", description = "auto (run bench/peers/torch_step.py when python3 has torch) or none"
            + " (default: ${DEFAULT-VALUE})")
    String peers = "auto";
    @Option(names = "--python", description = "Python for the PyTorch peers (default: the first of python3, /usr/bin/python3 that imports torch)")
    String python;
    @Option(names = "--peer-script", description = "The PyTorch peer script (default: ${DEFAULT-VALUE})")
    Path peerScript = Path.of("bench", "peers", "torch_step.py");

    private PrintWriter err;

    @Override
    public Integer call() throws Exception {
        err = spec.commandLine().getErr();
        if (seeds != null && seeds < 1) {
            throw new IllegalArgumentException("--seeds must be at least 1, got " + seeds);
        }
        if (!peers.equals("auto") && !peers.equals("none")) {
            throw new IllegalArgumentException("--peers must be auto or none, got '" + peers + "'");
        }
        dev.roaf.Device dev = devices.open(err::println);
        boolean listOnly = list;
        String kind;
        String card;
        if (listOnly && !devices.device.equals("auto")) {
            kind = devices.device.startsWith("cuda") ? "cuda" : "cpu";
            card = kind;
        } else {
            try (Model probe = devices.asTyped(() -> Model.rnn().setInputSize(1).setHiddenSize(2).setOutputs(1)
                    .optDevice(dev).build())) {
                card = probe.deviceName();
                kind = probe.cpuThreads() > 0 ? "cpu" : "cuda";
            }
            if (kind.equals("cpu")) {
                String cpu = Machine.cpuModel();
                card = cpu == null ? card : cpu + ", " + card;
            }
        }
        BenchSuite s = BenchSuite.named(suite, kind.equals("cuda"));
        String command = "roaf " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        String deviceArg = kind.equals("cuda") ? "cuda" : "cpu";
        if (listOnly) {
            PrintWriter o = spec.commandLine().getOut();
            o.println("suite " + s.name() + ": " + s.description());
            for (BenchSuite.Comparison c : s.comparisons()) {
                int n = seedCount(c);
                o.println(String.format(Locale.ROOT, "%s: %s on %s, %d updates of batch %d, lr %s, seeds 1..%d, peer %s",
                        c.benchmark(), String.join(" vs ", c.models()), describeTask(c), c.steps(), c.batch(), c.lr(), n, c.reference()));
                for (String m : c.models()) {
                    o.println("  " + trainCommand(c, m, 1, deviceArg));
                }
            }
            if (s.speed() != null) {
                BenchSuite.Speed sp = s.speed();
                o.println(String.format(Locale.ROOT, "speed: %s on adding, T in %s, N in %s, B in %s, %d warm-up + %d timed updates;"
                                + " PyTorch peers from %s", String.join(", ", sp.models()), sp.lengths(), sp.hidden(), sp.batches(),
                        sp.warmup(), sp.timed(), peerScript));
            }
            o.flush();
            return 0;
        }
        String date = LocalDate.now().toString();
        Path dir = out != null ? out : Path.of("bench", "results", s.name() + "-" + kind + "-" + date);
        Files.createDirectories(dir);
        List<Map<String, Object>> rows = new ArrayList<>();
        Map<String, Object> curves = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        int total = 0;
        for (BenchSuite.Comparison c : s.comparisons()) {
            total += c.models().size() * seedCount(c);
        }
        int[] done = {0};
        for (BenchSuite.Comparison c : s.comparisons()) {
            runComparison(c, dev, kind, card, command, deviceArg, rows, curves, done, total);
        }
        if (s.speed() != null) {
            runSpeed(s.speed(), dev, kind, card, command, rows, curves);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("suite", s.name());
        results.put("description", s.description());
        results.put("date", date);
        results.put("command", command);
        results.put("device", kind);
        results.put("card", card);
        results.put("roaf", Version.VERSION);
        results.put("java", System.getProperty("java.version"));
        results.put("out", dir.toString().replace('\\', '/'));
        results.put("wall_s", Math.round(seconds * 10) / 10.0);
        results.put("rows", rows);
        write(dir.resolve("results.json"), JsonText.pretty(results) + "\n");
        write(dir.resolve("curves.json"), JsonText.pretty(curves) + "\n");
        List<String> pngs = plots(curves, dir);
        // The tables are generated from the file just written, never from the in-memory values.
        @SuppressWarnings("unchecked")
        Map<String, Object> reread = (Map<String, Object>) JsonText.parse(Files.readString(dir.resolve("results.json")));
        write(dir.resolve("results.md"), markdown(reread, pngs));
        write(dir.resolve("headline.md"), headline(reread));
        spec.commandLine().getOut().println(String.format(Locale.ROOT, "bench %s on %s: %d rows in %.1f s; results in %s",
                s.name(), card, rows.size(), seconds, dir));
        spec.commandLine().getOut().print(headline(reread));
        spec.commandLine().getOut().flush();
        return 0;
    }

    private int seedCount(BenchSuite.Comparison c) {
        return seeds != null ? seeds : c.seeds();
    }

    private static void write(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    private static String describeTask(BenchSuite.Comparison c) {
        return c.task() + (c.length() > 0 ? (c.task().equals("copy") ? " (delay " : " (T=") + c.length() + ")" : "")
                + String.format(Locale.ROOT, ", N=%d%s", c.hidden(), c.depth() > 0 ? ", L=" + c.depth() : "");
    }

    /** The {@code roaf train} command that trains the same model with the same settings as this entry. */
    static String trainCommand(BenchSuite.Comparison c, String model, int seed, String device) {
        StringBuilder b = new StringBuilder("roaf train --model ").append(model).append(" --task ").append(c.task());
        if (c.length() > 0) {
            b.append(" --length ").append(c.length());
        }
        b.append(" --hidden ").append(c.hidden());
        if (c.depth() > 0 && !ModelFamily.parse(model).isRecurrent()) {
            b.append(" --depth ").append(c.depth());
        }
        b.append(" --batch ").append(c.batch()).append(" --steps ").append(c.steps()).append(" --lr ").append(c.lr())
                .append(" --seed ").append(seed).append(" --eval-every ").append(c.evalEvery()).append(" --eval-size ")
                .append(c.evalSize()).append(" --device ").append(device);
        // Every model of a comparison trains at the same constant rate; `roaf train` would give roaf-rnn its
        // recipe's schedule (copy), so the equivalent command pins the constant one.
        TaskRecipe recipe = ModelFamily.parse(model) == ModelFamily.ROAF_RNN ? TaskRecipe.forRoafRnn(c.task()) : null;
        if (recipe != null && recipe.lrHold() != null) {
            b.append(" --lr-schedule constant");
        }
        return b.toString();
    }

    /** What one training run measured. */
    private record Run(double finalMetric, double stepSeconds, double wallSeconds, double[] steps, double[] wall, double[] metric) {
    }

    private void runComparison(BenchSuite.Comparison c, dev.roaf.Device dev, String kind, String card, String command,
                               String deviceArg, List<Map<String, Object>> rows, Map<String, Object> curves, int[] done,
                               int total) {
        Dataset data = Datasets.builtIn(c.task(), Datasets.Options.defaults().withLength(c.length()).withDataDir(dataDir));
        if (Boolean.TRUE.equals(data.describe().get("sample"))) {
            err.println("roaf bench: " + c.benchmark() + " uses the " + data.describe().get("source") + " bundled in the jar");
        }
        boolean classification = data.targetType() != TargetType.REGRESSION;
        String metric = classification ? "test_accuracy" : "test_loss";
        int n = seedCount(c);
        Map<String, List<Run>> byModel = new LinkedHashMap<>();
        for (String m : c.models()) {
            List<Run> runs = new ArrayList<>();
            for (int seed = 1; seed <= n; seed++) {
                Run r = train(c, m, seed, data, dev, classification);
                runs.add(r);
                done[0]++;
                err.println(String.format(Locale.ROOT, "roaf bench: [%d/%d] %s %s seed %d: %s %.4f after %d updates, %.1f s"
                                + " (%.1f ms per update)", done[0], total, c.benchmark(), m, seed, metric.replace('_', ' '),
                        r.finalMetric(), c.steps(), r.wallSeconds(), r.stepSeconds() * 1000));
                err.flush();
            }
            byModel.put(m, runs);
        }
        Map<String, Object> curve = new LinkedHashMap<>();
        curve.put("kind", "training");
        curve.put("title", c.benchmark() + ": " + describeTask(c) + ", B=" + c.batch() + ", seeds 1.." + n);
        curve.put("metric", metric);
        Map<String, Object> series = new LinkedHashMap<>();
        for (String m : c.models()) {
            List<Run> runs = byModel.get(m);
            Run first = runs.get(0);
            int len = first.steps().length;
            double[] metricMean = new double[len];
            double[] wallMean = new double[len];
            for (Run r : runs) {
                for (int i = 0; i < len && i < r.metric().length; i++) {
                    metricMean[i] += r.metric()[i] / runs.size();
                    wallMean[i] += r.wall()[i] / runs.size();
                }
            }
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("updates", json(first.steps()));
            one.put("wall_s", json(wallMean));
            one.put(metric, json(metricMean));
            series.put(m, one);
        }
        curve.put("series", series);
        curves.put(c.benchmark(), curve);

        Map<String, double[]> values = new LinkedHashMap<>();
        for (String m : c.models()) {
            List<Run> runs = byModel.get(m);
            values.put(m + "/" + metric, runs.stream().mapToDouble(Run::finalMetric).toArray());
            values.put(m + "/step_time", runs.stream().mapToDouble(Run::stepSeconds).toArray());
            values.put(m + "/wall_time", runs.stream().mapToDouble(Run::wallSeconds).toArray());
        }
        String[][] metrics = {{metric, classification ? "fraction" : "mse"}, {"step_time", "s"}, {"wall_time", "s"}};
        for (String m : c.models()) {
            for (String[] mu : metrics) {
                double[] v = values.get(m + "/" + mu[0]);
                Map<String, Object> config = new LinkedHashMap<>();
                config.put("engine", "roaf");
                config.put("model", m);
                config.put("task", c.task());
                config.put("T", data.steps());
                config.put("N", c.hidden());
                if (c.depth() > 0 && !ModelFamily.parse(m).isRecurrent()) {
                    config.put("L", c.depth());
                }
                config.put("B", c.batch());
                config.put("updates", c.steps());
                config.put("lr", c.lr());
                config.put("seeds", n);
                config.put("per_seed", json(v));
                config.put("train_command", trainCommand(c, m, 1, deviceArg).replace("--seed 1", "--seed S"));
                boolean isRef = m.equals(c.reference());
                double[] pv = isRef ? null : values.get(c.reference() + "/" + mu[0]);
                rows.add(row(c.benchmark(), config, kind, card, mu[0], mean(v), mu[1], isRef ? null : c.reference(),
                        pv == null ? null : mean(pv), command, null));
            }
        }
    }

    private Run train(BenchSuite.Comparison c, String m, int seed, Dataset data, dev.roaf.Device dev, boolean classification) {
        ModelFamily family = ModelFamily.parse(m);
        ModelBuilder b = Model.builder(family).setShapeFrom(data).setHiddenSize(c.hidden()).optSeed(seed).optDevice(dev);
        if (!family.isRecurrent()) {
            b.setDepth(c.depth());
        }
        // roaf-rnn gets its task recipe's alpha/beta and clipping, as `roaf train` gives them to the entry's
        // train command; the learning rate stays the comparison's, shared by every model.
        TaskRecipe recipe = family == ModelFamily.ROAF_RNN ? TaskRecipe.forRoafRnn(c.task()) : null;
        if (recipe != null) {
            recipe.applyMix(b);
        }
        float clip = recipe != null && recipe.clipNorm() != null ? recipe.clipNorm() : 0f;
        List<double[]> evals = new ArrayList<>();
        List<Double> stepWalls = new ArrayList<>();
        try (Model model = devices.asTyped(b::build)) {
            TrainingResult r = Trainer.builder(model, data).setSteps(c.steps()).optBatchSize(c.batch()).optLearningRate(c.lr())
                    .optClipNorm(clip).optSeed(seed).optEvaluateEvery(c.evalEvery()).optEvaluationSize(c.evalSize())
                    .addListener(new TrainingListener() {
                        @Override
                        public void onStep(StepEvent e) {
                            stepWalls.add(e.wallSeconds());
                        }

                        @Override
                        public void onEvaluation(EvaluationEvent e) {
                            evals.add(new double[] {e.step(), e.wallSeconds(), classification ? e.testAccuracy() : e.testLoss()});
                        }
                    }).build().fit();
            double[] steps = new double[evals.size()];
            double[] wall = new double[evals.size()];
            double[] metric = new double[evals.size()];
            for (int i = 0; i < evals.size(); i++) {
                steps[i] = evals.get(i)[0];
                wall[i] = evals.get(i)[1];
                metric[i] = evals.get(i)[2];
            }
            EvaluationEvent last = r.last();
            return new Run(classification ? last.testAccuracy() : last.testLoss(), medianStep(stepWalls, 0), r.wallSeconds(),
                    steps, wall, metric);
        }
    }

    /** The median duration of the steps after the first {@code skip}, from the steps' end times. */
    static double medianStep(List<Double> ends, int skip) {
        List<Double> d = new ArrayList<>();
        for (int i = Math.max(skip, 0); i < ends.size(); i++) {
            d.add(ends.get(i) - (i == 0 ? 0 : ends.get(i - 1)));
        }
        if (d.isEmpty()) {
            return Double.NaN;
        }
        double[] a = d.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private void runSpeed(BenchSuite.Speed sp, dev.roaf.Device dev, String kind, String card, String command,
                          List<Map<String, Object>> rows, Map<String, Object> curves) throws Exception {
        List<int[]> grid = sp.grid();
        Map<String, Double> java = new LinkedHashMap<>();
        int i = 0;
        for (int[] g : grid) {
            Dataset data = Datasets.builtIn("adding", Datasets.Options.defaults().withLength(g[0]).withTestSize(g[2]));
            for (String m : sp.models()) {
                List<Double> ends = new ArrayList<>();
                try (Model model = devices.asTyped(() -> Model.builder(ModelFamily.parse(m)).setShapeFrom(data)
                        .setHiddenSize(g[1]).optSeed(1).optDevice(dev).build())) {
                    Trainer.builder(model, data).setSteps(sp.warmup() + sp.timed()).optBatchSize(g[2]).optEvaluateEvery(0)
                            .addListener(new TrainingListener() {
                                @Override
                                public void onStep(StepEvent e) {
                                    ends.add(e.wallSeconds());
                                }
                            }).build().fit();
                }
                double t = medianStep(ends, sp.warmup());
                java.put(key(m, g), t);
                i++;
                err.println(String.format(Locale.ROOT, "roaf bench: [%d/%d] speed %s T=%d N=%d B=%d: %.2f ms per update", i,
                        grid.size() * sp.models().size(), m, g[0], g[1], g[2], t * 1000));
                err.flush();
            }
        }
        Map<String, Object> torch = new LinkedHashMap<>();
        String unavailable = runPeers(sp, kind, torch);
        Map<String, Object> series = new LinkedHashMap<>();
        for (int[] g : grid) {
            for (String m : sp.models()) {
                double t = java.get(key(m, g));
                Object peer = torch.get(key(m, g));
                Double pv = peer instanceof Map<?, ?> pm && pm.get("step_s") instanceof Number num ? num.doubleValue() : null;
                String why = unavailable != null ? unavailable
                        : peer instanceof Map<?, ?> pm && pm.get("error") != null ? String.valueOf(pm.get("error")) : null;
                Map<String, Object> config = speedConfig("roaf", m, g, sp);
                config.put("train_command", "roaf bench --suite speed (adding, steps " + (sp.warmup() + sp.timed()) + ")");
                String ref = sp.models().get(1).equals(m) ? null : sp.models().get(1);
                rows.add(row("speed", config, kind, card, "step_time", t, "s", ref, ref == null ? null : java.get(key(ref, g)),
                        command, null));
                Map<String, Object> pc = speedConfig("pytorch", m, g, sp);
                if (peer instanceof Map<?, ?> pm) {
                    pc.put("engine", pm.get("engine") == null ? "pytorch" : pm.get("engine"));
                    pc.put("card", pm.get("card"));
                    pc.put("script", peerScript.toString().replace('\\', '/'));
                }
                rows.add(row("speed-peer", pc, kind, card, "step_time", pv, "s", "roaf " + m, t, command,
                        why == null ? null : "not available: " + why));
                addPoint(series, m + " (roaf)", g, t);
                if (pv != null) {
                    addPoint(series, m + " (pytorch)", g, pv);
                }
            }
        }
        Map<String, Object> curve = new LinkedHashMap<>();
        curve.put("kind", "speed");
        curve.put("title", "time per update (adding task shapes, forward + backward + Adam)");
        curve.put("series", series);
        curves.put("speed", curve);
    }

    private static Map<String, Object> speedConfig(String engine, String m, int[] g, BenchSuite.Speed sp) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("engine", engine);
        config.put("model", m);
        config.put("task", "adding");
        config.put("T", g[0]);
        config.put("N", g[1]);
        config.put("B", g[2]);
        config.put("warmup", sp.warmup());
        config.put("timed", sp.timed());
        return config;
    }

    @SuppressWarnings("unchecked")
    private static void addPoint(Map<String, Object> series, String name, int[] g, double seconds) {
        String panel = "N=" + g[1] + " B=" + g[2];
        Map<String, Object> p = (Map<String, Object>) series.computeIfAbsent(panel, k -> new LinkedHashMap<String, Object>());
        Map<String, Object> s = (Map<String, Object>) p.computeIfAbsent(name, k -> new LinkedHashMap<String, Object>());
        ((List<Object>) s.computeIfAbsent("T", k -> new ArrayList<>())).add(g[0]);
        ((List<Object>) s.computeIfAbsent("ms", k -> new ArrayList<>())).add(seconds * 1000);
    }

    private static String key(String m, int[] g) {
        return m + "/" + g[0] + "/" + g[1] + "/" + g[2];
    }

    /**
     * Runs the PyTorch peer script on the whole grid in one process; fills {@code into} with one JSON
     * object per (model, T, N, B) and returns null, or returns why the peers are not available.
     */
    private String runPeers(BenchSuite.Speed sp, String kind, Map<String, Object> into) {
        if (peers.equals("none")) {
            return "--peers none";
        }
        if (!Files.isRegularFile(peerScript)) {
            return "no peer script at " + peerScript;
        }
        String py = python;
        if (py == null) {
            for (String candidate : List.of("python3", "/usr/bin/python3")) {
                if (exec(List.of(candidate, "-c", "import torch"), 120) != null) {
                    py = candidate;
                    break;
                }
            }
            if (py == null) {
                return "no python3 with torch (tried python3, /usr/bin/python3; on Debian: apt-get install python3-torch)";
            }
        }
        List<Object> configs = new ArrayList<>();
        for (int[] g : sp.grid()) {
            for (String m : sp.models()) {
                configs.add(Map.of("model", m, "T", g[0], "N", g[1], "B", g[2]));
            }
        }
        int t = devices.threads > 0 ? devices.threads : Runtime.getRuntime().availableProcessors();
        List<String> cmd = List.of(py, peerScript.toString(), "--configs", JsonText.write(configs), "--device",
                kind.equals("cuda") ? "cuda" : "cpu", "--threads", Integer.toString(t), "--warmup",
                Integer.toString(sp.warmup()), "--steps", Integer.toString(sp.timed()));
        err.println("roaf bench: running the PyTorch peers (" + py + " " + peerScript + ", " + configs.size() + " configurations)");
        err.flush();
        String output = exec(cmd, 3600);
        if (output == null) {
            return py + " " + peerScript + " failed (see stderr above)";
        }
        try {
            String lastLine = output.strip();
            lastLine = lastLine.substring(lastLine.lastIndexOf('\n') + 1);
            for (Object o : (List<?>) JsonText.parse(lastLine)) {
                Map<?, ?> r = (Map<?, ?>) o;
                int[] g = {((Number) r.get("T")).intValue(), ((Number) r.get("N")).intValue(), ((Number) r.get("B")).intValue()};
                into.put(key(String.valueOf(r.get("model")), g), r);
            }
        } catch (RuntimeException e) {
            return "unreadable output of " + peerScript + ": " + e.getMessage();
        }
        return null;
    }

    /** Runs a command; its stdout, or null when it cannot start, fails or times out (stderr goes to ours). */
    private String exec(List<String> cmd, long timeoutSeconds) {
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
            p.getOutputStream().close();
            byte[][] outErr = new byte[2][];
            Thread reader = new Thread(() -> {
                try {
                    outErr[1] = p.getErrorStream().readAllBytes();
                } catch (IOException e) {
                    outErr[1] = new byte[0];
                }
            });
            reader.start();
            outErr[0] = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            reader.join();
            if (p.exitValue() != 0) {
                if (!cmd.contains("import torch")) {
                    err.print(new String(outErr[1], StandardCharsets.UTF_8));
                }
                return null;
            }
            return new String(outErr[0], StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The values as a JSON list, null for a non-finite one. */
    static List<Double> json(double[] v) {
        List<Double> l = new ArrayList<>();
        for (double x : v) {
            l.add(Double.isFinite(x) ? x : null);
        }
        return l;
    }

    static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }

    /** One row of results.json. */
    static Map<String, Object> row(String benchmark, Map<String, Object> config, String device, String card, String metric,
                                   Double value, String unit, String peer, Double peerValue, String command, String note) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("benchmark", benchmark);
        r.put("config", config);
        r.put("device", device);
        r.put("card", card);
        r.put("metric", metric);
        r.put("value", finite(value));
        r.put("unit", unit);
        r.put("peer", peer);
        r.put("peer_value", finite(peerValue));
        r.put("ratio", value != null && peerValue != null && peerValue != 0 ? finite(value / peerValue) : null);
        r.put("command", command);
        if (note != null) {
            r.put("note", note);
        }
        return r;
    }

    private static Double finite(Double v) {
        return v != null && Double.isFinite(v) ? v : null;
    }

    // ---- generated tables ----

    /** results.md: every row of results.json as a table, and the plots. */
    @SuppressWarnings("unchecked")
    static String markdown(Map<String, Object> results, List<String> pngs) {
        StringBuilder b = new StringBuilder();
        b.append("# roaf bench: suite ").append(results.get("suite")).append("\n\n");
        b.append("Generated by `roaf bench` from `results.json`; do not edit. ").append(results.get("description")).append(".\n\n");
        b.append("- date: ").append(results.get("date")).append("\n");
        b.append("- command: `").append(results.get("command")).append("`\n");
        b.append("- device: ").append(results.get("device")).append(" (").append(results.get("card")).append(")\n");
        b.append("- roaf ").append(results.get("roaf")).append(", Java ").append(results.get("java"))
                .append(", suite wall time ").append(results.get("wall_s")).append(" s\n\n");
        b.append("Ratio = value / peer value. Accuracy is on the whole test set after the last update; `step_time` is the"
                + " median time of one update (forward, backward, Adam); `wall_time` includes the evaluations.\n\n");
        b.append("| benchmark | config | device | card | metric | value | unit | peer | peer value | ratio | command |\n");
        b.append("| --- | --- | --- | --- | --- | ---: | --- | --- | ---: | ---: | --- |\n");
        for (Object o : (List<Object>) results.get("rows")) {
            Map<String, Object> r = (Map<String, Object>) o;
            b.append("| ").append(r.get("benchmark")).append(" | ").append(configText((Map<String, Object>) r.get("config")))
                    .append(" | ").append(r.get("device")).append(" | ").append(r.get("card")).append(" | ").append(r.get("metric"))
                    .append(" | ").append(r.get("value") == null ? String.valueOf(r.getOrDefault("note", "-")) : num(r.get("value")))
                    .append(" | ").append(r.get("unit")).append(" | ").append(r.get("peer") == null ? "-" : r.get("peer"))
                    .append(" | ").append(num(r.get("peer_value"))).append(" | ").append(num(r.get("ratio")))
                    .append(" | `").append(r.get("command")).append("` |\n");
        }
        if (pngs != null && !pngs.isEmpty()) {
            b.append("\n## Plots\n\n");
            for (String p : pngs) {
                b.append("![").append(p).append("](").append(p).append(")\n");
            }
        }
        return b.toString();
    }

    private static String configText(Map<String, Object> config) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Object> e : config.entrySet()) {
            if (e.getKey().equals("per_seed") || e.getKey().equals("train_command")) {
                continue;
            }
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(e.getKey()).append('=').append(e.getValue() instanceof Double d ? num(d) : e.getValue());
        }
        return b.toString().replace("|", "/");
    }

    private static String num(Object o) {
        if (!(o instanceof Number n)) {
            return "-";
        }
        double v = n.doubleValue();
        if (o instanceof Long) {
            return Long.toString(n.longValue());
        }
        return String.format(Locale.ROOT, "%.4g", v);
    }

    /**
     * headline.md: per training comparison and model, the final test metric, the time per update and
     * both relative to the comparison's peer; and, for a speed grid, roaf against PyTorch.
     */
    @SuppressWarnings("unchecked")
    static String headline(Map<String, Object> results) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Object o : (List<Object>) results.get("rows")) {
            rows.add((Map<String, Object>) o);
        }
        StringBuilder b = new StringBuilder();
        b.append("Suite `").append(results.get("suite")).append("`, ").append(results.get("date")).append(", ")
                .append(results.get("card")).append(", `").append(results.get("command")).append("` (")
                .append(results.get("wall_s")).append(" s; all rows: [results.md](").append(results.get("out"))
                .append("/results.md)):\n\n");
        boolean any = false;
        for (Map<String, Object> r : rows) {
            String metric = (String) r.get("metric");
            if (r.get("benchmark").toString().startsWith("speed") || !(metric.startsWith("test_"))) {
                continue;
            }
            if (!any) {
                b.append("| benchmark | model | updates | test result | vs peer | ms per update | vs peer |\n");
                b.append("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
                any = true;
            }
            Map<String, Object> c = (Map<String, Object>) r.get("config");
            Map<String, Object> time = find(rows, r.get("benchmark"), c.get("model"), "step_time");
            boolean acc = metric.equals("test_accuracy");
            String value = r.get("value") == null ? "-" : acc ? String.format(Locale.ROOT, "%.1f%%",
                    ((Number) r.get("value")).doubleValue() * 100) : "MSE " + num(r.get("value"));
            String peer = r.get("peer") == null ? "" : " " + r.get("peer");
            b.append("| ").append(r.get("benchmark")).append(" (").append(c.get("task")).append(", T=").append(c.get("T"))
                    .append(", N=").append(c.get("N")).append(", B=").append(c.get("B")).append(") | ").append(c.get("model"))
                    .append(" | ").append(c.get("updates")).append(" | ").append(value).append(" | ")
                    .append(r.get("ratio") == null ? "-" : String.format(Locale.ROOT, "%.2fx%s", ((Number) r.get("ratio")).doubleValue(), peer))
                    .append(" | ").append(time == null || time.get("value") == null ? "-" : String.format(Locale.ROOT, "%.1f",
                            ((Number) time.get("value")).doubleValue() * 1000)).append(" | ")
                    .append(time == null || time.get("ratio") == null ? "-" : String.format(Locale.ROOT, "%.2fx%s",
                            ((Number) time.get("ratio")).doubleValue(), peer)).append(" |\n");
        }
        boolean speed = false;
        for (Map<String, Object> r : rows) {
            if (!r.get("benchmark").equals("speed-peer")) {
                continue;
            }
            if (!speed) {
                if (any) {
                    b.append('\n');
                }
                b.append("| model | T | N | B | roaf ms per update | PyTorch ms per update | roaf / PyTorch |\n");
                b.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
                speed = true;
            }
            Map<String, Object> c = (Map<String, Object>) r.get("config");
            double roaf = ((Number) r.get("peer_value")).doubleValue();
            b.append("| ").append(c.get("model")).append(" | ").append(c.get("T")).append(" | ").append(c.get("N")).append(" | ")
                    .append(c.get("B")).append(" | ").append(String.format(Locale.ROOT, "%.2f", roaf * 1000)).append(" | ")
                    .append(r.get("value") == null ? "n/a" : String.format(Locale.ROOT, "%.2f",
                            ((Number) r.get("value")).doubleValue() * 1000)).append(" | ")
                    .append(r.get("value") == null ? "-" : String.format(Locale.ROOT, "%.2f",
                            roaf / ((Number) r.get("value")).doubleValue())).append(" |\n");
        }
        return b.toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> find(List<Map<String, Object>> rows, Object benchmark, Object model, String metric) {
        for (Map<String, Object> r : rows) {
            if (r.get("benchmark").equals(benchmark) && r.get("metric").equals(metric)
                    && ((Map<String, Object>) r.get("config")).get("model").equals(model)) {
                return r;
            }
        }
        return null;
    }

    // ---- plots ----

    /** Draws one PNG per training comparison (metric against updates and against wall-clock) and one for the speed grid. */
    @SuppressWarnings("unchecked")
    static List<String> plots(Map<String, Object> curves, Path dir) throws IOException {
        List<String> files = new ArrayList<>();
        for (Map.Entry<String, Object> e : curves.entrySet()) {
            Map<String, Object> c = (Map<String, Object>) e.getValue();
            Map<String, Object> series = (Map<String, Object>) c.get("series");
            String file = e.getKey() + ".png";
            if ("training".equals(c.get("kind"))) {
                String metric = (String) c.get("metric");
                boolean acc = metric.equals("test_accuracy");
                String y = acc ? "test accuracy" : "test loss (MSE)";
                Charts.Panel byUpdates = new Charts.Panel(y + " vs updates", "updates", y).logY(!acc);
                Charts.Panel byWall = new Charts.Panel(y + " vs wall-clock", "seconds (evaluations included)", y).logY(!acc);
                for (Map.Entry<String, Object> s : series.entrySet()) {
                    Map<String, Object> one = (Map<String, Object>) s.getValue();
                    double[] m = doubles(one.get(metric));
                    byUpdates.series(s.getKey(), doubles(one.get("updates")), m);
                    byWall.series(s.getKey(), doubles(one.get("wall_s")), m);
                }
                Charts.write(dir.resolve(file), 1200, 450, (String) c.get("title"), byUpdates, byWall);
            } else {
                List<Charts.Panel> panels = new ArrayList<>();
                for (Map.Entry<String, Object> p : series.entrySet()) {
                    Charts.Panel panel = new Charts.Panel(p.getKey(), "T (steps)", "ms per update").logY(true);
                    for (Map.Entry<String, Object> s : ((Map<String, Object>) p.getValue()).entrySet()) {
                        Map<String, Object> one = (Map<String, Object>) s.getValue();
                        panel.series(s.getKey(), doubles(one.get("T")), doubles(one.get("ms")));
                    }
                    panels.add(panel);
                }
                Charts.write(dir.resolve(file), 1200, panels.size() > 3 ? 900 : 450, (String) c.get("title"),
                        panels.toArray(new Charts.Panel[0]));
            }
            files.add(file);
        }
        return files;
    }

    private static double[] doubles(Object o) {
        if (o instanceof double[] d) {
            return d;
        }
        List<?> l = (List<?>) o;
        double[] d = new double[l.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = l.get(i) == null ? Double.NaN : ((Number) l.get(i)).doubleValue();
        }
        return d;
    }
}
