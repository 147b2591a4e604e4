package dev.roaf.bench;

import dev.roaf.data.Batch;
import dev.roaf.engine.Engine;
import dev.roaf.engine.cpu.CpuEngine;
import dev.roaf.model.FilterKind;
import dev.roaf.model.Model;
import dev.roaf.model.ModelConfig;
import dev.roaf.model.ModelKind;
import dev.roaf.train.Optimizer;
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
 * One full training step (forward, backward, Adam) of the reference shapes on the CPU engine:
 * psMNIST-shaped roaf-rnn / lstm / rnn (B=100, N=128, T=784, input 1) and a roaf-mlp (B=128, N=128,
 * L=1000, input 784). Data is random (the cost does not depend on the values).
 *
 * <p>Run: {@code mvn -q -B -Pbench package -DskipTests && java -jar target/roaf-bench.jar TrainingStep}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx8g", "--add-modules", "jdk.incubator.vector"})
public class TrainingStepBenchmark {

    /** The CPU engine's products: the Vector API ("vector") or the auto-vectorised loops ("scalar"); see {@link Products}. */
    @Param({"vector", "scalar"})
    public String products;

    @Param({"roaf-rnn", "lstm", "rnn", "roaf-mlp"})
    public String model;

    @Param({"0"})
    public int threads;

    private Engine engine;
    private Model net;
    private Optimizer optimizer;
    private Batch batch;

    @Setup(Level.Trial)
    public void setUp() {
        Products.select(products);
        engine = new CpuEngine(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
        ModelKind kind = ModelKind.parse(model);
        SplittableRandom rng = new SplittableRandom(1);
        ModelConfig config;
        if (kind.recurrent()) {
            int t = 784, b = 100;
            config = new ModelConfig(kind, 1, 128, 10, 1, 1f - 1f / t, 1f / t, FilterKind.HAAR, false);
            float[] x = new float[t * b];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rng.nextDouble();
            }
            batch = new Batch(b, t, 1, x, Batch.Target.CLASS, labels(rng, b), null, 10);
        } else {
            int b = 128, layers = 1000;
            config = new ModelConfig(kind, 784, 128, 10, layers, 1f - 1f / layers, 1f / layers, FilterKind.HAAR, false);
            float[] x = new float[b * 784];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rng.nextDouble();
            }
            batch = new Batch(b, 0, 784, x, Batch.Target.CLASS, labels(rng, b), null, 10);
        }
        net = Model.create(engine, config, 1);
        optimizer = Optimizer.create(Optimizer.Kind.ADAM, engine, net.parameters(), 0f);
    }

    private static int[] labels(SplittableRandom rng, int b) {
        int[] y = new int[b];
        for (int i = 0; i < b; i++) {
            y[i] = rng.nextInt(10);
        }
        return y;
    }

    /** Forward, backward and one Adam update. */
    @Benchmark
    public double trainingStep() {
        double loss = net.forwardBackward(batch).lossSum();
        optimizer.step(1e-3f);
        return loss;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        optimizer.close();
        net.close();
        engine.close();
    }
}
