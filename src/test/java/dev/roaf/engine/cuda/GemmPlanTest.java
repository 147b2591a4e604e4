package dev.roaf.engine.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The own GEMM's plan (tile shape, split of K) for the products the models issue, on an H100/H200 (132 SMs). */
class GemmPlanTest {
    private static final int SMS = 132;

    @Test
    void aRecurrencesWeightGradientIsSplitIntoEnoughBlocksForTheGpu() {
        // psMNIST, N = 128, B = 100: dW = d^T h, [128 x 78,400] x [78,400 x 128]
        GemmPlan dw = GemmPlan.of(128, 128, 78_400, SMS);
        assertTrue(dw.bigTiles(), "a 128 x 128 result takes the 128 x 128 tile");
        assertTrue(dw.splits() >= SMS, "one tile must become at least one block per SM, got " + dw);
        covers(dw, 78_400);
        // dU = d^T x with one input per step: a skinny result, 32 x 32 tiles
        GemmPlan du = GemmPlan.of(128, 1, 78_400, SMS);
        assertFalse(du.bigTiles());
        assertTrue(4L * du.splits() >= SMS, "4 tiles x splits must fill the GPU, got " + du);
        covers(du, 78_400);
    }

    @Test
    void productsThatFillTheGpuOrHaveShortKAreNotSplit() {
        assertEquals(new GemmPlan(true, 1, 4096), GemmPlan.of(4096, 4096, 4096, SMS));
        assertEquals(new GemmPlan(false, 1, 600), GemmPlan.of(1000, 600, 600, SMS)); // 608 small tiles
        assertEquals(new GemmPlan(false, 1, 128), GemmPlan.of(100, 128, 128, SMS)); // a recurrence's per-step product
        assertEquals(new GemmPlan(false, 1, 2047), GemmPlan.of(128, 128, 2047, SMS)); // under MIN_SPLIT_K
        assertEquals(new GemmPlan(false, 1, 512), GemmPlan.of(100, 128, 512, SMS)); // an LSTM's per-step backward product (N = 128)
        assertTrue(GemmPlan.of(128, 128, 2048, SMS).splits() > 1);
        assertEquals(new GemmPlan(false, 1, 1), GemmPlan.of(1, 1, 1, SMS));
    }

    @Test
    void slicesAreMultiplesOf16CoverKAndFitTheGrid() {
        int[] sizes = {1, 7, 33, 96, 128, 129, 300, 1000};
        int[] ks = {1, 255, 256, 512, 513, 4099, 78_400, 1_000_000, Integer.MAX_VALUE / 2};
        for (int sms : new int[]{1, 46, 132, 1000}) {
            for (int m : sizes) {
                for (int n : sizes) {
                    for (int k : ks) {
                        GemmPlan p = GemmPlan.of(m, n, k, sms);
                        covers(p, k);
                        if (p.splits() > 1) {
                            assertEquals(0, p.kSlice() % 16, p.toString());
                            assertTrue(p.kSlice() >= GemmPlan.MIN_SLICE && k >= GemmPlan.MIN_SPLIT_K, p.toString());
                            long tilesM = GemmPlan.tiles(m, p.bigTiles() ? 128 : 32);
                            assertTrue(tilesM * p.splits() <= GemmPlan.MAX_GRID_Y, p.toString());
                            long tiles = tilesM * GemmPlan.tiles(n, p.bigTiles() ? 128 : 32);
                            assertTrue(tiles * (p.splits() - 1) < 2L * GemmPlan.BLOCKS_PER_SM * sms, "no more blocks than asked: " + p);
                            assertEquals(4L * p.splits() * m * n, p.partialBytes(m, n));
                        } else {
                            assertEquals(k, p.kSlice());
                            assertEquals(0, p.partialBytes(m, n));
                        }
                    }
                }
            }
        }
    }

    @Test
    void theUnsplitPlanIsTheSameTilesWithKWhole() {
        assertEquals(new GemmPlan(false, 1, 78_400), GemmPlan.unsplit(128, 128, 78_400, SMS));
        assertEquals(GemmPlan.of(4096, 4096, 4096, SMS), GemmPlan.unsplit(4096, 4096, 4096, SMS));
        assertEquals(GemmPlan.of(100, 128, 128, SMS), GemmPlan.unsplit(100, 128, 128, SMS));
    }

    @Test
    void nonPositiveShapesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> GemmPlan.of(0, 1, 1, SMS));
        assertThrows(IllegalArgumentException.class, () -> GemmPlan.of(1, 1, 1, 0));
    }

    /** Every element of K in exactly one slice, and no slice empty. */
    private static void covers(GemmPlan p, int k) {
        assertTrue((long) p.splits() * p.kSlice() >= k, p + " does not reach K = " + k);
        assertTrue((long) (p.splits() - 1) * p.kSlice() < k, p + " has an empty last slice for K = " + k);
    }
}
