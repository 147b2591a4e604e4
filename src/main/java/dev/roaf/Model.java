package dev.roaf;

import dev.roaf.data.Batch;
import dev.roaf.engine.Engine;
import dev.roaf.io.InvalidFileException;
import dev.roaf.io.Safetensors;
import dev.roaf.model.ModelConfig;
import dev.roaf.model.StepStats;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * A ROAF network (or one of the baselines) with its parameters on a {@link Device}: built with a
 * builder ({@link #roafRnn()}, {@link #roafMlp()}, ...) or loaded from a file ({@link #load}),
 * trained by a {@link Trainer}, queried with {@code predict}, saved with {@link #save(Path)}.
 *
 * <p><b>Resources.</b> A model holds native or device memory: its parameters, its optimizer-free
 * workspace and the engine (worker threads; on a GPU, device memory and streams) it opened on its
 * device. Close it when done, ideally with try-with-resources. After {@link #close()} every method
 * except {@link #close()} and {@link #isClosed()} throws {@link IllegalStateException}.
 *
 * <p><b>Shapes.</b> Recurrent models ({@link ModelFamily#isRecurrent()}) read a batch of sequences
 * {@code float[batch][steps][inputSize]} (any number of steps, the same for every sequence of a
 * batch); MLPs read a batch of vectors {@code float[batch][inputSize]}. Outputs are logits (for
 * classification; softmax them for probabilities) or regression values,
 * {@code float[batch][outputs]}, or {@code float[batch][steps][outputs]} for a per-step head.
 *
 * <p><b>Threads.</b> A model may be shared between threads: its operations (and the whole of a
 * {@link Trainer#fit()} on it) take the model's lock, so they run one at a time, each seeing the
 * parameters the previous one left. For parallel inference, load one model per thread.
 */
public final class Model implements AutoCloseable {
    /**
     * The default c of the depth-aware rule {@code beta = min(c / T, 1/2)} for a roaf-rnn over T steps,
     * used when none of alpha, beta and beta-scale is given: 30 learned psMNIST fastest in a sweep of
     * c in {1, 10, 30, 100, 300} (bench/results/psmnist-beta-scale-sweep-cpu.md).
     */
    public static final double DEFAULT_BETA_SCALE_RECURRENT = 30.0;

    /**
     * The default c of the depth-aware rule {@code beta = min(c / L, 1/2)} for a roaf-mlp of depth L,
     * used when none of alpha, beta and beta-scale is given: 1 keeps the end-to-end gain near
     * {@code exp(-1)} at any depth.
     */
    public static final double DEFAULT_BETA_SCALE_MLP = 1.0;

    private final Device device;
    private final Engine engine;
    private final dev.roaf.model.Model model;
    private boolean closed;

    Model(Device device, Engine engine, dev.roaf.model.Model model) {
        this.device = device;
        this.engine = engine;
        this.model = model;
    }

    // -------------------------------------------------------------------------------- builders

    /**
     * A builder for a model of {@code family}.
     *
     * @param family the model family
     * @return a new builder
     */
    public static ModelBuilder builder(ModelFamily family) {
        return new ModelBuilder(Objects.requireNonNull(family, "family"));
    }

    /**
     * A builder for a model of the family named {@code name} (as on the command line).
     *
     * @param name {@code roaf-rnn}, {@code rnn}, {@code lstm}, {@code roaf-mlp}, {@code mlp} or {@code resmlp}
     * @return a new builder
     * @throws IllegalArgumentException for an unknown name; the message lists the valid ones
     */
    public static ModelBuilder builder(String name) {
        return builder(ModelFamily.parse(name));
    }

    /**
     * A builder for a ROAF recurrent network ({@link ModelFamily#ROAF_RNN}).
     *
     * @return a new builder
     */
    public static ModelBuilder roafRnn() {
        return builder(ModelFamily.ROAF_RNN);
    }

    /**
     * A builder for an Elman RNN ({@link ModelFamily#RNN}).
     *
     * @return a new builder
     */
    public static ModelBuilder rnn() {
        return builder(ModelFamily.RNN);
    }

    /**
     * A builder for an LSTM ({@link ModelFamily#LSTM}).
     *
     * @return a new builder
     */
    public static ModelBuilder lstm() {
        return builder(ModelFamily.LSTM);
    }

    /**
     * A builder for a ROAF MLP ({@link ModelFamily#ROAF_MLP}).
     *
     * @return a new builder
     */
    public static ModelBuilder roafMlp() {
        return builder(ModelFamily.ROAF_MLP);
    }

    /**
     * A builder for a plain tanh MLP ({@link ModelFamily#MLP}).
     *
     * @return a new builder
     */
    public static ModelBuilder mlp() {
        return builder(ModelFamily.MLP);
    }

    /**
     * A builder for a residual tanh MLP ({@link ModelFamily#RESMLP}).
     *
     * @return a new builder
     */
    public static ModelBuilder resMlp() {
        return builder(ModelFamily.RESMLP);
    }

    /** Opens an engine on {@code device} and makes the model with {@code make}; closes the engine on failure. */
    static Model open(Device device, java.util.function.Function<Engine, dev.roaf.model.Model> make) {
        Engine engine = device.open();
        try {
            return new Model(device, engine, make.apply(engine));
        } catch (RuntimeException | Error e) {
            engine.close();
            throw e;
        }
    }

    // ------------------------------------------------------------------------------ load, save

    /**
     * Loads a model saved by {@link #save(Path)} (or by {@code roaf train}) onto {@code device}; the
     * family, sizes, alpha, beta and filter come from the file's metadata.
     *
     * @param file   a safetensors file written by roaf
     * @param device where the model's parameters will live
     * @return the model; the caller owns it and must close it
     * @throws IOException              if the file cannot be read
     * @throws IllegalArgumentException if the file is not a valid roaf model (the message names the
     *                                  file and what is wrong), or the device cannot be opened
     */
    public static Model load(Path file, Device device) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(device, "device");
        try {
            Map<String, String> meta = Safetensors.read(file).metadata();
            ModelConfig.fromMetadata(meta); // fail on bad metadata before opening an engine
            Engine engine = device.open();
            try {
                return new Model(device, engine, dev.roaf.model.Model.load(engine, file));
            } catch (IOException | RuntimeException | Error e) {
                engine.close();
                throw e;
            }
        } catch (InvalidFileException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("metadata")) {
                throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
            }
            throw e;
        }
    }

    /**
     * Reads the metadata of a saved model without loading it: the model description ({@code model},
     * {@code input_size}, {@code hidden}, {@code outputs}, {@code depth}, {@code alpha}, {@code beta},
     * {@code filter}, {@code head}, ...) and any extra entries given to {@link #save(Path, Map)}
     * (e.g. {@code task}, {@code length}, {@code perm_seed} written by {@code roaf train}).
     *
     * @param file a safetensors file
     * @return the file's {@code __metadata__}, unmodifiable
     * @throws IOException              if the file cannot be read
     * @throws IllegalArgumentException if it is not a valid safetensors file
     */
    public static Map<String, String> readMetadata(Path file) throws IOException {
        try {
            return Map.copyOf(Safetensors.read(file).metadata());
        } catch (InvalidFileException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * Saves the parameters and filters as safetensors (float32, PyTorch's {@code [out,in]} layout;
     * see the README's table of tensor names), with {@link #metadata()} in {@code __metadata__}.
     * The write is atomic: a reader never sees a half-written file.
     *
     * @param file the file to write (replaced if it exists)
     * @throws IOException if it cannot be written
     */
    public void save(Path file) throws IOException {
        save(file, Map.of());
    }

    /**
     * Saves like {@link #save(Path)}, adding {@code extraMetadata} to the file's
     * {@code __metadata__} (entries that would replace the model's own keys are ignored).
     *
     * @param file          the file to write (replaced if it exists)
     * @param extraMetadata more string entries, e.g. the task the model was trained on
     * @throws IOException if it cannot be written
     */
    public synchronized void save(Path file, Map<String, String> extraMetadata) throws IOException {
        checkOpen();
        model.save(Objects.requireNonNull(file, "file"), extraMetadata);
    }

    /**
     * Replaces the parameters and filters with those of a saved file, e.g. to start training from
     * it. Every tensor must be present with the shape this model has; extra tensors are an error.
     * The file's metadata is not read.
     *
     * @param file a safetensors file with this model's tensor names and shapes
     * @throws IOException              if the file cannot be read
     * @throws IllegalArgumentException if a tensor is missing, extra or of another shape (the message
     *                                  names the tensor)
     */
    public synchronized void loadParameters(Path file) throws IOException {
        checkOpen();
        try {
            model.loadTensors(Safetensors.read(file), file.toString());
        } catch (InvalidFileException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------------------- description

    /**
     * The model family.
     *
     * @return the family
     */
    public ModelFamily family() {
        return ModelFamily.of(config().kind());
    }

    /**
     * D: features per step (recurrent models) or vector length (MLPs).
     *
     * @return D
     */
    public int inputSize() {
        return config().inputSize();
    }

    /**
     * N: the state width.
     *
     * @return N
     */
    public int hiddenSize() {
        return config().hidden();
    }

    /**
     * C: the number of classes (logits) or the regression width.
     *
     * @return C
     */
    public int outputs() {
        return config().outputs();
    }

    /**
     * L: the number of ROAF (or tanh) layers of an MLP.
     *
     * @return L, or 1 for recurrent models
     */
    public int depth() {
        return config().depth();
    }

    /**
     * The weight of the filter term {@code alpha O x}.
     *
     * @return alpha for ROAF models; 0 for rnn and mlp, 1 for resmlp, 0 (unused) for lstm
     */
    public float alpha() {
        return config().alpha();
    }

    /**
     * The weight of the nonlinear term {@code beta tanh(...)}.
     *
     * @return beta for ROAF models; 1 for rnn, mlp and resmlp, 0 (unused) for lstm
     */
    public float beta() {
        return config().beta();
    }

    /**
     * How the filters were drawn.
     *
     * @return the filter type of a ROAF model, or null for the baselines
     */
    public FilterType filter() {
        return FilterType.of(config().filter());
    }

    /**
     * Whether a recurrent model reads out at every step (sequence to sequence) instead of the last.
     *
     * @return true for a per-step head
     */
    public boolean headEveryStep() {
        return config().headEveryStep();
    }

    /**
     * The number of trainable parameters (fixed filters not counted).
     *
     * @return the count
     */
    public synchronized long parameterCount() {
        checkOpen();
        return model.parameters().count();
    }

    /**
     * The device the model was built or loaded on.
     *
     * @return the device as asked for
     */
    public Device device() {
        return device;
    }

    /**
     * What the model actually runs on, e.g. {@code cpu (2 threads)} (useful after {@link Device#best()}).
     *
     * @return a short human-readable description of the engine
     */
    public String deviceName() {
        checkOpen();
        return engine.deviceName();
    }

    /**
     * The number of CPU worker threads this model's engine runs on: the resolved count (a requested
     * 0 becomes the number of processors), or 0 when the model lives on a GPU.
     *
     * @return the thread count, or 0 on a GPU
     * @throws IllegalStateException if the model was closed
     */
    public int cpuThreads() {
        checkOpen();
        return engine instanceof dev.roaf.engine.cpu.CpuEngine cpu ? cpu.threads() : 0;
    }

    /**
     * The metadata {@link #save(Path)} writes: the model's family, sizes, alpha, beta, filter,
     * nonlinearity and head, as strings.
     *
     * @return an insertion-ordered copy
     */
    public synchronized Map<String, String> metadata() {
        checkOpen();
        return model.metadata(Map.of());
    }

    // ------------------------------------------------------------------------------- inference

    /**
     * Outputs for a batch of sequences, read out after the last step (recurrent models with a
     * last-step head).
     *
     * @param sequences {@code float[batch][steps][inputSize()]}; every sequence has the same number of steps
     * @return {@code float[batch][outputs()]}: logits, or regression outputs
     * @throws IllegalArgumentException if the shapes do not fit, or this model reads vectors
     * @throws IllegalStateException    if the model has a per-step head (use {@link #predictEveryStep})
     *                                  or was closed
     */
    public synchronized float[][] predict(float[][][] sequences) {
        checkOpen();
        requireRecurrent();
        if (headEveryStep()) {
            throw new IllegalStateException("this " + family() + " reads out at every step: use predictEveryStep(sequences)");
        }
        Batch batch = sequenceBatch(sequences);
        return split(model.predict(batch), batch.size, outputs());
    }

    /**
     * Outputs at every step for a batch of sequences (recurrent models with a per-step head).
     *
     * @param sequences {@code float[batch][steps][inputSize()]}; every sequence has the same number of steps
     * @return {@code float[batch][steps][outputs()]}: logits per step
     * @throws IllegalArgumentException if the shapes do not fit, or this model reads vectors
     * @throws IllegalStateException    if the model reads out at the last step only (use
     *                                  {@link #predict(float[][][])}) or was closed
     */
    public synchronized float[][][] predictEveryStep(float[][][] sequences) {
        checkOpen();
        requireRecurrent();
        if (!headEveryStep()) {
            throw new IllegalStateException("this " + family() + " reads out at the last step only: use predict(sequences)");
        }
        Batch batch = sequenceBatch(sequences);
        float[] out = model.predict(batch); // time-major [T, B, C]
        int b = batch.size, t = batch.steps, c = outputs();
        float[][][] r = new float[b][t][c];
        for (int s = 0; s < t; s++) {
            for (int i = 0; i < b; i++) {
                System.arraycopy(out, (s * b + i) * c, r[i][s], 0, c);
            }
        }
        return r;
    }

    /**
     * Outputs for a batch of vectors (MLP families).
     *
     * @param vectors {@code float[batch][inputSize()]}
     * @return {@code float[batch][outputs()]}: logits, or regression outputs
     * @throws IllegalArgumentException if the shapes do not fit, or this model reads sequences
     * @throws IllegalStateException    if the model was closed
     */
    public synchronized float[][] predict(float[][] vectors) {
        checkOpen();
        if (family().isRecurrent()) {
            throw new IllegalArgumentException(family() + " reads sequences float[batch][steps][features], not vectors");
        }
        int b = requireBatch(vectors, "vectors");
        int d = inputSize();
        float[] x = new float[Math.multiplyExact(b, d)];
        for (int i = 0; i < b; i++) {
            if (vectors[i] == null || vectors[i].length != d) {
                throw new IllegalArgumentException("vectors[" + i + "] has " + (vectors[i] == null ? "no" : vectors[i].length)
                        + " features, the model expects " + d);
            }
            System.arraycopy(vectors[i], 0, x, i * d, d);
        }
        Batch batch = new Batch(b, 0, d, x, Batch.Target.REGRESSION, null, new float[b * outputs()], outputs());
        return split(model.predict(batch), b, outputs());
    }

    /**
     * The loss and accuracy on a dataset's test set.
     *
     * @param data        a dataset whose examples fit this model (shapes, target type)
     * @param maxExamples evaluate the first this many test examples; 0 for all of them
     * @return the metrics
     * @throws IllegalArgumentException if the dataset does not fit this model
     * @throws IllegalStateException    if the model was closed
     */
    public synchronized Evaluation evaluate(Dataset data, int maxExamples) {
        checkOpen();
        Trainer.checkFits(this, data);
        if (maxExamples < 0) {
            throw new IllegalArgumentException("maxExamples must be >= 0 (0 = all), got " + maxExamples);
        }
        StepStats s = dev.roaf.train.Trainer.evaluate(model, data.task(), maxExamples, 100);
        long n = maxExamples == 0 ? data.testSize() : Math.min(maxExamples, data.testSize());
        return new Evaluation(s.meanLoss(), s.accuracy(), n);
    }

    /**
     * The loss and accuracy on a dataset's whole test set.
     *
     * @param data a dataset whose examples fit this model
     * @return the metrics
     * @throws IllegalArgumentException if the dataset does not fit this model
     * @throws IllegalStateException    if the model was closed
     */
    public Evaluation evaluate(Dataset data) {
        return evaluate(data, 0);
    }

    private void requireRecurrent() {
        if (!family().isRecurrent()) {
            throw new IllegalArgumentException(family() + " reads vectors float[batch][features], not sequences");
        }
    }

    private static int requireBatch(Object[] x, String what) {
        if (x == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        if (x.length == 0) {
            throw new IllegalArgumentException(what + " is empty; give at least one example");
        }
        return x.length;
    }

    /** A time-major batch of sequences with placeholder targets (predict does not read them). */
    private Batch sequenceBatch(float[][][] sequences) {
        int b = requireBatch(sequences, "sequences");
        int d = inputSize();
        if (sequences[0] == null || sequences[0].length == 0) {
            throw new IllegalArgumentException("sequences[0] has no steps");
        }
        int t = sequences[0].length;
        float[] x = new float[Math.multiplyExact(Math.multiplyExact(t, b), d)];
        for (int i = 0; i < b; i++) {
            float[][] s = sequences[i];
            if (s == null || s.length != t) {
                throw new IllegalArgumentException("sequences[" + i + "] has " + (s == null ? "no" : s.length) + " steps, sequences[0] has "
                        + t + "; every sequence of a batch needs the same length");
            }
            for (int k = 0; k < t; k++) {
                if (s[k] == null || s[k].length != d) {
                    throw new IllegalArgumentException("sequences[" + i + "][" + k + "] has " + (s[k] == null ? "no" : s[k].length)
                            + " features, the model expects " + d);
                }
                System.arraycopy(s[k], 0, x, (k * b + i) * d, d);
            }
        }
        if (headEveryStep()) {
            int[] labels = new int[t * b];
            Arrays.fill(labels, -1);
            return new Batch(b, t, d, x, Batch.Target.CLASS_PER_STEP, labels, null, outputs());
        }
        return new Batch(b, t, d, x, Batch.Target.REGRESSION, null, new float[b * outputs()], outputs());
    }

    private static float[][] split(float[] flat, int rows, int cols) {
        float[][] r = new float[rows][cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(flat, i * cols, r[i], 0, cols);
        }
        return r;
    }

    // -------------------------------------------------------------------------------- lifetime

    private ModelConfig config() {
        checkOpen();
        return model.config();
    }

    dev.roaf.model.Model internal() {
        checkOpen();
        return model;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this " + model.config().kind() + " model was closed; it cannot be used after close()");
        }
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Releases the parameters, the workspace and the engine (threads, device memory). Idempotent;
     * afterwards every other method throws {@link IllegalStateException}.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            model.close();
        } finally {
            engine.close();
        }
    }

    /**
     * A one-line description, e.g. {@code Model[roaf-rnn D=1 N=32 C=2 alpha=0.95 beta=0.05 haar on cpu]}.
     *
     * @return the description
     */
    @Override
    public String toString() {
        if (closed) {
            return "Model[" + model.config().kind() + ", closed]";
        }
        ModelConfig c = model.config();
        return "Model[" + c.kind() + " D=" + c.inputSize() + " N=" + c.hidden() + " C=" + c.outputs()
                + (c.kind().recurrent() ? "" : " L=" + c.depth())
                + (c.kind().hasFilter() ? " alpha=" + c.alpha() + " beta=" + c.beta() + " " + c.filter() : "")
                + " on " + device + "]";
    }
}
