package dev.roaf;

import java.util.SplittableRandom;

/** Small synthetic datasets for the API tests. */
final class TinyData {
    private TinyData() {
    }

    /** Sequences of {@code steps} values in [-1, 1); label 1 when their sum is positive. */
    static Dataset signTask(int examples, int steps, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[][][] x = new float[examples][steps][1];
        int[] y = new int[examples];
        for (int i = 0; i < examples; i++) {
            float sum = 0;
            for (int t = 0; t < steps; t++) {
                x[i][t][0] = (float) (rng.nextDouble() * 2 - 1);
                sum += x[i][t][0];
            }
            y[i] = sum > 0 ? 1 : 0;
        }
        return Dataset.builder().setTrain(x, y).optName("sign").build();
    }
}
