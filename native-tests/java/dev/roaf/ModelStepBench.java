package dev.roaf;

import dev.roaf.engine.cuda.CudaEngine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Times whole training updates (forward, backward, clipping off, Adam) through the public API, on the
 * shapes the issues' speed targets name, and writes them as JSON for {@code native-tests/ratios.py},
 * which sets them next to the PyTorch peers of {@code bench/peers/torch_step.py} timed in the same
 * gpu-check call.
 *
 * <p>Shapes: psMNIST (T = 784, one pixel per step, 10 classes) with N = 128, B = 100 for roaf-rnn, lstm
 * and rnn (issue 5: roaf-rnn at least 3x faster than cuDNN's LSTM, 30x faster than an eager PyTorch
 * ROAF-RNN); MNIST through a 50,000-layer roaf-mlp with N = 128, B = 128 and a signed permutation per
 * layer (issue 6: at most 100 ms per update on an H100, 20x faster than eager PyTorch). Each update is
 * timed from the trainer's step events (its clock is read after the loss came back to the host, so a
 * GPU step is complete); the batch assembly and upload count, as they do for a user.
 *
 * <p>Usage: {@code ModelStepBench --device cuda --out roaf-steps.json} (the GPU check), or
 * {@code --device cpu --small} for a smoke test of this code on a machine without a GPU (tiny shapes).
 */
public final class ModelStepBench {
    private record Config(String model, String task, int steps, int depth, int hidden, int batch, boolean prefetch,
                          boolean graphs, boolean optIn) {
        Config(String model, String task, int steps, int depth, int hidden, int batch) {
            this(model, task, steps, depth, hidden, batch, true, false, false);
        }

        Config(String model, String task, int steps, int depth, int hidden, int batch, boolean prefetch) {
            this(model, task, steps, depth, hidden, batch, prefetch, false, false);
        }

        Config(String model, String task, int steps, int depth, int hidden, int batch, boolean prefetch, boolean graphs) {
            this(model, task, steps, depth, hidden, batch, prefetch, graphs, false);
        }
    }

    private ModelStepBench() {
    }

