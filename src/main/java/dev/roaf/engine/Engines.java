package dev.roaf.engine;

import dev.roaf.engine.cpu.CpuEngine;

import java.util.function.Consumer;

/**
 * Opens the engine a device name asks for: {@code cpu}, {@code cuda} (or {@code cuda:N}) or
 * {@code auto} (the GPU when one is usable, otherwise the CPU).
 */
public final class Engines {
    private Engines() {
    }

    /**
     * Opens an engine.
     *
     * @param device  {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}
     * @param threads CPU worker threads (0 = all processors)
     * @param notices receives one line when {@code auto} falls back to the CPU; may be null
     * @throws IllegalArgumentException for an unknown name, or {@code cuda} when no CUDA engine is usable
     */
    public static Engine open(String device, int threads, Consumer<String> notices) {
        int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        switch (device) {
            case "cpu":
                return new CpuEngine(t);
            case "auto": {
                CpuEngine e = new CpuEngine(t);
                if (notices != null) {
                    notices.accept("roaf: no CUDA engine in this build yet; running on " + e.deviceName());
                }
                return e;
            }
            default:
                if (device.equals("cuda") || device.startsWith("cuda:")) {
                    throw new IllegalArgumentException("--device " + device + ": this build of roaf has no CUDA engine yet;"
                            + " use --device cpu (or auto)");
                }
                throw new IllegalArgumentException("unknown --device '" + device + "'; expected auto, cpu, cuda or cuda:N");
        }
    }
}
