package dev.roaf.engine.cuda;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs in the CPU build: which shapes the persistent recurrence kernels take (kernels/recurrence.cu, and the
 * persistent LSTM of kernels/lstm.cu) and that every layout respects the kernels' fixed limits (64 weights per thread, 512 threads, 2
 * elementwise items per thread, 8 batch rows per team, the shared-memory limit), on the shapes the
 * issue names and on thousands of random ones. A layout that broke a limit would read past the
 * registers' weight slice or leave units without a thread on the GPU.
 */
class RecurrenceLayoutTest {
    private static final int H100_SMS = 132;
    private static final int H100_SHARED = 227 * 1024;

    @Test
    void psmnistShapeIsOneBlockPerBatchRow() {
        RecurrenceLayout f = RecurrenceLayout.forward(128, 100, true, H100_SMS, 8, H100_SHARED);
        assertNotNull(f);
        assertEquals(1, f.cluster());
        assertEquals(1, f.rows());
        assertEquals(100, f.teams());
        assertEquals(512, f.threads());
        assertEquals("roaf_recurrence_forward", f.kernel("roaf_recurrence_forward"));
        RecurrenceLayout b = RecurrenceLayout.backward(128, 100, true, H100_SMS, 8, H100_SHARED);
        assertNotNull(b);
        assertEquals(1, b.cluster());
        assertEquals(4, b.segments());
        assertEquals(512, b.threads());
    }

    @Test
    void wideDenseRecurrenceUsesClustersOnlyWhereTheyExist() {
        RecurrenceLayout f = RecurrenceLayout.forward(256, 128, true, H100_SMS, 8, H100_SHARED);
        assertNotNull(f);
        assertEquals(4, f.cluster());
        assertEquals("roaf_recurrence_forward_x4", f.kernel("roaf_recurrence_forward"));
        // All teams of the T = 10,000 benchmark shape run at once on an H100 (one wave).
        assertTrue(f.teams() * f.cluster() <= H100_SMS, f.toString());
        RecurrenceLayout b = RecurrenceLayout.backward(256, 128, true, H100_SMS, 8, H100_SHARED);
        assertNotNull(b);
        assertEquals(4, b.cluster());
        assertTrue(b.teams() * b.cluster() <= H100_SMS, b.toString());
        // Before sm_90 there are no clusters: per-step launches.
        assertNull(RecurrenceLayout.forward(256, 128, true, 84, 1, 99 * 1024));
        assertNull(RecurrenceLayout.backward(256, 128, true, 84, 1, 99 * 1024));
        // Beyond the register budget even with 8 blocks: per-step launches.
        assertNull(RecurrenceLayout.forward(257, 128, true, H100_SMS, 8, H100_SHARED));
        assertNull(RecurrenceLayout.backward(513, 128, false, H100_SMS, 8, H100_SHARED));
        assertNotNull(RecurrenceLayout.forward(512, 128, false, H100_SMS, 8, H100_SHARED));
        assertNotNull(RecurrenceLayout.backward(512, 128, false, H100_SMS, 8, H100_SHARED));
    }

    @Test
    void psmnistLstmIsAClusterOfTwoOnSm90AndPerStepBefore() {
        // weight_hh of N = 128 is 512 x 128 floats: two blocks of 512 threads x 64 registers.
        RecurrenceLayout f = RecurrenceLayout.lstmForward(128, 100, H100_SMS, 8, H100_SHARED);
        assertNotNull(f);
        assertEquals(2, f.cluster());
        assertEquals(64, f.units());
        assertEquals(2, f.segments());
        assertEquals(512, f.threads());
        assertEquals("roaf_lstm_forward_x2", f.kernel("roaf_lstm_forward"));
        RecurrenceLayout b = RecurrenceLayout.lstmBackward(128, 100, H100_SMS, 8, H100_SHARED);
        assertNotNull(b);
        assertEquals(2, b.cluster());
        assertEquals(8, b.segments());
        assertEquals(16, b.chunks());
        assertEquals(512, b.threads());
        for (RecurrenceLayout l : new RecurrenceLayout[]{f, b}) {
            assertTrue(l.teams() * l.cluster() <= H100_SMS, l.toString());
        }
        // Without clusters: one block holds N <= 64 (forward 4 x 64 rows of one lane, backward 64 rows of four lanes).
        assertNull(RecurrenceLayout.lstmForward(128, 100, 108, 1, 163 * 1024));
        assertNotNull(RecurrenceLayout.lstmForward(64, 100, 108, 1, 163 * 1024));
        assertNull(RecurrenceLayout.lstmForward(65, 100, 108, 1, 163 * 1024));
        assertNotNull(RecurrenceLayout.lstmBackward(64, 100, 108, 1, 163 * 1024));
        assertNull(RecurrenceLayout.lstmBackward(65, 100, 108, 1, 163 * 1024));
        // The widest: N = 256 forward and N = 128 backward with clusters of 8 at most.
        assertNotNull(RecurrenceLayout.lstmForward(256, 64, H100_SMS, 8, H100_SHARED));
        assertNull(RecurrenceLayout.lstmForward(257, 64, H100_SMS, 8, H100_SHARED));
        assertNull(RecurrenceLayout.lstmBackward(129, 64, H100_SMS, 8, H100_SHARED));
    }

