package dev.roaf.engine.cuda;

import jcuda.driver.CUevent;
import jcuda.driver.CUstream;
import org.junit.jupiter.api.Test;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link OpProfiler}'s bookkeeping without a GPU: events are replaced by a clock that advances by a
 * given amount per operation, so the sums per operation name, their order and the reuse of events can be checked.
 */
class OpProfilerTest {
    /** Each recorded event gets the time of a fake clock; an operation's length is set before it ends. */
    private static final class FakeClock extends OpProfiler {
        final Map<CUevent, Double> at = new IdentityHashMap<>();
        double now;
        int created, destroyed;

        @Override
        CUevent create() {
            created++;
            return new CUevent();
        }

        @Override
        void record(CUevent event, CUstream stream) {
            at.put(event, now);
        }

        @Override
        float elapsedMs(CUevent start, CUevent end) {
            return (float) (at.get(end) - at.get(start));
        }

        @Override
        void destroy(CUevent event) {
            destroyed++;
        }

        void op(String name, double ms) {
            begin(name, null);
            now += ms;
            end(null);
        }
    }

    @Test
    void operationsAreSummedByNameLongestFirst() {
        FakeClock p = new FakeClock();
        p.op("gemm", 2.0);
        p.op("recurrenceForward", 1.5);
        p.op("gemm", 3.0);
        p.op("upload", 0.25);
        List<CudaEngine.OpTime> got = p.collect();
        assertEquals(List.of(new CudaEngine.OpTime("gemm", 2, 5.0), new CudaEngine.OpTime("recurrenceForward", 1, 1.5),
                new CudaEngine.OpTime("upload", 1, 0.25)), got);
        assertEquals(List.of(), p.collect(), "collect clears the record");
    }

    @Test
    void anOperationThatNeverEndedIsDroppedAndEventsAreReused() {
        FakeClock p = new FakeClock();
        p.begin("failed", null); // threw before its end
        p.op("fill", 1.0);
        assertEquals(List.of(new CudaEngine.OpTime("fill", 1, 1.0)), p.collect());
        int created = p.created;
        p.op("fill", 1.0);
        p.op("fill", 1.0);
        p.collect();
        assertEquals(created + 2, p.created, "two operations need one new pair beyond the first");
        p.close();
        assertEquals(p.created, p.destroyed);
    }
}
