package dev.roaf.model;

import dev.roaf.data.Batch;
import dev.roaf.engine.DType;
import dev.roaf.engine.Engine;
import dev.roaf.engine.Filter;
import dev.roaf.engine.Tensor;
import dev.roaf.io.InvalidFileException;
import dev.roaf.io.Safetensors;
import dev.roaf.io.SafetensorsFile;
import dev.roaf.io.TensorData;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * A trainable model on one engine: it owns its parameters and workspace and calls the engine's
 * fused operations; it never branches on the device.
 *
 * <p>Subclasses implement the network body; this class holds what they share: the linear head and
 * its loss (softmax cross-entropy or squared error, averaged over the batch), workspace tensors
 * reused across batches of the same shape, and safetensors save/load with PyTorch's names and
 * layouts. Not thread-safe: one thread at a time. Closing releases all memory; a closed model
 * throws {@link IllegalStateException} when used.
 */
public abstract class Model implements AutoCloseable {
    protected final Engine engine;
    protected final ModelConfig config;
    protected final Parameters params;
    private final Map<String, Tensor> workspace = new HashMap<>();
    private boolean closed;

    protected Model(Engine engine, ModelConfig config, Parameters.Layout layout) {
        this.engine = engine;
        this.config = config;
        this.params = new Parameters(engine, layout);
    }

    /**
     * A new model with freshly drawn parameters.
     *
     * @param seed seeds every random draw of the initialisation (weights and filters)
     */
    public static Model create(Engine engine, ModelConfig config, long seed) {
        return create(engine, config, seed, false);
    }

