package dev.roaf.engine.cpu;

import dev.roaf.engine.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Use after close: of a tensor's storage (views included) and of the engine itself. */
class CpuEngineLifecycleTest {

    @Test
    void closedTensorsAndTheirViewsCannotBeUsed() {
        try (CpuEngine e = new CpuEngine(2)) {
            Tensor t = e.zeros(4, 3);
            Tensor view = t.slice(1);
            assertTrue(view.isOpen());
            view.close(); // a view's close does nothing
            assertTrue(t.isOpen());
            t.close();
            assertFalse(view.isOpen());
            assertThrows(IllegalStateException.class, () -> e.fill(view, 1f));
            assertThrows(IllegalStateException.class, () -> e.toHost(t));
        }
    }

    @Test
    void aClosedEngineRejectsEveryOperation() {
        CpuEngine e = new CpuEngine(2);
        Tensor a = e.zeros(8, 8);
        e.close();
        assertThrows(IllegalStateException.class, () -> e.zeros(2));
        assertThrows(IllegalStateException.class, () -> e.gemm(false, false, 1f, a, a, 0f, a));
        assertThrows(IllegalStateException.class, () -> e.fill(a, 0f));
        assertThrows(IllegalStateException.class, () -> e.sumOfSquares(a));
    }
}
