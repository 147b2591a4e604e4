package dev.roaf.engine.cuda;

import jcuda.CudaException;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstream;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The logic of {@link LaunchGraphs} without a GPU: its driver calls are replaced by a recorder, so what is
 * checked is the order eager, captured, replayed; the fallback when a capture fails; the eviction; close.
 */
class LaunchGraphsTest {
    /** Records the driver calls; a capture fails while {@code failCapture} is set (as the driver would throw). */
    private static final class Recorded extends LaunchGraphs {
        final List<String> calls = new ArrayList<>();
        boolean inCapture;
        boolean failCapture;

        @Override
        void beginCapture(CUstream stream) {
            calls.add("begin");
            inCapture = true;
        }

        @Override
        void endCapture(CUstream stream, CUgraph graph) {
            calls.add("end");
            inCapture = false;
            if (failCapture) {
                throw new CudaException("CUDA_ERROR_STREAM_CAPTURE_INVALIDATED");
            }
        }

        @Override
        void instantiate(CUgraphExec exec, CUgraph graph) {
            calls.add("instantiate");
        }

        @Override
        void destroyGraph(CUgraph graph) {
            calls.add("destroyGraph");
        }

        @Override
        void launch(CUgraphExec exec, CUstream stream) {
            calls.add("launch");
        }

        @Override
        void destroyExec(CUgraphExec exec) {
            calls.add("destroyExec");
        }
    }

    private final CUstream stream = new CUstream();

    @Test
    void firstEagerSecondCapturedThenReplayed() {
        Recorded g = new Recorded();
        int[] runs = new int[1];
        List<Boolean> capturingSeen = new ArrayList<>();
        boolean[] capturing = new boolean[1];
        Runnable launches = () -> {
            runs[0]++;
            capturingSeen.add(capturing[0] && g.inCapture);
        };
        g.run("k", stream, launches, on -> capturing[0] = on, null);
        assertEquals(1, runs[0]);
        assertEquals(List.of(), g.calls, "the first call runs eagerly");
        g.run("k", stream, launches, on -> capturing[0] = on, null);
        assertEquals(2, runs[0]);
        assertEquals(List.of("begin", "end", "instantiate", "destroyGraph", "launch"), g.calls);
        assertEquals(List.of(false, true), capturingSeen, "the engine is told it is capturing during the capture only");
        assertFalse(capturing[0]);
        g.calls.clear();
        for (int i = 0; i < 3; i++) {
            g.run("k", stream, launches, on -> capturing[0] = on, null);
        }
        assertEquals(2, runs[0], "replays do not run the launches again");
        assertEquals(List.of("launch", "launch", "launch"), g.calls);
        assertEquals(1, g.size());
        assertEquals(1, g.captures());
    }

    @Test
    void aFailedCaptureFallsBackToEagerRunsAndIsReportedOnce() {
        Recorded g = new Recorded();
        g.failCapture = true;
        int[] runs = new int[1];
        List<String> log = new ArrayList<>();
        Runnable launches = () -> runs[0]++;
        for (int i = 0; i < 4; i++) {
            g.run("lstmForward ptrs", stream, launches, on -> { }, log::add);
        }
        // eager, failed capture (launches captured, then run again eagerly), then eager twice
        assertEquals(5, runs[0]);
        assertEquals(List.of("begin", "end"), g.calls, "one capture tried, nothing instantiated or launched");
        assertEquals(1, log.size(), log.toString());
        assertTrue(log.get(0).contains("lstmForward") && log.get(0).contains("CAPTURE_INVALIDATED"), log.get(0));
        assertEquals(0, g.size());
        assertEquals(0, g.captures());
    }

    @Test
    void aLaunchThatFailsDuringTheCaptureLeavesNoGraphBehind() {
        Recorded g = new Recorded();
        int[] runs = new int[1];
        Runnable launches = () -> {
            runs[0]++;
            if (g.inCapture) {
                throw new CudaException("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED");
            }
        };
        List<String> log = new ArrayList<>();
        g.run("k", stream, launches, on -> { }, log::add);
        g.run("k", stream, launches, on -> { }, log::add);
        assertEquals(List.of("begin", "end", "destroyGraph"), g.calls, "the ended capture's graph is destroyed");
        assertEquals(3, runs[0], "eager, captured (failed), eager again");
        assertEquals(1, log.size());
    }

    @Test
    void theLeastRecentlyUsedGraphIsDroppedBeyondCapacityAndCloseDestroysTheRest() {
        Recorded g = new Recorded();
        Runnable nothing = () -> { };
        for (int k = 0; k < LaunchGraphs.CAPACITY; k++) {
            g.run("key" + k, stream, nothing, on -> { }, null);
            g.run("key" + k, stream, nothing, on -> { }, null);
        }
        assertEquals(LaunchGraphs.CAPACITY, g.size());
        assertEquals(0, g.calls.stream().filter("destroyExec"::equals).count());
        g.run("key0", stream, nothing, on -> { }, null); // key0 replayed: key1 is now the least recently used
        String extra = "key" + LaunchGraphs.CAPACITY;
        g.run(extra, stream, nothing, on -> { }, null);
        g.run(extra, stream, nothing, on -> { }, null); // captured: one graph too many
        assertEquals(LaunchGraphs.CAPACITY, g.size());
        assertEquals(1, g.calls.stream().filter("destroyExec"::equals).count());
        g.calls.clear();
        g.run("key0", stream, nothing, on -> { }, null);
        assertEquals(List.of("launch"), g.calls, "key0 was kept");
        g.calls.clear();
        g.run("key1", stream, nothing, on -> { }, null);
        assertEquals("begin", g.calls.get(0), "key1 was dropped: captured again (it was seen before)");
        g.close();
        assertEquals(0, g.size());
        // key1's new graph dropped the least recently used one again; close destroyed the CAPACITY kept
        assertEquals(LaunchGraphs.CAPACITY + 1, g.calls.stream().filter("destroyExec"::equals).count());
    }
}
