package dev.roaf.train;

import dev.roaf.engine.DType;
import dev.roaf.engine.Engine;
import dev.roaf.engine.Tensor;
import dev.roaf.io.InvalidFileException;
import dev.roaf.io.Safetensors;
import dev.roaf.io.SafetensorsFile;
import dev.roaf.io.TensorData;
import dev.roaf.model.Model;
import dev.roaf.model.StepStats;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a training run needs to continue bit for bit after step {@link #step()}: the model's
 * parameters and buffers, the optimizer's state and step count, the evaluations so far (the lines of
 * {@code metrics.jsonl}), the per-step losses (for {@code curves.png}), the training statistics since
 * the last evaluation, the count of skipped steps and the wall time used. The position in the data
 * follows from the step, because {@link dev.roaf.data.Task#trainBatch} is a pure function of
 * (seed, index, batch).
 *
 * <p>Stored as one safetensors file: the model's tensors under their usual names, the optimizer's as
 * {@code optimizer.<name>} (F32), {@code train.evals} (F64 [k, 10]), {@code train.history} (F64 [n, 5]:
 * step, loss, accuracy, gradient norm, wall seconds; files from before the last two columns, [n, 3], still
 * load, with those two unknown), {@code train.window} (F64 [4]); scalars and the caller's extra entries (such as
 * the command-line options) in {@code __metadata__}. {@link #write} is atomic (temporary file, fsync,
 * rename), so the previous checkpoint survives a crash at any moment.
 */
public final class Checkpoint {
    /** The file name the command line uses inside a run folder. */
    public static final String FILE_NAME = "checkpoint.safetensors";
    /** The value of {@code __metadata__.checkpoint}. */
    public static final String FORMAT = "roaf-checkpoint-1";
    private static final String OPT = "optimizer.";
    private static final String EVALS = "train.evals";
    private static final String HISTORY = "train.history";
    private static final String WINDOW = "train.window";
    private static final int EVAL_FIELDS = 10;
    /** Numbers per step in {@link #history()}: step, loss, accuracy, gradient norm, wall seconds. */
    static final int HISTORY_FIELDS = 5;

    private final long step;
    private final int optimizerSteps;
    private final long skippedSteps;
    private final double wallSeconds;
    private final StepStats window;
    private final List<EvalRecord> evals;
    private final double[] history;
    private final Map<String, TensorData> modelTensors;
    private final Map<String, float[]> optimizerState;
    private final Map<String, String> metadata;

