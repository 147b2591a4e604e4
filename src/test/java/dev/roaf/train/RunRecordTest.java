package dev.roaf.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The curves' loss axis: linear for a loss within two decades, logarithmic beyond. */
class RunRecordTest {

    @Test
    void lossAxisTurnsLogarithmicBeyondTwoDecades() {
        assertFalse(RunRecord.spansDecades(new double[] {2.3, 1.1, 0.4}, new double[] {0.5}), "psMNIST-like: linear");
        assertTrue(RunRecord.spansDecades(new double[] {32, 0.5, 0.001}, new double[] {0.02, 0.0002}), "copy-like: log");
        assertTrue(RunRecord.spansDecades(new double[] {2.0}, new double[] {0.01}), "the decades may come from either series");
        assertFalse(RunRecord.spansDecades(new double[] {0, -1, Double.NaN, 5}, new double[0]), "non-positive and NaN values are ignored");
        assertFalse(RunRecord.spansDecades(), "no values");
    }
}
