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
    void thinProductsTakeTheThinKernels() {
        // psMNIST (one input per step), B = 100: U x_t for all steps is [78,400 x 1] x [1 x 128], dU = d^T x is
        // [128 x 78,400] x [78,400 x 1]; adding (two inputs) at T = 10,000, B = 128, N = 256; copy (ten inputs)
        assertTrue(GemmPlan.thinK(1) && GemmPlan.thinK(2) && GemmPlan.thinK(10) && GemmPlan.thinK(GemmPlan.THIN));
        assertFalse(GemmPlan.thinK(GemmPlan.THIN + 1), "a per-step product (K = N) keeps the tiles");
        assertTrue(GemmPlan.thinN(true, false, 1, 78_400) && GemmPlan.thinN(true, false, 10, 78_400));
        assertFalse(GemmPlan.thinN(true, false, 17, 78_400), "wider than the kernel's accumulators");
        assertFalse(GemmPlan.thinN(false, false, 1, 78_400), "only A^T B has a thin kernel");
        assertFalse(GemmPlan.thinN(true, true, 1, 78_400), "only A^T B has a thin kernel");
        assertFalse(GemmPlan.thinN(true, false, 1, GemmPlan.MIN_SPLIT_K - 1), "short K keeps the tiles");
        GemmPlan du = GemmPlan.thinSplit(128, 78_400, SMS);
        assertEquals(GemmPlan.THIN_MAX_SPLITS, du.splits(), du.toString());
        covers(du, 78_400);
        GemmPlan adding = GemmPlan.thinSplit(256, 1_280_000, SMS);
        assertEquals(GemmPlan.THIN_MAX_SPLITS, adding.splits(), "2 row blocks x 128 slices: about two blocks per SM");
        covers(adding, 1_280_000);
    }

    @Test
    void thinSlicesAreMultiplesOf4CoverKAndStayFew() {
        for (int sms : new int[]{1, 46, 132, 1000}) {
            for (int m : new int[]{1, 7, 128, 129, 512, 100_000}) {
                for (int k : new int[]{1, 3, 63, 64, 2048, 78_401, 1_280_000, Integer.MAX_VALUE / 2}) {
                    GemmPlan p = GemmPlan.thinSplit(m, k, sms);
                    covers(p, k);
                    assertEquals(0, p.kSlice() % 4, p.toString());
                    assertTrue(p.splits() >= 1 && p.splits() <= GemmPlan.THIN_MAX_SPLITS, p.toString());
                    assertTrue(p.splits() == 1 || p.kSlice() >= GemmPlan.THIN_MIN_SLICE, p.toString());
                    long rowBlocks = GemmPlan.tiles(m, GemmPlan.THIN_ROWS);
                    assertTrue(rowBlocks * (p.splits() - 1) < 4L * sms, "no more blocks than asked: " + p);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> GemmPlan.thinSplit(0, 1, SMS));
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