    /**
     * A new model with freshly drawn parameters; with {@code drawOnEngine} the weight and bias draws
     * are made by the engine where the parameters live ({@link Engine#randomNormal}: cuRAND on a GPU),
     * with no host copy, which is what a very large model needs. The values then depend on the engine
     * kind; the filters are drawn on the host either way.
     */
    public static Model create(Engine engine, ModelConfig config, long seed, boolean drawOnEngine) {
        Model m = allocate(engine, config);
        m.drawOnEngine = drawOnEngine;
        try {
            m.initialize(seed);
            return m;
        } catch (RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    /** Loads a model saved by {@link #save}: the configuration comes from the file's metadata. */
    public static Model load(Engine engine, Path file) throws IOException {
        SafetensorsFile f = Safetensors.read(file);
        ModelConfig config;
        try {
            config = ModelConfig.fromMetadata(f.metadata());
        } catch (IllegalArgumentException e) {
            throw new InvalidFileException(file, e.getMessage());
        }
        Model m = allocate(engine, config);
        try {
            m.loadTensors(f, file.toString());
            return m;
        } catch (RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    private static Model allocate(Engine engine, ModelConfig config) {
        return switch (config.kind()) {
            case ROAF_RNN, RNN -> new RecurrentModel(engine, config);
            case LSTM -> new LstmModel(engine, config);
            case ROAF_MLP, MLP, RESMLP -> new MlpModel(engine, config);
        };
    }

    /** Whether {@link #initUniform} and {@link #initNormal} draw with the engine (set by {@link #create}). */
    private boolean drawOnEngine;

    /** Draws every parameter and buffer from streams seeded by {@code seed}. */
    protected abstract void initialize(long seed);

    /**
     * Forward pass, loss and full backward pass on one batch: writes the gradient of the mean loss
     * into {@link Parameters#grads()} (overwriting it).
     */
    public abstract StepStats forwardBackward(Batch batch);

    /**
     * Forward pass and loss without gradients.
     *
     * @param predictions if not null, receives the arg-max class per labelled row (length B, or T*B
     *                    for per-step heads); ignored for regression
     */
    public abstract StepStats evaluate(Batch batch, int[] predictions);

    /**
     * Outputs for a batch: logits {@code [B,C]} (or {@code [T,B,C]} time-major for per-step heads), or
     * regression outputs {@code [B,C]}. The batch's targets are not read.
     */
    public abstract float[] predict(Batch batch);

    /** The configuration. */
    public ModelConfig config() {
        return config;
    }

    /** The parameters and fixed buffers. */
    public Parameters parameters() {
        return params;
    }

    /** The engine this model lives on. */
    public Engine engine() {
        return engine;
    }

    // ------------------------------------------------------------------------------ workspace

    /** A workspace tensor reused while its shape stays the same (batch and sequence sizes rarely change). */
    protected Tensor ws(String name, DType dtype, int... shape) {
        checkOpen();
        Tensor t = workspace.get(name);
        if (t != null && t.dtype() == dtype && Arrays.equals(t.shape(), shape)) {
            return t;
        }
        if (t != null) {
            t.close();
            workspace.remove(name);
        }
        t = engine.zeros(dtype, shape);
        workspace.put(name, t);
        return t;
    }

    protected Tensor ws(String name, int... shape) {
        return ws(name, DType.F32, shape);
    }

    /** Releases workspace memory (it is re-allocated on the next batch). */
    public void trimWorkspace() {
        workspace.values().forEach(Tensor::close);
        workspace.clear();
    }

    protected void checkOpen() {
        if (closed) {
            throw new IllegalStateException("model " + config.kind() + " was used after close()");
        }
    }

    protected void checkBatch(Batch batch) {
        checkOpen();
        if (batch.features != config.inputSize()) {
            throw new IllegalArgumentException("batch has " + batch.features + " input features, the model expects "
                    + config.inputSize());
        }
        if (batch.outputs != config.outputs()) {
            throw new IllegalArgumentException("batch has " + batch.outputs + " outputs, the model has " + config.outputs());
        }
        if (config.kind().recurrent() != (batch.steps > 0)) {
            throw new IllegalArgumentException(config.kind() + (config.kind().recurrent()
                    ? " reads sequences, but the batch holds vectors" : " reads vectors, but the batch holds sequences"));
        }
        boolean perStep = batch.target == Batch.Target.CLASS_PER_STEP;
        if (perStep != config.headEveryStep()) {
            throw new IllegalArgumentException(perStep ? "the batch has per-step labels but the model reads out at the last step only"
                    : "the model reads out at every step but the batch has one target per sequence");
        }
    }

    // ----------------------------------------------------------------------------------- head

    /**
     * The linear head and its loss on {@code hidden} ({@code [M,N]}; M = B, or T*B for per-step
     * heads). When {@code gHidden} is not null, also the backward pass: head gradients and
     * {@code gHidden = dLoss/dhidden}.
     */
    protected StepStats head(Tensor hidden, Batch batch, Tensor gHidden, int[] predictions) {
        return headRows(hidden, batch, 0, lossCount(batch), hidden.rows(), false, gHidden, predictions);
    }

    /**
     * The number of items the batch's mean loss divides by: the labelled rows (label &gt;= 0), or the
     * examples of a regression batch.
     */
    protected static long lossCount(Batch batch) {
        if (batch.target == Batch.Target.REGRESSION) {
            return batch.size;
        }
        long count = 0;
        for (int label : batch.labels) {
            if (label >= 0) {
                count++;
            }
        }
        return count;
    }

    /**
     * {@link #head} on some of the batch's rows, so that a per-step head can be run one stretch of
     * steps at a time: {@code hidden} holds rows {@code [firstRow, firstRow + M)} of the batch's
     * targets, the loss gradient is scaled by {@code 1 / lossCount} (the whole batch's count, so the
     * stretches add up to the batch mean), and the returned stats cover these rows only.
     *
     * @param capacityRows    the rows the head's workspace is allocated for (at least M), so that
     *                        stretches of different lengths share it
     * @param accumulateGrads add the head's weight and bias gradients to the stored ones instead of
     *                        overwriting them
     */
    protected StepStats headRows(Tensor hidden, Batch batch, int firstRow, long lossCount, int capacityRows,
                                 boolean accumulateGrads, Tensor gHidden, int[] predictions) {
        int m = hidden.rows();
        int c = config.outputs();
        Tensor w = params.param("head.weight"), b = params.param("head.bias");
        Tensor logits = ws("head.logits", capacityRows, c).slice(0, m);
        engine.gemm(false, true, 1f, hidden, w, 0f, logits);
        engine.addRowVector(logits, b);
        float gradScale = lossCount == 0 ? 0f : 1f / lossCount;
        double lossSum;
        long count, correct = 0, scored = 0;
        if (batch.target == Batch.Target.REGRESSION) {
            Tensor target = ws("head.target", capacityRows, c).slice(0, m);
            engine.upload(rows(batch.targets, firstRow * c, m * c), target);
            count = m;
            lossSum = engine.squaredError(logits, target, gradScale, gHidden == null ? null : logits);
        } else {
            int[] labels = rows(batch.labels, firstRow, m);
            Tensor y = ws("head.labels", DType.I32, capacityRows).slice(0, m);
            engine.upload(labels, y);
            count = 0;
            for (int label : labels) {
                if (label >= 0) {
                    count++;
                }
            }
            Tensor pred = ws("head.pred", DType.I32, capacityRows).slice(0, m);
            lossSum = engine.softmaxCrossEntropy(logits, y, gradScale, gHidden == null ? null : logits, pred);
            int[] p = predictions != null && predictions.length == m ? predictions : new int[m];
            engine.download(pred, p);
            boolean perStep = batch.target == Batch.Target.CLASS_PER_STEP;
            for (int i = 0; i < m; i++) {
                int label = labels[i];
                if (perStep ? label > 0 : label >= 0) {
                    scored++;
                    if (p[i] == label) {
                        correct++;
                    }
                }
            }
        }
        if (gHidden != null) {
            // logits now holds dLoss/dlogits.
            float keep = accumulateGrads ? 1f : 0f;
            engine.gemm(true, false, 1f, logits, hidden, keep, params.grad("head.weight"));
            engine.sumRows(logits, keep, params.grad("head.bias"));
            engine.gemm(false, false, 1f, logits, w, 0f, gHidden);
        }
        return new StepStats(lossSum, count, correct, scored);
    }

    /** {@code length} elements of {@code all} from {@code from}: the array itself when that is all of it. */
    private static int[] rows(int[] all, int from, int length) {
        return from == 0 && length == all.length ? all : Arrays.copyOfRange(all, from, from + length);
    }

    private static float[] rows(float[] all, int from, int length) {
        return from == 0 && length == all.length ? all : Arrays.copyOfRange(all, from, from + length);
    }

    /** Head outputs only (no loss): logits or regression outputs for {@code hidden} ({@code [M,N]}). */
    protected float[] headOutputs(Tensor hidden) {
        Tensor logits = ws("head.logits", hidden.rows(), config.outputs());
        engine.gemm(false, true, 1f, hidden, params.param("head.weight"), 0f, logits);
        engine.addRowVector(logits, params.param("head.bias"));
        return engine.toHost(logits);
    }

    // ------------------------------------------------------------------------- initialisation

    /** Uploads {@code n} draws of U(-bound, bound) into parameter {@code name}. */
    protected void initUniform(long seed, String name, double bound) {
        Tensor t = params.param(name);
        if (drawOnEngine) {
            engine.randomUniform(t, (float) -bound, (float) bound, Init.stream(seed, name, 0).nextLong());
            return;
        }
        float[] v = new float[(int) t.size()];
        Init.uniform(Init.stream(seed, name, 0), v, bound);
        engine.upload(v, t);
    }

    /** Uploads N(0, std^2) draws into parameter {@code name}, each leading-dimension slice from its own stream. */
    protected void initNormal(long seed, String name, double std) {
        Tensor t = params.param(name);
        if (drawOnEngine) {
            engine.randomNormal(t, 0f, (float) std, Init.stream(seed, name, 0).nextLong());
            return;
        }
        int slices = t.rank() == 3 ? t.dim(0) : 1;
        int per = (int) (t.size() / slices);
        float[] v = new float[(int) t.size()];
        java.util.stream.IntStream.range(0, slices).parallel().forEach(l -> {
            SplittableRandom rng = Init.stream(seed, name, l);
            for (int i = 0; i < per; i++) {
                v[l * per + i] = (float) (rng.nextGaussian() * std);
            }
        });
        engine.upload(v, t);
    }

    /**
     * Draws the filter buffers: {@code prefix + "O"} dense ({@code [L,N,N]} or {@code [N,N]}), or
     * {@code prefix + "O_index"} / {@code prefix + "O_sign"} for permutations. Layers are drawn in
     * parallel from independent streams.
     */
    protected void initFilter(long seed, String prefix) {
        int n = config.hidden();
        FilterKind kind = config.filter();
        if (kind == FilterKind.PERMUTATION) {
            Tensor idx = params.buffer(prefix + "O_index"), sgn = params.buffer(prefix + "O_sign");
            int layers = idx.rank() == 2 ? idx.dim(0) : 1;
            int[] index = new int[(int) idx.size()];
            float[] sign = new float[(int) sgn.size()];
            java.util.stream.IntStream.range(0, layers).parallel().forEach(l ->
                    Init.signedPermutation(Init.stream(seed, prefix + "O", l), n, index, sign, l * n));
            engine.upload(index, idx);
            engine.upload(sign, sgn);
        } else {
            Tensor o = params.buffer(prefix + "O");
            int layers = o.rank() == 3 ? o.dim(0) : 1;
            float[] v = new float[(int) o.size()];
            java.util.stream.IntStream.range(0, layers).parallel().forEach(l ->
                    Init.haar(Init.stream(seed, prefix + "O", l), n, v, l * n * n));
            engine.upload(v, o);
        }
    }

    /** The engine operand for the filter buffers under {@code prefix}. */
    protected Filter filterOperand(String prefix) {
        if (config.filter() == FilterKind.PERMUTATION) {
            return Filter.signedPermutation(params.buffer(prefix + "O_index"), params.buffer(prefix + "O_sign"));
        }
        return Filter.dense(params.buffer(prefix + "O"));
    }

    /** Adds the filter buffers under {@code prefix} to a layout: per layer when {@code layers > 0}. */
    protected static void layoutFilter(Parameters.Layout layout, ModelConfig config, String prefix, int layers) {
        int n = config.hidden();
        if (config.filter() == FilterKind.PERMUTATION) {
            if (layers > 0) {
                layout.indexBuffer(prefix + "O_index", layers, n).buffer(prefix + "O_sign", layers, n);
            } else {
                layout.indexBuffer(prefix + "O_index", n).buffer(prefix + "O_sign", n);
            }
        } else if (layers > 0 && config.filter() == FilterKind.HAAR) {
            layout.buffer(prefix + "O", layers, n, n);
        } else {
            layout.buffer(prefix + "O", n, n);
        }
    }

    // ---------------------------------------------------------------------------- safetensors

    /**
     * Saves parameters and filters as safetensors (little-endian float32, row-major, PyTorch's
     * {@code [out,in]} layout; permutation indices as int64), with the configuration and
     * {@code extraMetadata} in {@code __metadata__}. The write is atomic.
     */
    public void save(Path file, Map<String, String> extraMetadata) throws IOException {
        Safetensors.write(file, toTensorData(), metadata(extraMetadata));
    }

    /** The metadata {@link #save} writes. */
    public Map<String, String> metadata(Map<String, String> extra) {
        Map<String, String> meta = new LinkedHashMap<>(config.toMetadata());
        if (extra != null) {
            extra.forEach(meta::putIfAbsent);
        }
        return meta;
    }

    /** Every parameter and buffer as host data, by safetensors name, in layout order. */
    public Map<String, TensorData> toTensorData() {
        checkOpen();
        Map<String, TensorData> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : params.params().entrySet()) {
            out.put(e.getKey(), TensorData.f32(engine.toHost(e.getValue()), longs(e.getValue().shape())));
        }
        for (Map.Entry<String, Tensor> e : params.buffers().entrySet()) {
            Tensor t = e.getValue();
            if (t.dtype() == DType.I32) {
                int[] v = new int[(int) t.size()];
                engine.download(t, v);
                long[] l = new long[v.length];
                for (int i = 0; i < v.length; i++) {
                    l[i] = v[i];
                }
                out.put(e.getKey(), TensorData.i64(l, longs(t.shape())));
            } else {
                out.put(e.getKey(), TensorData.f32(engine.toHost(t), longs(t.shape())));
            }
        }
        return out;
    }

    /**
     * Replaces every parameter and buffer with the tensors of {@code file}. Every tensor the model
     * has must be present with the same shape; extra tensors are an error. Permutation buffers are
     * checked to be signed permutations.
     */
    public void loadTensors(SafetensorsFile file, String source) {
        checkOpen();
        Map<String, TensorData> tensors = file.tensors();
        TreeSet<String> extra = new TreeSet<>(tensors.keySet());
        extra.removeAll(params.params().keySet());
        extra.removeAll(params.buffers().keySet());
        if (!extra.isEmpty()) {
            throw new InvalidFileException(Path.of(source), "unexpected tensors " + extra + " for a " + config.kind()
                    + " model; expected " + expectedNames());
        }
        for (Map.Entry<String, Tensor> e : params.params().entrySet()) {
            TensorData d = requireTensor(tensors, e.getKey(), e.getValue(), source);
            engine.upload(asFloats(d, e.getKey(), source), e.getValue());
        }
        for (Map.Entry<String, Tensor> e : params.buffers().entrySet()) {
            TensorData d = requireTensor(tensors, e.getKey(), e.getValue(), source);
            Tensor t = e.getValue();
            if (t.dtype() == DType.I32) {
                engine.upload(asIndices(d, e.getKey(), source, t.dim(-1)), t);
            } else {
                float[] v = asFloats(d, e.getKey(), source);
                if (e.getKey().endsWith("O_sign")) {
                    for (float s : v) {
                        if (s != 1f && s != -1f) {
                            throw new InvalidFileException(Path.of(source), "tensor " + e.getKey() + ": expected signs +1 or -1, found " + s);
                        }
                    }
                }
                engine.upload(v, t);
            }
        }
    }

    private String expectedNames() {
        TreeSet<String> names = new TreeSet<>(params.params().keySet());
        names.addAll(params.buffers().keySet());
        return names.toString();
    }

    private TensorData requireTensor(Map<String, TensorData> tensors, String name, Tensor like, String source) {
        TensorData d = tensors.get(name);
        if (d == null) {
            throw new InvalidFileException(Path.of(source), "tensor " + name + " is missing (a " + config.kind() + " model needs "
                    + expectedNames() + ")");
        }
        if (!Arrays.equals(d.shape(), longs(like.shape()))) {
            throw new InvalidFileException(Path.of(source), "tensor " + name + ": expected shape " + Arrays.toString(like.shape())
                    + ", found " + Arrays.toString(d.shape()));
        }
        return d;
    }

    private static float[] asFloats(TensorData d, String name, String source) {
        if (!TensorData.F32.equals(d.dtype())) {
            throw new InvalidFileException(Path.of(source), "tensor " + name + ": expected dtype F32, found " + d.dtype());
        }
        return d.floats();
    }

    private static int[] asIndices(TensorData d, String name, String source, int n) {
        int[] out = new int[d.size()];
        if (TensorData.I64.equals(d.dtype())) {
            long[] l = d.longs();
            for (int i = 0; i < l.length; i++) {
                if (l[i] < 0 || l[i] >= n) {
                    throw new InvalidFileException(Path.of(source), "tensor " + name + ": index " + l[i] + " outside [0," + n + ")");
                }
                out[i] = (int) l[i];
            }
        } else if (TensorData.I32.equals(d.dtype())) {
            out = d.ints().clone();
        } else {
            throw new InvalidFileException(Path.of(source), "tensor " + name + ": expected dtype I64, found " + d.dtype());
        }
        for (int row = 0; row < out.length / n; row++) {
            boolean[] seen = new boolean[n];
            for (int i = 0; i < n; i++) {
                int v = out[row * n + i];
                if (v < 0 || v >= n || seen[v]) {
                    throw new InvalidFileException(Path.of(source), "tensor " + name + ": row " + row + " is not a permutation of 0.." + (n - 1));
                }
                seen[v] = true;
            }
        }
        return out;
    }

    private static long[] longs(int[] shape) {
        long[] l = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            l[i] = shape[i];
        }
        return l;
    }

    /** Releases parameters and workspace. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        trimWorkspace();
        params.close();
    }
}
