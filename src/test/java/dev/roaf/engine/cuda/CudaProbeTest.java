package dev.roaf.engine.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs everywhere: with or without a driver the probe answers in one short line, never JCuda's raw message. */
class CudaProbeTest {
    @Test
    void probeAnswersInOneLine() {
        CudaProbe p = CudaProbe.get();
        if (p.usable()) {
            assertTrue(p.devices() > 0);
            return;
        }
        assertTrue(p.reason().startsWith("no usable CUDA driver: "), p.reason());
        assertFalse(p.reason().contains("\n"), p.reason());
        assertTrue(p.reason().length() < 250, p.reason());
        // A second probe gives the same answer (the NoClassDefFoundError of a second touch never escapes).
        assertTrue(CudaProbe.get().reason().equals(p.reason()));
    }

    @Test
    void engineWithoutDriverFailsWithTheProbeLine() {
        if (CudaProbe.get().usable()) {
            return;
        }
        CudaEngineException e = assertThrows(CudaEngineException.class, () -> new CudaEngine(0, CudaEngine.GemmPath.AUTO, null));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
