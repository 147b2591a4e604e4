package dev.roaf.engine.cuda;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.jcurand.JCurand;
import jcuda.jcurand.curandGenerator;
import jcuda.jcurand.curandRngType;
import jcuda.runtime.cudaStream_t;

/**
 * Random draws on the device through cuRAND (JCurand, {@code libcurand.so.10}): one Philox4x32-10
 * generator per engine, on the engine's stream. Each draw resets the generator to (seed, offset 0),
 * so the values depend only on the seed and the element count, as {@code Engine.randomNormal}
 * promises.
 */
final class CurandDraws implements AutoCloseable {
    private final curandGenerator generator;
    private final String version;

    private CurandDraws(curandGenerator generator, String version) {
        this.generator = generator;
        this.version = version;
    }

    /** Loads JCurand and creates a Philox generator bound to {@code stream} on the current context. */
    static OptionalLibrary<CurandDraws> load(CUstream stream) {
        return OptionalLibrary.open("cuRAND", () -> {
            JCurand.setExceptionsEnabled(true);
            int[] v = new int[1];
            JCurand.curandGetVersion(v);
            curandGenerator g = new curandGenerator();
            JCurand.curandCreateGenerator(g, curandRngType.CURAND_RNG_PSEUDO_PHILOX4_32_10);
            try {
                JCurand.curandSetStream(g, new cudaStream_t(stream));
            } catch (RuntimeException e) {
                JCurand.curandDestroyGenerator(g);
                throw e;
            }
            // CURAND_VERSION is major * 1000 + minor * 100 + patch (10303: 10.3.3)
            return new CurandDraws(g, "libcurand " + v[0] / 1000 + "." + v[0] % 1000 / 100 + "." + v[0] % 100);
        });
    }

    String version() {
        return version;
    }

    /** Restarts the stream of draws at (seed, offset 0). */
    void reset(long seed) {
        JCurand.curandSetPseudoRandomGeneratorSeed(generator, seed);
        JCurand.curandSetGeneratorOffset(generator, 0);
    }

    /** The next {@code n} N(mean, std^2) floats of the stream into {@code out}; n must be even (cuRAND draws pairs). */
    void normal(CUdeviceptr out, long n, float mean, float std) {
        JCurand.curandGenerateNormal(generator, out, n, mean, std);
    }

    /** The next {@code n} U(0, 1] floats of the stream into {@code out}. */
    void uniform(CUdeviceptr out, long n) {
        JCurand.curandGenerateUniform(generator, out, n);
    }

    @Override
    public void close() {
        JCurand.curandDestroyGenerator(generator);
    }
}
