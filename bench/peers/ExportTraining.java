/*
 * Short training runs of every model family through roaf's public API, saved before and after, for
 * bench/peers/torch_trains_same.py to repeat in PyTorch (autograd, torch.optim, clip_grad_norm_) and compare.
 *
 * Each case trains 5 steps on 16 random examples with a batch of 16 (so that every step sees the whole set and
 * PyTorch needs no batch order): sequences of 12 steps of 3 features for the recurrent families, vectors of 20
 * for the MLPs (depth 3), with one label per example, one per step, or a real target. It writes
 * DIR/<case>.init.safetensors and DIR/<case>.final.safetensors (roaf's model files), DIR/<case>.x.f32 and
 * DIR/<case>.y.f32 (little-endian float32; labels as floats) and DIR/<case>.json (shapes and settings).
 *
 * Run (after mvn package):
 *   java -cp target/roaf.jar bench/peers/ExportTraining.java DIR [DEVICE]
 * DEVICE: cpu (default), cuda or auto, where the models train and run (native-tests/gpu-check.sh runs it with cuda,
 * compiled by native-tests/prepare.sh, as the GPU machine's Java runtime cannot compile source files).
 */

import dev.roaf.Dataset;
import dev.roaf.DatasetBuilder;
import dev.roaf.Device;
import dev.roaf.FilterType;
import dev.roaf.Model;
import dev.roaf.ModelBuilder;
import dev.roaf.OptimizerType;
import dev.roaf.Trainer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

public class ExportTraining {
    private static Device device;
    private static final int EXAMPLES = 16, STEPS = 12, FEATURES = 3, VECTOR = 20, CLASSES = 4, UPDATES = 5;

    enum Target { CLASS, CLASS_PER_STEP, REGRESSION }