    public static void main(String[] args) throws IOException {
        String device = "cuda";
        Path out = Path.of("roaf-steps.json");
        boolean small = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--device" -> device = args[++i];
                case "--out" -> out = Path.of(args[++i]);
                case "--small" -> small = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (ModelStepBench [--device cuda|cpu] [--out file.json] [--small])");
            }
        }
        Device dev = Device.parse(device, 0);
        List<Config> configs = small
                ? List.of(new Config("roaf-rnn", "psmnist", 784, 0, 16, 4), new Config("lstm", "psmnist", 784, 0, 16, 4),
                new Config("rnn", "psmnist", 784, 0, 16, 4), new Config("roaf-mlp", "mnist", 0, 100, 16, 8),
                new Config("roaf-rnn", "adding", 2_000, 0, 16, 8), new Config("roaf-rnn", "adding", 2_000, 0, 16, 8, false))
                : List.of(new Config("roaf-rnn", "psmnist", 784, 0, 128, 100), new Config("lstm", "psmnist", 784, 0, 128, 100),
                // the LSTM's per-step sweeps replayed as CUDA graphs (-Droaf.cuda.graphs=true, off by default until verified)
                new Config("lstm", "psmnist", 784, 0, 128, 100, true, true),
                new Config("rnn", "psmnist", 784, 0, 128, 100),
                // the opt-in kernels not yet timed on a GPU: fixed-layout recurrences, the roaf_gemm2 tiles, the thin
                // products (input projection and its gradient) and the persistent LSTM sweeps
                new Config("roaf-rnn", "psmnist", 784, 0, 128, 100, true, false, true),
                new Config("lstm", "psmnist", 784, 0, 128, 100, true, false, true),
                new Config("roaf-mlp", "mnist", 0, 50_000, 128, 128),
                // issue 5: T = 10,000 trains, per step within 1.5x of T = 784; the batch (drawn on the host, 10 MB)
                // is drawn ahead by the trainer while the step runs: timed with and without that
                new Config("roaf-rnn", "adding", 10_000, 0, 256, 128), new Config("roaf-rnn", "adding", 10_000, 0, 256, 128, false),
                // the opt-in fixed-layout stack kernels on the 50,000-layer step (last: the slowest row to set up)
                new Config("roaf-mlp", "mnist", 0, 50_000, 128, 128, true, false, true));
        int warmup = small ? 1 : 3, timed = small ? 2 : 7, profiled = small ? 1 : 3;
        List<Object> rows = new ArrayList<>();
        for (Config c : configs) {
            rows.add(time(c, dev, warmup, timed, profiled));
            Files.writeString(out, JsonText.pretty(rows)); // written after each config: a timeout keeps what finished
        }
        System.out.println("ModelStepBench: " + rows.size() + " configurations written to " + out);
    }

    /**
     * Times {@code timed} updates after {@code warmup}; on a CUDA engine {@code profiled} more updates then run
     * with the engine's per-operation profile (CudaEngine.startProfile), so its overhead is in no timed update.
     */
    private static Map<String, Object> time(Config c, Device dev, int warmup, int timed, int profiled) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("engine", "roaf " + Version.VERSION);
        row.put("model", c.model());
        row.put("task", c.task());
        if (c.steps() > 0) {
            row.put("T", c.steps());
        } else {
            row.put("L", c.depth());
        }
        row.put("N", c.hidden());
        row.put("B", c.batch());
        row.put("device", dev.name());
        row.put("prefetch", c.prefetch());
        if (!c.prefetch()) {
            System.setProperty("roaf.prefetch", "false");
        }
        // Read when the CUDA engine opens: set for every row, so that a graphs or opt-in row leaves no trace in the next.
        System.setProperty("roaf.cuda.graphs", String.valueOf(c.graphs()));
        System.setProperty("roaf.cuda.fixedRecurrence", String.valueOf(c.optIn()));
        System.setProperty("roaf.cuda.gemm2", String.valueOf(c.optIn()));
        System.setProperty("roaf.cuda.thinGemm", String.valueOf(c.optIn()));
        System.setProperty("roaf.cuda.persistentLstm", String.valueOf(c.optIn()));
        System.setProperty("roaf.cuda.fixedStack", String.valueOf(c.optIn()));
        if (c.graphs()) {
            row.put("graphs", true);
        }
        if (c.optIn()) {
            row.put("opt_in_kernels", true);
        }
        try {
            Dataset data = c.task().equals("adding")
                    ? Datasets.builtIn(c.task(), Datasets.Options.defaults().withLength(c.steps())) : Datasets.builtIn(c.task());
            ModelBuilder b = Model.builder(ModelFamily.parse(c.model())).setShapeFrom(data).setHiddenSize(c.hidden())
                    .optSeed(1).optDevice(dev);
            if (c.depth() > 0) {
                // 50,000 layers at N = 128 are 819 million weights: drawn where they live, not on the host and copied
                b.setDepth(c.depth()).optFilter(FilterType.PERMUTATION).optInitOnDevice(true);
            }
            long t0 = System.nanoTime();
            try (Model model = b.build()) {
                row.put("build_s", (System.nanoTime() - t0) / 1e9);
                List<Double> ends = new ArrayList<>();
                List<Double> losses = new ArrayList<>();
                CudaEngine cuda = model.internal().engine() instanceof CudaEngine ce ? ce : null;
                int extra = cuda != null ? profiled : 0;
                // The profile stops at the last update's event, before fit() ends with its evaluation of the test set
                // (whose forward passes would otherwise count as the updates').
                List<List<CudaEngine.OpTime>> profile = new ArrayList<>();
                Trainer.builder(model, data).setSteps(warmup + timed + extra).optBatchSize(c.batch()).optEvaluateEvery(0)
                        .addListener(new TrainingListener() {
                            @Override
                            public void onStep(StepEvent e) {
                                ends.add(e.wallSeconds());
                                losses.add(e.loss());
                                if (cuda != null && ends.size() == warmup + timed) {
                                    cuda.startProfile();
                                }
                                if (cuda != null && ends.size() == warmup + timed + extra) {
                                    profile.add(cuda.stopProfile());
                                }
                            }
                        }).build().fit();
                if (cuda != null) {
                    List<CudaEngine.OpTime> ops = profile.get(0);
                    row.put("profile", profileRows(ops, extra));
                    double sum = ops.stream().mapToDouble(CudaEngine.OpTime::milliseconds).sum() / extra;
                    double wall = (ends.get(ends.size() - 1) - ends.get(warmup + timed - 1)) * 1e3 / extra;
                    row.put("profile_ms_per_update", wall);
                    row.put("profile_ops_ms_per_update", sum);
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                            "ModelStepBench: %s %s profile, per update: %.3f ms wall (profiled), %.3f ms in operations:", c.model(),
                            c.task(), wall, sum));
                    for (CudaEngine.OpTime op : ops) {
                        line.append(String.format(Locale.ROOT, " %s %.3f (x%.0f);", op.op(), op.milliseconds() / extra,
                                (double) op.calls() / extra));
                    }
                    System.out.println(line);
                }
                double[] dt = new double[timed];
                for (int i = 0; i < timed; i++) {
                    dt[i] = ends.get(warmup + i) - ends.get(warmup + i - 1);
                }
                List<Double> all = new ArrayList<>();
                for (double d : dt) {
                    all.add(d);
                }
                Arrays.sort(dt);
                row.put("step_s", dt[timed / 2]);
                row.put("step_s_all", all);
                row.put("warmup", warmup);
                row.put("loss", losses.get(losses.size() - 1));
                row.put("card", model.device().name());
            }
            System.out.println(String.format(Locale.ROOT, "ModelStepBench: %s on %s (%s N=%d B=%d%s): %.3f ms per update",
                    c.model(), c.task(), c.steps() > 0 ? "T=" + c.steps() : "L=" + c.depth(), c.hidden(), c.batch(),
                    (c.prefetch() ? "" : ", batches drawn on the training thread") + (c.graphs() ? ", CUDA graphs" : ""),
                    (double) row.get("step_s") * 1e3));
        } catch (RuntimeException | OutOfMemoryError e) { // one failing shape does not lose the others
            row.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
            System.out.println("ModelStepBench: " + c.model() + " failed: " + row.get("error"));
        } finally {
            System.clearProperty("roaf.prefetch");
            System.clearProperty("roaf.cuda.graphs");
        }
        return row;
    }

    /** The profile as JSON rows, per update: operation, calls, milliseconds. */
    private static List<Object> profileRows(List<CudaEngine.OpTime> ops, int updates) {
        List<Object> out = new ArrayList<>();
        for (CudaEngine.OpTime op : ops) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("op", op.op());
            r.put("calls_per_update", (double) op.calls() / updates);
            r.put("ms_per_update", op.milliseconds() / updates);
            out.add(r);
        }
        return out;
    }
}