    @Test
    void everyLayoutRespectsTheKernelLimits() {
        SplittableRandom rnd = new SplittableRandom(5);
        int covered = 0;
        for (int i = 0; i < 20_000; i++) {
            int n = 1 + rnd.nextInt(rnd.nextBoolean() ? 140 : 600);
            int batch = 1 + rnd.nextInt(rnd.nextBoolean() ? 40 : 3000);
            boolean dense = rnd.nextBoolean();
            int sms = 1 + rnd.nextInt(150);
            int maxCluster = rnd.nextBoolean() ? 8 : 1;
            int shared = rnd.nextBoolean() ? 48 * 1024 : H100_SHARED;
            // 0, 1: the recurrence's forward and backward; 2, 3: the LSTM's.
            for (int sweep = 0; sweep < 4; sweep++) {
                boolean forward = sweep % 2 == 0, lstm = sweep >= 2;
                RecurrenceLayout l = switch (sweep) {
                    case 0 -> RecurrenceLayout.forward(n, batch, dense, sms, maxCluster, shared);
                    case 1 -> RecurrenceLayout.backward(n, batch, dense, sms, maxCluster, shared);
                    case 2 -> RecurrenceLayout.lstmForward(n, batch, sms, maxCluster, shared);
                    default -> RecurrenceLayout.lstmBackward(n, batch, sms, maxCluster, shared);
                };
                int length = lstm ? (forward ? n : 4 * n) : forward || !dense ? n : 2 * n;
                int rowsPerUnit = lstm ? (forward ? 4 : 1) : forward && dense ? 2 : 1;
                String what = (lstm ? "lstm " : "") + (forward ? "forward" : "backward") + " N=" + n + " B=" + batch + " dense="
                        + dense + " SMs=" + sms + " maxCluster=" + maxCluster + ": " + l;
                if (lstm ? n <= 64 || (maxCluster == 8 && n <= 128) : n <= 128) {
                    assertNotNull(l, what + " (always covered)");
                }
                if (l == null) {
                    continue;
                }
                covered++;
                assertTrue(l.cluster() <= maxCluster && Integer.bitCount(l.cluster()) == 1, what);
                assertTrue(Integer.bitCount(l.segments()) == 1 && l.segments() <= 8, what);
                assertTrue(l.chunks() >= 1 && l.chunks() <= RecurrenceLayout.MAX_CHUNKS, what);
                assertTrue(4 * l.segments() * l.chunks() >= length, what + ": the row does not fit the lanes");
                assertEquals((n + l.cluster() - 1) / l.cluster(), l.units(), what);
                assertTrue(l.threads() % 32 == 0 && l.threads() <= RecurrenceLayout.MAX_THREADS, what);
                assertTrue(l.threads() >= l.units() * rowsPerUnit * l.segments(), what + ": a weight row has no lanes");
                assertTrue(l.rows() >= 1 && l.rows() <= RecurrenceLayout.MAX_ROWS, what);
                assertTrue((long) l.rows() * l.units() <= (long) RecurrenceLayout.MAX_ITEMS * l.threads(), what + ": items");
                assertTrue((long) l.teams() * l.rows() >= batch && (long) (l.teams() - 1) * l.rows() < batch, what);
                assertTrue(l.sharedBytes() <= shared, what);
            }
        }
        assertTrue(covered > 10_000, "only " + covered + " shapes covered");
    }

