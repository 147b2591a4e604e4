package dev.roaf.engine.cuda;

import jcuda.driver.CUevent;
import jcuda.driver.CUstream;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;

/**
 * Times engine operations with a pair of CUDA events each on the engine's stream, for a breakdown of a
 * training update by operation ({@link CudaEngine#startProfile}). An operation's time runs from when the
 * stream reaches its first event to when it passes its last, so it includes launch overhead whenever the
 * GPU waits for the host; host work between operations is in no operation's time.
 */
class OpProfiler implements AutoCloseable {
    /** Event pairs, reused across profiles: {@code events[2i]} starts operation i, {@code events[2i+1]} ends it. */
    private final List<CUevent> events = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    private String pending;

    /** Marks the start of {@code op} on {@code stream}. */
    void begin(String op, CUstream stream) {
        int i = names.size();
        while (events.size() < 2 * i + 2) {
            events.add(create());
        }
        record(events.get(2 * i), stream);
        pending = op;
    }

    /** Marks the end of the operation begun last (an operation that failed before its end is dropped). */
    void end(CUstream stream) {
        if (pending == null) {
            return;
        }
        record(events.get(2 * names.size() + 1), stream);
        names.add(pending);
        pending = null;
    }

    /**
     * The recorded operations, summed by name, longest first; the stream must have passed every event
     * (synchronise first). Clears the record.
     */
    List<CudaEngine.OpTime> collect() {
        Map<String, double[]> sums = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            double[] s = sums.computeIfAbsent(names.get(i), k -> new double[2]);
            s[0]++;
            s[1] += elapsedMs(events.get(2 * i), events.get(2 * i + 1));
        }
        names.clear();
        pending = null;
        List<CudaEngine.OpTime> out = new ArrayList<>();
        sums.forEach((op, s) -> out.add(new CudaEngine.OpTime(op, (int) s[0], s[1])));
        out.sort(Comparator.comparingDouble(CudaEngine.OpTime::milliseconds).reversed());
        return out;
    }

    // The driver calls, one method each: OpProfilerTest replaces them to check the bookkeeping without a GPU.

    CUevent create() {
        CUevent e = new CUevent();
        cuEventCreate(e, 0);
        return e;
    }

    void record(CUevent event, CUstream stream) {
        cuEventRecord(event, stream);
    }

    float elapsedMs(CUevent start, CUevent end) {
        float[] ms = new float[1];
        cuEventElapsedTime(ms, start, end);
        return ms[0];
    }

    void destroy(CUevent event) {
        cuEventDestroy(event);
    }

    @Override
    public void close() {
        for (CUevent e : events) {
            destroy(e);
        }
        events.clear();
        names.clear();
    }
}
