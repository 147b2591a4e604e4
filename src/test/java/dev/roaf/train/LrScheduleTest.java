package dev.roaf.train;

import dev.roaf.data.Task;
import dev.roaf.data.TaskOptions;
import dev.roaf.data.Tasks;
import dev.roaf.engine.Engine;
import dev.roaf.engine.cpu.CpuEngine;
import dev.roaf.io.TensorData;
import dev.roaf.model.FilterKind;
import dev.roaf.model.Model;
import dev.roaf.model.ModelConfig;
import dev.roaf.model.ModelKind;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The learning-rate schedules: the cosine factors against PyTorch's CosineAnnealingLR formula, and in
 * training, plain SGD's second update under a two-step cosine run is exactly half of the constant run's
 * (the first updates are equal, so the second gradients are too).
 */
class LrScheduleTest {

    @Test
    void cosineFactorsFollowCosineAnnealing() {
        long steps = 1000;
        assertEquals(1.0, LrSchedule.CONSTANT.factor(7, steps));
        assertEquals(1.0, LrSchedule.COSINE.factor(1, steps), 0);
        assertEquals(0.5, LrSchedule.COSINE.factor(501, steps), 1e-12);
        double last = LrSchedule.COSINE.factor(steps, steps);
        assertTrue(last > 0 && last < 1e-5, "last factor " + last);
        for (long s = 2; s <= steps; s++) {
            double f = LrSchedule.COSINE.factor(s, steps);
            assertEquals(0.5 * (1 + Math.cos(Math.PI * (s - 1) / steps)), f, 1e-15);
            assertTrue(f < LrSchedule.COSINE.factor(s - 1, steps), "not decreasing at " + s);
        }
        assertEquals(LrSchedule.COSINE, LrSchedule.parse("cosine"));
        assertEquals("constant", LrSchedule.parse("constant").toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LrSchedule.parse("linear"));
        assertTrue(e.getMessage().contains("constant or cosine"), e.getMessage());
    }

    @Test
    void heldCosineKeepsTheFullRateThenDecaysOverTheRest() {
        long steps = 1000;
        for (long s = 1; s <= 700; s++) {
            assertEquals(1.0, LrSchedule.COSINE.factor(s, steps, 0.7), 0, "held step " + s);
        }
        for (long s = 701; s <= steps; s++) {
            // The decay over the last 300 steps is the plain cosine of a 300-step run.
            assertEquals(LrSchedule.COSINE.factor(s - 700, 300), LrSchedule.COSINE.factor(s, steps, 0.7), 1e-15, "step " + s);
        }
        assertEquals(0.5, LrSchedule.COSINE.factor(851, steps, 0.7), 1e-12);
        assertEquals(LrSchedule.COSINE.factor(123, steps), LrSchedule.COSINE.factor(123, steps, 0), 0);
        assertEquals(1.0, LrSchedule.CONSTANT.factor(999, steps, 0.5));
        for (double bad : new double[] {-0.1, 1.0, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LrSchedule.COSINE.factor(1, steps, bad));
            assertTrue(e.getMessage().contains("--lr-hold"), e.getMessage());
        }
    }

