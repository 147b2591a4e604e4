/*
 * Small trained models of every family and filter, saved as roaf saves them, with inputs and the outputs
 * roaf computes for them: what bench/peers/torch_reads_models.py rebuilds in PyTorch from the safetensors
 * files alone (the layout README.md documents) and compares.
 *
 * Each case trains 30 steps (so that biases and weights have left their initialisation) on a built-in
 * task: adding (T = 20) for the last-step recurrent heads, copy (delay 5) for the per-step heads, the
 * bundled MNIST sample for the MLPs. It writes DIR/<case>.safetensors, DIR/<case>.in.f32 and
 * DIR/<case>.out.f32 (little-endian float32) and DIR/<case>.json (their shapes).
 *
 * Run (after mvn package):
 *   java -cp target/roaf.jar bench/peers/ExportModels.java DIR [DEVICE]
 * DEVICE: cpu (default), cuda or auto, where the models train and run (native-tests/gpu-check.sh runs it with cuda,
 * compiled by native-tests/prepare.sh, as the GPU machine's Java runtime cannot compile source files).
 */

import dev.roaf.Dataset;
import dev.roaf.Datasets;
import dev.roaf.Device;
import dev.roaf.FilterType;
import dev.roaf.Model;
import dev.roaf.ModelBuilder;
import dev.roaf.Trainer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

public class ExportModels {
    private static Device device;
    private static final int EXAMPLES = 4;

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: java -cp target/roaf.jar bench/peers/ExportModels.java DIR [cpu|cuda|auto]");
            System.exit(2);
        }
        Path dir = Files.createDirectories(Path.of(args[0]));
        device = Device.parse(args.length > 1 ? args[1] : "cpu", 1);
        Dataset adding = Datasets.builtIn("adding", Datasets.Options.defaults().withLength(20).withTestSize(50));
        Dataset copy = Datasets.builtIn("copy", Datasets.Options.defaults().withLength(5).withTestSize(50));
        Dataset mnist = Datasets.builtIn("mnist");
        Map<String, Supplier<ModelBuilder>> recurrent = new LinkedHashMap<>();
        recurrent.put("roaf-rnn-haar", () -> Model.roafRnn().optFilter(FilterType.HAAR));
        recurrent.put("roaf-rnn-permutation", () -> Model.roafRnn().optFilter(FilterType.PERMUTATION));
        recurrent.put("rnn", Model::rnn);
        recurrent.put("lstm", Model::lstm);
        for (Map.Entry<String, Supplier<ModelBuilder>> c : recurrent.entrySet()) {
            export(dir, c.getKey(), c.getValue().get().setShapeFrom(adding).setHiddenSize(8), adding, true);
            export(dir, c.getKey() + "-every-step", c.getValue().get().setShapeFrom(copy).setHiddenSize(8).optHeadEveryStep(true),
                    copy, true);
        }
        export(dir, "roaf-mlp-haar", Model.roafMlp().optFilter(FilterType.HAAR).setShapeFrom(mnist).setDepth(3), mnist, false);
        export(dir, "roaf-mlp-haar-shared", Model.roafMlp().optFilter(FilterType.HAAR_SHARED).setShapeFrom(mnist).setDepth(3),
                mnist, false);
        export(dir, "roaf-mlp-permutation", Model.roafMlp().optFilter(FilterType.PERMUTATION).setShapeFrom(mnist).setDepth(3),
                mnist, false);
        export(dir, "mlp", Model.mlp().setShapeFrom(mnist).setDepth(3), mnist, false);
        export(dir, "resmlp", Model.resMlp().setShapeFrom(mnist).setDepth(3), mnist, false);
    }

    private static void export(Path dir, String name, ModelBuilder builder, Dataset data, boolean sequences) throws Exception {
        if (!sequences) {
            builder.setHiddenSize(16);
        }
        try (Model m = builder.optSeed(7).optDevice(device).build()) {
            Trainer.builder(m, data).setSteps(30).optBatchSize(16).optLearningRate(0.02).optEvaluateEvery(0)
                    .optEvaluationSize(50).build().fit();
            m.save(dir.resolve(name + ".safetensors"));
            SplittableRandom rng = new SplittableRandom(name.hashCode());
            float[] in, out;
            int[] inShape, outShape;
            if (sequences) {
                int steps = data.steps(), features = m.inputSize();
                float[][][] x = new float[EXAMPLES][steps][features];
                for (float[][] seq : x) {
                    for (float[] step : seq) {
                        for (int i = 0; i < features; i++) {
                            step[i] = (float) (rng.nextDouble() * 2 - 1);
                        }
                    }
                }
                in = flatten(x);
                inShape = new int[]{EXAMPLES, steps, features};
                if (m.headEveryStep()) {
                    out = flatten(m.predictEveryStep(x));
                    outShape = new int[]{EXAMPLES, steps, m.outputs()};
                } else {
                    out = flatten(new float[][][]{m.predict(x)});
                    outShape = new int[]{EXAMPLES, m.outputs()};
                }
            } else {
                float[][] x = new float[EXAMPLES][m.inputSize()];
                for (float[] v : x) {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) rng.nextDouble();
                    }
                }
                in = flatten(new float[][][]{x});
                inShape = new int[]{EXAMPLES, m.inputSize()};
                out = flatten(new float[][][]{m.predict(x)});
                outShape = new int[]{EXAMPLES, m.outputs()};
            }
            write(dir.resolve(name + ".in.f32"), in);
            write(dir.resolve(name + ".out.f32"), out);
            Files.writeString(dir.resolve(name + ".json"), "{\"input_shape\": " + java.util.Arrays.toString(inShape)
                    + ", \"output_shape\": " + java.util.Arrays.toString(outShape) + "}\n");
        }
    }

    // flatten and write are repeated in the other exporter on purpose: each file runs on its own (java File.java).
    private static float[] flatten(float[][][] a) {
        int n = 0;
        for (float[][] b : a) {
            for (float[] c : b) {
                n += c.length;
            }
        }
        float[] out = new float[n];
        int k = 0;
        for (float[][] b : a) {
            for (float[] c : b) {
                System.arraycopy(c, 0, out, k, c.length);
                k += c.length;
            }
        }
        return out;
    }

    private static void write(Path file, float[] values) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(values);
        Files.write(file, buf.array());
    }
}