    record Setting(OptimizerType optimizer, double lr, double momentum, double weightDecay, double clip) {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: java -cp target/roaf.jar bench/peers/ExportTraining.java DIR [cpu|cuda|auto]");
            System.exit(2);
        }
        Path dir = Files.createDirectories(Path.of(args[0]));
        device = Device.parse(args.length > 1 ? args[1] : "cpu", 1);
        Setting adam = new Setting(OptimizerType.ADAM, 0.01, 0, 0, 0);
        Setting adamClip = new Setting(OptimizerType.ADAM, 0.01, 0, 0, 0.05);  // small enough to clip every step
        Setting adamw = new Setting(OptimizerType.ADAMW, 0.01, 0, 0.1, 0);
        Setting adamL2 = new Setting(OptimizerType.ADAM, 0.01, 0, 0.05, 0);
        Setting sgd = new Setting(OptimizerType.SGD, 0.05, 0.9, 0.01, 0.1);
        run(dir, "roaf-rnn-haar", Model.roafRnn().optFilter(FilterType.HAAR), Target.CLASS, adamClip);
        run(dir, "roaf-rnn-permutation-every-step", Model.roafRnn().optFilter(FilterType.PERMUTATION).optHeadEveryStep(true),
                Target.CLASS_PER_STEP, adam);
        run(dir, "roaf-rnn-haar-regression", Model.roafRnn(), Target.REGRESSION, adamw);
        run(dir, "rnn-regression", Model.rnn(), Target.REGRESSION, sgd);
        run(dir, "rnn-every-step", Model.rnn().optHeadEveryStep(true), Target.CLASS_PER_STEP, adamL2);
        run(dir, "lstm", Model.lstm(), Target.CLASS, adamw);
        run(dir, "lstm-every-step", Model.lstm().optHeadEveryStep(true), Target.CLASS_PER_STEP, adamClip);
        run(dir, "roaf-mlp-haar", Model.roafMlp().optFilter(FilterType.HAAR).setDepth(3), Target.CLASS, adam);
        run(dir, "roaf-mlp-haar-shared", Model.roafMlp().optFilter(FilterType.HAAR_SHARED).setDepth(3), Target.CLASS, adamw);
        run(dir, "roaf-mlp-permutation", Model.roafMlp().optFilter(FilterType.PERMUTATION).setDepth(3), Target.REGRESSION, sgd);
        run(dir, "mlp", Model.mlp().setDepth(3), Target.CLASS, adamL2);
        run(dir, "resmlp", Model.resMlp().setDepth(3), Target.CLASS, adamClip);
    }

    private static void run(Path dir, String name, ModelBuilder builder, Target target, Setting s) throws Exception {
        SplittableRandom rng = new SplittableRandom(name.hashCode());
        boolean sequences = !name.contains("mlp");
        DatasetBuilder data = Dataset.builder().optName(name);
        float[] x, y;
        int[] xShape, yShape;
        if (sequences) {
            float[][][] xs = new float[EXAMPLES][STEPS][FEATURES];
            for (float[][] seq : xs) {
                for (float[] step : seq) {
                    for (int i = 0; i < FEATURES; i++) {
                        step[i] = (float) (rng.nextDouble() * 2 - 1);
                    }
                }
            }
            x = flatten(xs);
            xShape = new int[]{EXAMPLES, STEPS, FEATURES};
            switch (target) {
                case CLASS -> {
                    int[] labels = labels(rng, EXAMPLES);
                    data.setTrain(xs, labels);
                    y = floats(labels);
                    yShape = new int[]{EXAMPLES};
                }
                case CLASS_PER_STEP -> {
                    int[][] labels = new int[EXAMPLES][];
                    for (int i = 0; i < EXAMPLES; i++) {
                        labels[i] = labels(rng, STEPS);
                    }
                    data.setTrain(xs, labels);
                    y = new float[EXAMPLES * STEPS];
                    for (int i = 0; i < EXAMPLES; i++) {
                        System.arraycopy(floats(labels[i]), 0, y, i * STEPS, STEPS);
                    }
                    yShape = new int[]{EXAMPLES, STEPS};
                }
                default -> {
                    float[][] targets = targets(rng);
                    data.setTrain(xs, targets);
                    y = flatten(new float[][][]{targets});
                    yShape = new int[]{EXAMPLES, 1};
                }
            }
        } else {
            float[][] xs = new float[EXAMPLES][VECTOR];
            for (float[] v : xs) {
                for (int i = 0; i < VECTOR; i++) {
                    v[i] = (float) rng.nextDouble();
                }
            }
            x = flatten(new float[][][]{xs});
            xShape = new int[]{EXAMPLES, VECTOR};
            if (target == Target.CLASS) {
                int[] labels = labels(rng, EXAMPLES);
                data.setTrain(xs, labels);
                y = floats(labels);
                yShape = new int[]{EXAMPLES};
            } else {
                float[][] targets = targets(rng);
                data.setTrain(xs, targets);
                y = flatten(new float[][][]{targets});
                yShape = new int[]{EXAMPLES, 1};
            }
        }
        Dataset d = data.build();
        try (Model m = builder.setShapeFrom(d).setHiddenSize(8).optSeed(11).optDevice(device).build()) {
            m.save(dir.resolve(name + ".init.safetensors"));
            Trainer.Builder t = Trainer.builder(m, d).setSteps(UPDATES).optBatchSize(EXAMPLES).optOptimizer(s.optimizer())
                    .optLearningRate(s.lr()).optWeightDecay(s.weightDecay()).optClipNorm(s.clip()).optEvaluateEvery(0);
            if (s.optimizer() == OptimizerType.SGD) {
                t.optMomentum(s.momentum());
            }
            t.build().fit();
            m.save(dir.resolve(name + ".final.safetensors"));
        }
        write(dir.resolve(name + ".x.f32"), x);
        write(dir.resolve(name + ".y.f32"), y);
        Files.writeString(dir.resolve(name + ".json"), String.format(Locale.ROOT,
                "{\"x_shape\": %s, \"y_shape\": %s, \"target\": \"%s\", \"optimizer\": \"%s\", \"lr\": %s, \"momentum\": %s,"
                        + " \"weight_decay\": %s, \"clip\": %s, \"updates\": %d}%n",
                java.util.Arrays.toString(xShape), java.util.Arrays.toString(yShape), target.name().toLowerCase(Locale.ROOT),
                s.optimizer(), s.lr(), s.momentum(), s.weightDecay(), s.clip(), UPDATES));
    }

    private static int[] labels(SplittableRandom rng, int n) {
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
            l[i] = rng.nextInt(CLASSES);
        }
        return l;
    }

    private static float[] floats(int[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = a[i];
        }
        return f;
    }

    private static float[][] targets(SplittableRandom rng) {
        float[][] t = new float[EXAMPLES][1];
        for (float[] row : t) {
            row[0] = (float) (rng.nextDouble() * 2 - 1);
        }
        return t;
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