    @Test
    void aForcedLayoutIsTheChoiceWhereTheyMeetAndRespectsTheLimitsElsewhere() {
        // The choice, forced: the same layout (so the sweep's "layout's choice" row and the forced rows compare like with like).
        for (int n : new int[]{1, 17, 64, 70, 127, 128, 200, 256, 512}) {
            for (int batch : new int[]{1, 9, 100, 128, 3000}) {
                for (boolean dense : new boolean[]{false, true}) {
                    for (boolean forward : new boolean[]{true, false}) {
                        RecurrenceLayout l = forward ? RecurrenceLayout.forward(n, batch, dense, H100_SMS, 8, H100_SHARED)
                                : RecurrenceLayout.backward(n, batch, dense, H100_SMS, 8, H100_SHARED);
                        if (l != null) {
                            assertEquals(l, RecurrenceLayout.of(forward, n, batch, dense, l.cluster(), l.rows(), l.segments(), H100_SHARED));
                        }
                    }
                }
            }
        }
        // psMNIST's dense recurrence in one block: 2 lanes per row forward (128 x 2 rows x 2 = 512 threads); the
        // backward's 256-float rows need 4 lanes (16 float4 each); 8 lanes is 1,024 threads forward, too many.
        assertNotNull(RecurrenceLayout.of(true, 128, 100, true, 1, 1, 2, H100_SHARED));
        assertNull(RecurrenceLayout.of(false, 128, 100, true, 1, 1, 2, H100_SHARED), "32 float4 per lane");
        assertNotNull(RecurrenceLayout.of(false, 128, 100, true, 1, 1, 4, H100_SHARED));
        assertNull(RecurrenceLayout.of(true, 128, 100, true, 1, 1, 4, H100_SHARED), "1,024 threads");
        assertNull(RecurrenceLayout.of(true, 128, 100, true, 1, 1, 3, H100_SHARED), "lanes must be a power of two");
        assertNull(RecurrenceLayout.of(true, 128, 100, true, 3, 1, 2, H100_SHARED), "clusters of 1, 2, 4, 8");
        assertNull(RecurrenceLayout.of(true, 128, 100, true, 16, 1, 2, H100_SHARED), "clusters of 1, 2, 4, 8");
        assertEquals(3, RecurrenceLayout.of(true, 70, 3, false, 1, 8, 2, H100_SHARED).rows(), "rows above the batch are cut to it");
        // Random forced layouts: each one the kernels accept respects their limits.
        SplittableRandom rnd = new SplittableRandom(11);
        int accepted = 0;
        for (int i = 0; i < 20_000; i++) {
            int n = 1 + rnd.nextInt(600), batch = 1 + rnd.nextInt(300);
            boolean dense = rnd.nextBoolean(), forward = rnd.nextBoolean();
            int cluster = 1 << rnd.nextInt(4), rows = 1 + rnd.nextInt(9), segments = 1 << rnd.nextInt(4);
            int shared = rnd.nextBoolean() ? 48 * 1024 : H100_SHARED;
            RecurrenceLayout l = RecurrenceLayout.of(forward, n, batch, dense, cluster, rows, segments, shared);
            if (l == null) {
                continue;
            }
            accepted++;
            String what = (forward ? "forward" : "backward") + " N=" + n + " B=" + batch + " dense=" + dense + ": " + l;
            int length = forward || !dense ? n : 2 * n;
            assertEquals(cluster, l.cluster(), what);
            assertEquals(segments, l.segments(), what);
            assertEquals(Math.min(rows, batch), l.rows(), what);
            assertTrue(l.chunks() >= 1 && l.chunks() <= RecurrenceLayout.MAX_CHUNKS, what);
            assertTrue(4 * l.segments() * l.chunks() >= length, what + ": the row does not fit the lanes");
            assertTrue(l.threads() % 32 == 0 && l.threads() <= RecurrenceLayout.MAX_THREADS, what);
            assertTrue(l.threads() >= l.units() * (forward && dense ? 2 : 1) * l.segments(), what + ": a weight row has no lanes");
            assertTrue(l.rows() <= RecurrenceLayout.MAX_ROWS, what);
            assertTrue((long) l.rows() * l.units() <= (long) RecurrenceLayout.MAX_ITEMS * l.threads(), what + ": items");
            assertTrue((long) l.teams() * l.rows() >= batch && (long) (l.teams() - 1) * l.rows() < batch, what);
            assertTrue(l.sharedBytes() <= shared, what);
        }
        assertTrue(accepted > 2_000, "only " + accepted + " forced layouts accepted");
    }
}
