package dev.roaf.bench;

import dev.roaf.engine.Engine;
import dev.roaf.engine.Engines;
import dev.roaf.engine.Filter;
import dev.roaf.engine.Tensor;
import dev.roaf.model.Init;
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
 * The engine's fused operations one by one, on the CPU or (with {@code -p device=cuda}, on a
 * machine with a GPU) the CUDA engine: a whole ROAF recurrence forward and backward at the psMNIST
 * shape (T=784, B=100, N=128), an LSTM sequence forward and backward at the same shape, a ROAF
 * layer stack forward and backward (L=100, B=128, N=128), and one Adam step over 1M parameters.
 * Every measured method ends with {@link Engine#synchronize()} so GPU timings include the work;
 * the CUDA engine makes its context current on whichever thread JMH calls it from.
 *
 * <p>Run: {@code java -jar target/roaf-bench.jar EngineOps} (add {@code -p device=cuda} on a GPU).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx6g", "--add-modules", "jdk.incubator.vector"})
public class EngineOpsBenchmark {
    private static final int T = 784, B = 100, N = 128, L = 100, MLP_B = 128, PARAMS = 1 << 20;

    /** The CPU engine's products: the Vector API ("vector") or the auto-vectorised loops ("scalar"); see {@link Products}. */
    @Param({"vector", "scalar"})
    public String products;

    @Param({"cpu"})
    public String device;

    private Engine engine;
    private Tensor p, w, o, h, z, gLast;
    private Tensor p4, w4, c, gates;
    private Tensor xs, ws, bs, os, zs, g, dws, dbs;
    private Tensor params, grads, m, v;
    private Filter filter, stackFilter;

    private Tensor random(SplittableRandom rng, double scale, int... shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (rng.nextGaussian() * scale);
        }
        return engine.fromHost(a, shape);
    }

    private Tensor haar(SplittableRandom rng, int layers) {
        float[] a = new float[layers * N * N];
        for (int l = 0; l < layers; l++) {
            Init.haar(rng, N, a, l * N * N);
        }
        return layers == 1 ? engine.fromHost(a, N, N) : engine.fromHost(a, layers, N, N);
    }

    @Setup(Level.Trial)
    public void setUp() {
        Products.select(products);
        engine = Engines.open(device, 0, null);
        SplittableRandom rng = new SplittableRandom(3);
        p = random(rng, 0.5, T, B, N);
        w = random(rng, 1 / Math.sqrt(N), N, N);
        o = haar(rng, 1);
        filter = Filter.dense(o);
        h = engine.zeros(T + 1, B, N);
        z = engine.zeros(T, B, N);
        gLast = random(rng, 1, B, N);
        p4 = random(rng, 0.5, T, B, 4 * N);
        w4 = random(rng, 1 / Math.sqrt(N), 4 * N, N);
        c = engine.zeros(T + 1, B, N);
        gates = engine.zeros(T, B, 4 * N);
        xs = engine.zeros(L + 1, MLP_B, N);
        engine.upload(engine.toHost(random(rng, 1, MLP_B, N)), xs.slice(0));
        ws = random(rng, 1 / Math.sqrt(N), L, N, N);
        bs = engine.zeros(L, N);
        os = haar(rng, L);
        stackFilter = Filter.dense(os);
        zs = engine.zeros(L, MLP_B, N);
        g = engine.zeros(MLP_B, N);
        dws = engine.zeros(L, N, N);
        dbs = engine.zeros(L, N);
        params = random(rng, 0.1, PARAMS);
        grads = random(rng, 0.01, PARAMS);
        m = engine.zeros(PARAMS);
        v = engine.zeros(PARAMS);
    }

    /** ROAF recurrence: the forward sweep over 784 steps, then BPTT (the sweeps; weight products excluded). */
    @Benchmark
    public void roafRecurrenceForwardBackward() {
        engine.recurrenceForward(p, w, filter, 1f - 30f / T, 30f / T, h, z);
        engine.recurrenceBackward(w, filter, 1f - 30f / T, 30f / T, z, gLast, null);
        engine.synchronize();
    }

    /** LSTM sequence forward and BPTT sweep at the same shape. */
    @Benchmark
    public void lstmForwardBackward() {
        engine.lstmForward(p4, w4, h, c, gates);
        engine.lstmBackward(w4, h, c, gates, gLast);
        engine.synchronize();
    }

    /** 100 ROAF layers forward and backward, including the per-layer weight gradients. */
    @Benchmark
    public void roafStackForwardBackward() {
        engine.roafStackForward(xs, ws, bs, stackFilter, 0.99f, 0.01f, zs);
        engine.fill(g, 1f);
        engine.roafStackBackward(xs, ws, stackFilter, 0.99f, 0.01f, zs, g, dws, dbs);
        engine.synchronize();
    }

    /** One Adam step over 2^20 parameters. */
    @Benchmark
    public void adamStep1M() {
        engine.adamStep(params, grads, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 1);
        engine.synchronize();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : new Tensor[]{p, w, o, h, z, gLast, p4, w4, c, gates, xs, ws, bs, os, zs, g, dws, dbs, params, grads, m, v}) {
            t.close();
        }
        engine.close();
    }
}
