package dev.roaf.engine.cuda;

import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;

import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;

/**
 * Launch sequences recorded once as CUDA graphs and replayed with one {@code cuGraphLaunch}: an LSTM's
 * forward or backward sweep is two launches per time step (a product and a cell kernel), and each launch
 * costs the host more than the GPU spends on it, so a replayed sweep saves the host's share.
 *
 * <p>A sequence is named by a key that must hold everything its launches depend on (the operation, every
 * device address and size): a graph replays the same kernels with the same arguments. The first call with
 * a key runs eagerly (a warm-up: cuBLAS, scratch buffers and modules allocate what they need outside any
 * capture), the second is captured (relaxed mode) and launched, later ones replay. A capture that fails
 * (something in the sequence that a capture refuses) is reported once through the engine's log and the key
 * runs eagerly from then on. At most {@value #CAPACITY} graphs are kept, least recently used dropped first.
 */
class LaunchGraphs implements AutoCloseable {
    static final int CAPACITY = 8;

    private final Map<String, CUgraphExec> graphs = new LinkedHashMap<>(16, 0.75f, true);
    private final Set<String> seen = new HashSet<>();
    private final Set<String> refused = new HashSet<>();
    private long captures;

    /**
     * Runs {@code launches} (which must only enqueue work on {@code stream}) eagerly, or captured, or as a
     * replay of its graph, as described above.
     *
     * @param capturing told true while the launches are being captured (so they can avoid what a capture refuses)
     */
    void run(String key, CUstream stream, Runnable launches, Consumer<Boolean> capturing, Consumer<String> log) {
        CUgraphExec exec = graphs.get(key);
        if (exec != null) {
            launch(exec, stream);
            return;
        }
        if (seen.size() > 4 * 1024) {
            seen.clear(); // keys that never repeat (fresh tensors every call) must not pile up
        }
        if (refused.contains(key) || seen.add(key)) {
            launches.run();
            return;
        }
        CUgraph graph = new CUgraph();
        boolean captured = false, ended = false;
        String why = null;
        capturing.accept(true);
        try {
            beginCapture(stream);
            try {
                launches.run();
            } finally {
                endCapture(stream, graph);
                ended = true;
            }
            captured = true;
        } catch (jcuda.CudaException e) {
            why = CudaProbe.firstLine(e.getMessage());
        } finally {
            capturing.accept(false);
            if (ended && !captured) {
                destroyGraph(graph); // the capture ended but what it recorded is not used
            }
        }
        if (!captured) {
            refused.add(key);
            if (log != null) {
                log.accept("roaf: a CUDA graph could not capture " + key.substring(0, key.indexOf(' ') < 0 ? key.length()
                        : key.indexOf(' ')) + " (" + why + "); it runs launch by launch");
            }
            launches.run();
            return;
        }
        exec = new CUgraphExec();
        try {
            instantiate(exec, graph);
        } finally {
            destroyGraph(graph);
        }
        graphs.put(key, exec);
        captures++;
        if (graphs.size() > CAPACITY) {
            Iterator<Map.Entry<String, CUgraphExec>> oldest = graphs.entrySet().iterator();
            destroyExec(oldest.next().getValue());
            oldest.remove();
        }
        launch(exec, stream);
    }

    // The driver calls, one method each: LaunchGraphsTest replaces them to check the logic above without a GPU.

    void beginCapture(CUstream stream) {
        cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED);
    }

    void endCapture(CUstream stream, CUgraph graph) {
        cuStreamEndCapture(stream, graph);
    }

    void instantiate(CUgraphExec exec, CUgraph graph) {
        cuGraphInstantiate(exec, graph, 0);
    }

    void destroyGraph(CUgraph graph) {
        cuGraphDestroy(graph);
    }

    void launch(CUgraphExec exec, CUstream stream) {
        cuGraphLaunch(exec, stream);
    }

    void destroyExec(CUgraphExec exec) {
        cuGraphExecDestroy(exec);
    }

    /** Graphs kept now. */
    int size() {
        return graphs.size();
    }

    /** Sequences captured so far (graphs dropped since included). */
    long captures() {
        return captures;
    }

    @Override
    public void close() {
        for (CUgraphExec e : graphs.values()) {
            destroyExec(e);
        }
        graphs.clear();
        seen.clear();
        refused.clear();
    }
}
