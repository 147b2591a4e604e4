package example;

import dev.roaf.Dataset;
import dev.roaf.Device;
import dev.roaf.EvaluationEvent;
import dev.roaf.Model;
import dev.roaf.Trainer;
import dev.roaf.TrainingListener;
import dev.roaf.TrainingResult;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/** Trains a small roaf-rnn on data it makes itself, saves it, reloads it and checks the predictions. */
public final class EmbedExample {
    public static void main(String[] args) throws Exception {
        // The task: is the sum of 20 numbers in [-1, 1) positive? Sequences are float[examples][steps][features].
        int n = 512, steps = 20, train = 384;
        Random rng = new Random(42);
        float[][][] x = new float[n][steps][1];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            float sum = 0;
            for (int t = 0; t < steps; t++) {
                x[i][t][0] = rng.nextFloat() * 2 - 1;
                sum += x[i][t][0];
            }
            y[i] = sum > 0 ? 1 : 0;
        }
        Dataset data = Dataset.builder()
                .setTrain(Arrays.copyOfRange(x, 0, train), Arrays.copyOfRange(y, 0, train))
                .optTest(Arrays.copyOfRange(x, train, n), Arrays.copyOfRange(y, train, n))
                .optName("sign-of-sum")
                .build();

        Device device = Device.cpu();
        Path file = Files.createTempDirectory("roaf-embed").resolve("model.safetensors");
        float[][][] batch = Arrays.copyOfRange(x, train, train + 16);
        float[][] logits;
        TrainingResult result;
        // A Model holds native memory (parameters, engine threads): close it, here with try-with-resources.
        try (Model model = Model.roafRnn()
                .setShapeFrom(data)            // input size 1, 2 classes, T = 20 for beta = c / T
                .setHiddenSize(32)
                .optSeed(7)
                .optDevice(device)
                .build()) {
            result = Trainer.builder(model, data)
                    .setEpochs(8)
                    .optBatchSize(32)
                    .optLearningRate(0.01)
                    .optEvaluateEvery(24)
                    .addListener(new TrainingListener() {
                        @Override
                        public void onEvaluation(EvaluationEvent e) {
                            System.out.printf("step %d: test loss %.4f, test accuracy %.3f%n",
                                    e.step(), e.testLoss(), e.testAccuracy());
                        }
                    })
                    .build()
                    .fit();
            model.save(file);
            logits = model.predict(batch);     // float[16][2]
        }
        try (Model loaded = Model.load(file, device)) {
            float[][] again = loaded.predict(batch);
            if (!Arrays.deepEquals(logits, again)) {
                throw new AssertionError("the reloaded model predicts differently");
            }
            System.out.println("reloaded " + loaded + ": the same " + again.length + " predictions");
        }
        double accuracy = result.last().testAccuracy();
        if (accuracy < 0.8) {
            throw new AssertionError("test accuracy " + accuracy + " is below 0.8");
        }
        System.out.printf("test accuracy %.3f after %d steps%n", accuracy, result.steps());
    }
}
