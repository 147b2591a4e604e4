package dev.roaf.bench;

import dev.roaf.engine.cpu.CpuEngine;

/**
 * Picks the CPU engine's product kernels for one JMH fork, so that a benchmark can time the
 * Vector API products and the auto-vectorised loops side by side in one run (param
 * {@code products}). Works because every fork is a fresh JVM (started with
 * {@code --add-modules jdk.incubator.vector}) and the engine reads {@code roaf.cpu.vector} once,
 * when its kernels first load, which is after this call.
 */
final class Products {
    private Products() {
    }

    static void select(String products) {
        if (!products.equals("vector") && !products.equals("scalar")) {
            throw new IllegalArgumentException("products must be vector or scalar, got " + products);
        }
        System.setProperty("roaf.cpu.vector", String.valueOf(products.equals("vector")));
        if (CpuEngine.vectorProducts() != products.equals("vector")) {
            throw new IllegalStateException("asked for " + products + " products but the engine has "
                    + (CpuEngine.vectorProducts() ? "vector" : "scalar") + " ones: is the fork missing"
                    + " --add-modules jdk.incubator.vector, or did the engine load before this call?");
        }
    }
}
