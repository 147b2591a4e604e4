package dev.roaf.engine.cuda;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs in the CPU build: which shapes the fused MLP stack kernels take (kernels/mlp_stack.cu) and that
 * every layout respects the kernels' fixed limits (32 weights per thread per layer, 512 threads, 16 lanes
 * per row, 2 elementwise items per thread, 8 batch rows per team, the shared-memory limit), on the
 * issue's shapes and on thousands of random ones. A layout that broke a limit would drop part of a
 * weight row or leave units without a thread on the GPU.
 */
class MlpStackLayoutTest {
    private static final int H100_SMS = 132;
    private static final int H100_SHARED = 227 * 1024;
    private static final int A100_SMS = 108;
    private static final int A100_SHARED = 163 * 1024;

    @Test
    void issueShapeUsesClustersOfEightAndEightRowsPerTeamOnAnH100() {
        // N = 128, B = 128, signed permutation: 16 teams of 8 rows, 8 blocks of 16 units: 128 blocks on 132 SMs.
        MlpStackLayout f = MlpStackLayout.forward(128, 128, false, H100_SMS, 8, H100_SHARED);
        assertNotNull(f);
        assertEquals(8, f.cluster());
        assertEquals(8, f.rows());
        assertEquals(16, f.teams());
        assertEquals(16, f.units());
        assertEquals(16, f.segments());
        assertEquals(2, f.chunks());
        assertEquals(256, f.threads());
        assertEquals("roaf_mlp_stack_forward_x8", f.kernel("roaf_mlp_stack_forward"));
        assertTrue(f.teams() * f.cluster() <= H100_SMS);
        MlpStackLayout b = MlpStackLayout.backward(128, 128, false, H100_SMS, 8, H100_SHARED);
        assertNotNull(b);
        assertEquals(8, b.cluster());
        assertEquals(256, b.threads());
        // Dense per-layer O: forward rows [W_l; O_l] (32 per block), backward columns of length 2N = 256.
        MlpStackLayout fd = MlpStackLayout.forward(128, 128, true, H100_SMS, 8, H100_SHARED);
        assertNotNull(fd);
        assertEquals(512, fd.threads());
        assertEquals(2, fd.chunks());
        // ... the layout roaf_mlp_stack_*_fixed_x8 compile in, as is the permutation's (both sweeps) above.
        assertEquals(8, fd.cluster());
        assertEquals(8, fd.rows());
        assertEquals(16, fd.segments());
        assertEquals(16, b.segments());
        assertEquals(2, b.chunks());
        assertEquals(8, b.rows());
        MlpStackLayout bd = MlpStackLayout.backward(128, 128, true, H100_SMS, 8, H100_SHARED);
        assertNotNull(bd);
        assertEquals(16, bd.segments());
        assertEquals(4, bd.chunks());
        assertEquals(256, bd.threads());
    }

    @Test
    void olderGpusUseOneBlockPerTeamAndCoverNarrowerStacks() {
        MlpStackLayout f = MlpStackLayout.forward(128, 128, false, A100_SMS, 1, A100_SHARED);
        assertNotNull(f);
        assertEquals(1, f.cluster());
        assertEquals(4, f.segments());
        assertEquals(512, f.threads());
        assertEquals("roaf_mlp_stack_forward", f.kernel("roaf_mlp_stack_forward"));
        assertNotNull(MlpStackLayout.backward(128, 128, false, A100_SMS, 1, A100_SHARED));
        // Dense at N = 128 needs 2 x 128 rows of 128 floats per block: beyond one block's registers.
        assertNull(MlpStackLayout.forward(128, 128, true, A100_SMS, 1, A100_SHARED));
        assertNull(MlpStackLayout.backward(128, 128, true, A100_SMS, 1, A100_SHARED));
        assertNotNull(MlpStackLayout.forward(64, 128, true, A100_SMS, 1, A100_SHARED));
        assertNotNull(MlpStackLayout.backward(64, 128, true, A100_SMS, 1, A100_SHARED));
        assertNull(MlpStackLayout.forward(129, 128, false, A100_SMS, 1, A100_SHARED));
    }

