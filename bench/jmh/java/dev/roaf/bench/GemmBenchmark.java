package dev.roaf.bench;

import dev.roaf.engine.Engine;
import dev.roaf.engine.Tensor;
import dev.roaf.engine.cpu.CpuEngine;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The CPU engine's GEMM on a square product of size n: the machine's measured peak for the
 * engine's own inner loop, which is the floor the training-step benchmarks are compared with
 * (FLOPs / this rate). Reports time per product; GFLOP/s = 2 n^3 / time.
 *
 * <p>Run: {@code java -jar target/roaf-bench.jar Gemm}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx4g", "--add-modules", "jdk.incubator.vector"})
public class GemmBenchmark {
    /** The CPU engine's products: the Vector API ("vector") or the auto-vectorised loops ("scalar"); see {@link Products}. */
    @Param({"vector", "scalar"})
    public String products;

    @Param({"128", "512", "1024"})
    public int n;

    @Param({"false", "true"})
    public boolean transposeA;

    private Engine engine;
    private Tensor a, b, c;

    @Setup(Level.Trial)
    public void setUp() {
        Products.select(products);
        engine = new CpuEngine();
        SplittableRandom rng = new SplittableRandom(2);
        float[] x = new float[n * n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        a = engine.fromHost(x, n, n);
        b = engine.fromHost(x, n, n);
        c = engine.zeros(n, n);
    }

    /** C = op(A) B. */
    @Benchmark
    public Tensor gemm() {
        engine.gemm(transposeA, false, 1f, a, b, 0f, c);
        return c;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
        c.close();
        engine.close();
    }
}
