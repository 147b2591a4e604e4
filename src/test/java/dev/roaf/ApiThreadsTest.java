package dev.roaf;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The threading rule of {@link Model}: shared between threads, its operations run one at a time and stay correct. */
class ApiThreadsTest {

    private static float[][][] inputs(int batch, int steps, long seed) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        float[][][] x = new float[batch][steps][1];
        for (float[][] seq : x) {
            for (float[] step : seq) {
                step[0] = (float) (rng.nextDouble() * 2 - 1);
            }
        }
        return x;
    }

    @Test
    void concurrentPredictionsOnOneModelEqualSequentialOnes() throws Exception {
        try (Model model = Model.roafRnn().setInputSize(1).setHiddenSize(16).setOutputs(3).optSequenceLength(12)
                .optDevice(Device.cpu(2)).build()) {
            // Different batch sizes per thread force workspace reallocation: without the lock this corrupts results.
            List<float[][][]> batches = new ArrayList<>();
            List<float[][]> expected = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                float[][][] x = inputs(3 + i, 12, i);
                batches.add(x);
                expected.add(model.predict(x));
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<float[][]>> got = new ArrayList<>();
                for (int round = 0; round < 5; round++) {
                    for (float[][][] x : batches) {
                        got.add(pool.submit(() -> model.predict(x)));
                    }
                }
                for (int i = 0; i < got.size(); i++) {
                    float[][] y = got.get(i).get(60, TimeUnit.SECONDS);
                    float[][] want = expected.get(i % batches.size());
                    for (int r = 0; r < want.length; r++) {
                        assertArrayEquals(want[r], y[r], "prediction " + i + " row " + r);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void predictionFromAnotherThreadWaitsForTrainingToFinish() throws Exception {
        Dataset data = TinyData.signTask(64, 10, 3);
        try (Model model = Model.roafRnn().setShapeFrom(data).setHiddenSize(8).optDevice(Device.cpu(1)).build()) {
            CountDownLatch started = new CountDownLatch(1);
            java.util.concurrent.atomic.AtomicLong lastStep = new java.util.concurrent.atomic.AtomicLong();
            Trainer trainer = Trainer.builder(model, data).setSteps(40).optBatchSize(8).optEvaluateEvery(0)
                    .addListener(new TrainingListener() {
                        @Override
                        public void onStep(StepEvent step) {
                            lastStep.set(step.step());
                            started.countDown();
                        }
                    }).build();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<TrainingResult> fit = pool.submit(trainer::fit);
                started.await(60, TimeUnit.SECONDS);
                float[][] during = model.predict(inputs(4, 10, 9)); // blocks until fit() releases the model
                assertEquals(40, lastStep.get(), "predict ran while fit() was still training");
                assertEquals(40, fit.get().steps());
                assertArrayEquals(model.predict(inputs(4, 10, 9))[0], during[0], "the prediction saw the trained parameters");
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