    @Test
    void widthsUpTo256AreCoveredOnSm90AndWiderOnesFallBack() {
        for (int n = 1; n <= 256; n++) {
            for (boolean dense : new boolean[]{false, true}) {
                assertNotNull(MlpStackLayout.forward(n, 128, dense, H100_SMS, 8, H100_SHARED), "forward N=" + n + " dense=" + dense);
                assertNotNull(MlpStackLayout.backward(n, 128, dense, H100_SMS, 8, H100_SHARED), "backward N=" + n + " dense=" + dense);
                assertNotNull(MlpStackLayout.forward(n, 1, dense, H100_SMS, 8, H100_SHARED), "forward N=" + n + " B=1");
            }
        }
        assertNull(MlpStackLayout.forward(257, 128, false, H100_SMS, 8, H100_SHARED));
        assertNull(MlpStackLayout.backward(257, 128, true, H100_SMS, 8, H100_SHARED));
        assertNull(MlpStackLayout.forward(1024, 128, false, H100_SMS, 8, H100_SHARED));
        assertNull(MlpStackLayout.forward(0, 128, false, H100_SMS, 8, H100_SHARED));
        assertNull(MlpStackLayout.forward(16, 0, false, H100_SMS, 8, H100_SHARED));
    }

    @Test
    void smallStacksDoNotSplitBelowSixteenUnitsPerBlock() {
        MlpStackLayout f = MlpStackLayout.forward(16, 8, false, H100_SMS, 8, H100_SHARED);
        assertNotNull(f);
        assertEquals(1, f.cluster());
        assertEquals(1, f.teams());
        MlpStackLayout g = MlpStackLayout.forward(64, 8, false, H100_SMS, 8, H100_SHARED);
        assertNotNull(g);
        assertEquals(4, g.cluster());
    }

    @Test
    void everyLayoutRespectsTheKernelLimits() {
        SplittableRandom rnd = new SplittableRandom(6);
        int checked = 0;
        for (int trial = 0; trial < 20_000; trial++) {
            int n = 1 + rnd.nextInt(rnd.nextBoolean() ? 64 : 320);
            int batch = 1 + rnd.nextInt(rnd.nextBoolean() ? 16 : 600);
            boolean dense = rnd.nextBoolean(), forward = rnd.nextBoolean();
            int maxCluster = rnd.nextBoolean() ? 8 : 1;
            int sms = 1 + rnd.nextInt(200);
            int sharedLimit = rnd.nextInt(4) == 0 ? 16 * 1024 : H100_SHARED;
            MlpStackLayout l = forward ? MlpStackLayout.forward(n, batch, dense, sms, maxCluster, sharedLimit)
                    : MlpStackLayout.backward(n, batch, dense, sms, maxCluster, sharedLimit);
            if (l == null) {
                continue;
            }
            checked++;
            String what = l + " for N=" + n + " B=" + batch + " dense=" + dense + " forward=" + forward;
            int length = forward || !dense ? n : 2 * n;
            int rowsPerUnit = forward && dense ? 2 : 1;
            assertTrue(l.cluster() == 1 || l.cluster() == 2 || l.cluster() == 4 || l.cluster() == 8, what);
            assertTrue(l.cluster() <= maxCluster, what);
            assertEquals((n + l.cluster() - 1) / l.cluster(), l.units(), what);
            assertTrue(Integer.bitCount(l.segments()) == 1 && l.segments() <= MlpStackLayout.MAX_SEGMENTS, what);
            assertTrue(l.chunks() >= 1 && l.chunks() <= MlpStackLayout.MAX_CHUNKS, what);
            assertTrue(4L * l.segments() * l.chunks() >= length, "a weight row must fit the lanes: " + what);
            assertTrue(l.threads() % 32 == 0 && l.threads() <= MlpStackLayout.MAX_THREADS, what);
            assertTrue(l.threads() >= l.units() * rowsPerUnit * l.segments(), "every weight row needs its lanes: " + what);
            assertTrue(l.rows() >= 1 && l.rows() <= MlpStackLayout.MAX_ROWS && l.rows() <= batch, what);
            assertTrue((long) l.rows() * l.units() <= (long) MlpStackLayout.MAX_ITEMS * l.threads(), "items: " + what);
            assertEquals((batch + l.rows() - 1) / l.rows(), l.teams(), what);
            long stride = 4L * l.segments() * l.chunks();
            long floats = forward ? 2L * l.rows() * stride + (long) l.rows() * l.units() * rowsPerUnit
                    : 2L * l.rows() * stride + 3L * l.rows() * l.units();
            assertEquals(4 * floats, l.sharedBytes(), what);
            assertTrue(l.sharedBytes() <= sharedLimit, what);
            // The same rules with the chosen cluster and rows give the same layout (the emulator forces them).
            assertEquals(l, MlpStackLayout.of(forward, n, batch, dense, l.cluster(), l.rows(), sharedLimit), what);
        }
        assertTrue(checked > 10_000, "most random shapes are covered: " + checked);
    }
}