    Checkpoint(long step, int optimizerSteps, long skippedSteps, double wallSeconds, StepStats window,
               List<EvalRecord> evals, double[] history, Map<String, TensorData> modelTensors,
               Map<String, float[]> optimizerState, Map<String, String> metadata) {
        this.step = step;
        this.optimizerSteps = optimizerSteps;
        this.skippedSteps = skippedSteps;
        this.wallSeconds = wallSeconds;
        this.window = window;
        this.evals = List.copyOf(evals);
        this.history = history;
        this.modelTensors = Collections.unmodifiableMap(new LinkedHashMap<>(modelTensors));
        this.optimizerState = Collections.unmodifiableMap(new LinkedHashMap<>(optimizerState));
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** Steps completed (skipped ones included); training continues at {@code step() + 1}. */
    public long step() {
        return step;
    }

    /** Updates the optimizer has applied (fewer than {@link #step()} when steps were skipped). */
    public int optimizerSteps() {
        return optimizerSteps;
    }

    /** Steps skipped for a non-finite loss or gradient. */
    public long skippedSteps() {
        return skippedSteps;
    }

    /** Training time used before the checkpoint, in seconds. */
    public double wallSeconds() {
        return wallSeconds;
    }

    /** Training statistics accumulated since the last evaluation. */
    public StepStats window() {
        return window;
    }

    /** Every evaluation up to {@link #step()}, in order. */
    public List<EvalRecord> evaluations() {
        return evals;
    }

    /** Per-step (step, loss, accuracy, gradient norm, wall seconds) of every applied step, flattened. */
    double[] history() {
        return history;
    }

    /** The optimizer's state tensors by name. */
    public Map<String, float[]> optimizerState() {
        return optimizerState;
    }

    /** The model's parameters and buffers by safetensors name. */
    public Map<String, TensorData> modelTensors() {
        return modelTensors;
    }

    /** The {@code __metadata__} strings, including the caller's extra entries. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Writes the checkpoint to {@code file} atomically; the previous content survives any crash. */
    public void write(Path file) throws IOException {
        Map<String, TensorData> tensors = new LinkedHashMap<>(modelTensors);
        for (Map.Entry<String, float[]> e : optimizerState.entrySet()) {
            tensors.put(OPT + e.getKey(), TensorData.f32(e.getValue(), e.getValue().length));
        }
        double[] ev = new double[evals.size() * EVAL_FIELDS];
        for (int i = 0; i < evals.size(); i++) {
            EvalRecord r = evals.get(i);
            double[] row = {r.step(), r.epoch(), r.examples(), r.trainLoss(), r.trainAcc(), r.testLoss(), r.testAcc(),
                    r.testExamples(), r.wallSeconds(), r.skippedSteps()};
            System.arraycopy(row, 0, ev, i * EVAL_FIELDS, EVAL_FIELDS);
        }
        tensors.put(EVALS, TensorData.f64(ev, evals.size(), EVAL_FIELDS));
        tensors.put(HISTORY, TensorData.f64(history, history.length / HISTORY_FIELDS, HISTORY_FIELDS));
        tensors.put(WINDOW, TensorData.f64(new double[]{window.lossSum(), window.lossCount(), window.correct(),
                window.scored()}, 4));
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("checkpoint", FORMAT);
        meta.put("step", Long.toString(step));
        meta.put("optimizer_steps", Integer.toString(optimizerSteps));
        meta.put("skipped_steps", Long.toString(skippedSteps));
        meta.put("wall_s", Double.toString(wallSeconds));
        Safetensors.write(file, tensors, meta);
    }

    /**
     * Reads and validates a checkpoint.
     *
     * @throws InvalidFileException if the file is not a valid roaf checkpoint (the message names the file)
     * @throws IOException          if it cannot be read
     */
    public static Checkpoint read(Path file) throws IOException {
        SafetensorsFile f = Safetensors.read(file);
        Map<String, String> meta = f.metadata();
        if (!FORMAT.equals(meta.get("checkpoint"))) {
            throw new InvalidFileException(file, "expected a roaf checkpoint (__metadata__ checkpoint=" + FORMAT + "), found "
                    + (meta.containsKey("checkpoint") ? "checkpoint=" + meta.get("checkpoint") : "none"));
        }
        long step = longMeta(file, meta, "step", 0, Long.MAX_VALUE);
        int optSteps = (int) longMeta(file, meta, "optimizer_steps", 0, Integer.MAX_VALUE);
        long skipped = longMeta(file, meta, "skipped_steps", 0, step);
        double wall;
        try {
            wall = Double.parseDouble(meta.getOrDefault("wall_s", "?"));
        } catch (NumberFormatException e) {
            throw new InvalidFileException(file, "__metadata__ wall_s: expected a number, found " + meta.get("wall_s"));
        }
        Map<String, TensorData> model = new LinkedHashMap<>();
        Map<String, float[]> opt = new LinkedHashMap<>();
        TensorData ev = null, hist = null, win = null;
        for (Map.Entry<String, TensorData> e : f.tensors().entrySet()) {
            String name = e.getKey();
            TensorData t = e.getValue();
            if (name.startsWith(OPT)) {
                if (!TensorData.F32.equals(t.dtype()) || t.shape().length != 1) {
                    throw new InvalidFileException(file, "tensor " + name + ": expected F32 of rank 1, found " + t);
                }
                opt.put(name.substring(OPT.length()), t.floats());
            } else if (name.equals(EVALS)) {
                ev = requireF64(file, name, t, EVAL_FIELDS);
            } else if (name.equals(HISTORY)) {
                hist = t.shape().length == 2 && t.shape()[1] == 3 ? requireF64(file, name, t, 3)
                        : requireF64(file, name, t, HISTORY_FIELDS);
            } else if (name.equals(WINDOW)) {
                win = requireF64(file, name, t, -1);
                if (win.size() != 4) {
                    throw new InvalidFileException(file, "tensor " + name + ": expected F64[4], found " + t);
                }
            } else if (name.startsWith("train.")) {
                throw new InvalidFileException(file, "unexpected tensor " + name);
            } else {
                model.put(name, t);
            }
        }
        if (ev == null || hist == null || win == null) {
            throw new InvalidFileException(file, "expected tensors " + EVALS + ", " + HISTORY + " and " + WINDOW
                    + ", found " + f.tensors().keySet());
        }
        double[] e = ev.doubles();
        List<EvalRecord> evals = new ArrayList<>();
        for (int i = 0; i < e.length / EVAL_FIELDS; i++) {
            int o = i * EVAL_FIELDS;
            evals.add(new EvalRecord((long) e[o], e[o + 1], (long) e[o + 2], e[o + 3], e[o + 4], e[o + 5], e[o + 6],
                    (long) e[o + 7], e[o + 8], (long) e[o + 9]));
        }
        double[] w = win.doubles();
        StepStats window = new StepStats(w[0], (long) w[1], (long) w[2], (long) w[3]);
        Map<String, String> extra = new LinkedHashMap<>(meta);
        return new Checkpoint(step, optSteps, skipped, wall, window, evals, historyRows(hist), model, opt, extra);
    }

    /** The history with {@link #HISTORY_FIELDS} numbers per step; older [n, 3] files get NaN for the gradient norm and wall time. */
    private static double[] historyRows(TensorData hist) {
        double[] h = hist.doubles();
        int cols = (int) hist.shape()[1];
        if (cols == HISTORY_FIELDS) {
            return h;
        }
        int n = h.length / cols;
        double[] rows = new double[n * HISTORY_FIELDS];
        java.util.Arrays.fill(rows, Double.NaN);
        for (int i = 0; i < n; i++) {
            System.arraycopy(h, i * cols, rows, i * HISTORY_FIELDS, cols);
        }
        return rows;
    }

    private static TensorData requireF64(Path file, String name, TensorData t, int cols) {
        long[] s = t.shape();
        boolean ok = TensorData.F64.equals(t.dtype()) && (cols < 0 ? s.length == 1 : s.length == 2 && s[1] == cols);
        if (!ok) {
            throw new InvalidFileException(file, "tensor " + name + ": expected F64" + (cols < 0 ? "[n]" : "[n, " + cols + "]")
                    + ", found " + t);
        }
        return t;
    }

    private static long longMeta(Path file, Map<String, String> meta, String key, long min, long max) {
        String v = meta.get(key);
        try {
            long x = Long.parseLong(v);
            if (x >= min && x <= max) {
                return x;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidFileException(file, "__metadata__ " + key + ": expected an integer in [" + min + ", " + max
                + "], found " + v);
    }

    /**
     * Copies the checkpoint's parameters and buffers into {@code model}, which must have exactly the
     * same tensors and shapes.
     *
     * @throws InvalidFileException naming {@code source} if a tensor is missing, extra or of another shape
     */
    public void restoreModel(Model model, String source) {
        Engine engine = model.engine();
        for (Map.Entry<String, String> e : model.metadata(null).entrySet()) {
            String v = metadata.get(e.getKey());
            if (v != null && !v.equals(e.getValue())) {
                throw new InvalidFileException(Path.of(source), "the checkpoint is of a model with " + e.getKey() + "=" + v
                        + ", but the run's options give " + e.getKey() + "=" + e.getValue());
            }
        }
        Map<String, Tensor> all = new LinkedHashMap<>(model.parameters().params());
        all.putAll(model.parameters().buffers());
        if (!all.keySet().equals(modelTensors.keySet())) {
            throw new InvalidFileException(Path.of(source), "expected the tensors " + all.keySet() + " of a "
                    + model.config().kind() + " model, found " + modelTensors.keySet());
        }
        for (Map.Entry<String, Tensor> e : all.entrySet()) {
            Tensor t = e.getValue();
            TensorData d = modelTensors.get(e.getKey());
            long[] want = Arrays.stream(t.shape()).asLongStream().toArray();
            if (!Arrays.equals(want, d.shape())) {
                throw new InvalidFileException(Path.of(source), "tensor " + e.getKey() + ": expected shape "
                        + Arrays.toString(want) + ", found " + Arrays.toString(d.shape()));
            }
            if (t.dtype() == DType.I32) {
                if (!TensorData.I64.equals(d.dtype())) {
                    throw new InvalidFileException(Path.of(source), "tensor " + e.getKey() + ": expected I64, found " + d.dtype());
                }
                long[] l = d.longs();
                int n = t.dim(-1);
                int[] v = new int[l.length];
                for (int i = 0; i < l.length; i++) {
                    if (l[i] < 0 || l[i] >= n) {
                        throw new InvalidFileException(Path.of(source), "tensor " + e.getKey() + ": index " + l[i]
                                + " outside [0," + n + ")");
                    }
                    v[i] = (int) l[i];
                }
                engine.upload(v, t);
            } else {
                if (!TensorData.F32.equals(d.dtype())) {
                    throw new InvalidFileException(Path.of(source), "tensor " + e.getKey() + ": expected F32, found " + d.dtype());
                }
                engine.upload(d.floats(), t);
            }
        }
    }
}