    @Test
    void warmupRisesLinearlyAndMultipliesTheSchedule() {
        assertEquals(1.0, LrSchedule.warmupFactor(1, 0), 0, "no warmup");
        for (long s = 1; s <= 4; s++) {
            assertEquals(s / 4.0, LrSchedule.warmupFactor(s, 4), 1e-15, "step " + s);
        }
        assertEquals(1.0, LrSchedule.warmupFactor(5, 4), 0);
        assertEquals(1.0, LrSchedule.warmupFactor(1_000_000, 4), 0);
        TrainOptions o = new TrainOptions(100, 8, 0.1f, Optimizer.Kind.ADAM, 0f, 1, 0, 0, 0f, LrSchedule.COSINE, 0.5, 10);
        assertEquals(0.1f * 0.3, o.lrAt(3), 1e-9, "warmup step 3 of 10 while the cosine is held");
        assertEquals(0.1f, o.lrAt(10), 1e-9);
        assertEquals(0.1f * LrSchedule.COSINE.factor(80, 100, 0.5), o.lrAt(80), 1e-9, "after the warmup: the schedule alone");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TrainOptions(100, 8, 0.1f, Optimizer.Kind.ADAM, 0f, 1, 0, 0, 0f, LrSchedule.CONSTANT, 0, -1));
        assertTrue(e.getMessage().contains("--lr-warmup"), e.getMessage());
    }

    @Test
    void sgdFirstUpdateUnderAFourStepWarmupIsAQuarter() {
        Task task = Tasks.create("adding", TaskOptions.defaults().withLength(10));
        Map<String, TensorData> init = train(task, LrSchedule.CONSTANT, 1, 0, 0, 0f);
        Map<String, TensorData> full = train(task, LrSchedule.CONSTANT, 1, 0, 0, 0.05f);
        Map<String, TensorData> warm = train(task, LrSchedule.CONSTANT, 1, 0, 4, 0.05f);
        double moved = 0;
        for (String name : init.keySet()) {
            float[] p0 = init.get(name).floats(), pf = full.get(name).floats(), pw = warm.get(name).floats();
            for (int i = 0; i < p0.length; i++) {
                double step = pf[i] - p0[i];
                assertEquals(step / 4, pw[i] - p0[i], 1e-6 + 1e-3 * Math.abs(step), name + "[" + i + "]");
                moved += Math.abs(step);
            }
        }
        assertTrue(moved > 1e-3, "the first update moved nothing: " + moved);
    }

    private static Map<String, TensorData> train(Task task, LrSchedule schedule, long steps) {
        return train(task, schedule, steps, 0);
    }

    private static Map<String, TensorData> train(Task task, LrSchedule schedule, long steps, double hold) {
        return train(task, schedule, steps, hold, 0, 0.05f);
    }

    /** Trains from a fixed init with plain SGD; {@code lr} 0 returns the initial parameters. */
    private static Map<String, TensorData> train(Task task, LrSchedule schedule, long steps, double hold, long warmup, float lr) {
        float[] ab = ModelConfig.resolveAlphaBeta(null, null, 1.0, task.steps(), 1.0);
        ModelConfig c = new ModelConfig(ModelKind.ROAF_RNN, task.inputSize(), 8, task.outputSize(), 1, ab[0], ab[1],
                FilterKind.HAAR, false);
        try (Engine engine = new CpuEngine(1); Model m = Model.create(engine, c, 4)) {
            if (lr > 0) {
                new Trainer(m, task, new TrainOptions(steps, 8, lr, Optimizer.Kind.SGD, 0f, 3, 0, 16, 0f, schedule, hold, warmup)).fit();
            }
            return m.toTensorData();
        }
    }

    @Test
    void sgdSecondUpdateIsHalvedByATwoStepCosineRun() {
        Task task = Tasks.create("adding", TaskOptions.defaults().withLength(10));
        Map<String, TensorData> start = train(task, LrSchedule.CONSTANT, 1);
        assertEquals(start, train(task, LrSchedule.COSINE, 1), "one step: the cosine factor is 1");
        Map<String, TensorData> constant = train(task, LrSchedule.CONSTANT, 2), cosine = train(task, LrSchedule.COSINE, 2);
        double moved = 0;
        for (String name : start.keySet()) {
            float[] p1 = start.get(name).floats(), pc = constant.get(name).floats(), pk = cosine.get(name).floats();
            for (int i = 0; i < p1.length; i++) {
                double full = pc[i] - p1[i], half = pk[i] - p1[i];
                assertEquals(full / 2, half, 1e-6 + 1e-3 * Math.abs(full), name + "[" + i + "]");
                moved += Math.abs(full);
            }
        }
        assertTrue(moved > 1e-3, "the second update moved nothing: " + moved);
        // Holding half of a two-step cosine run keeps step 2 at the full rate: the constant run exactly.
        assertEquals(constant, train(task, LrSchedule.COSINE, 2, 0.5), "the trainer applies the hold");
    }
}
