package dev.roaf.train;

import dev.roaf.data.Batch;
import dev.roaf.data.Task;
import dev.roaf.data.TaskOptions;
import dev.roaf.data.Tasks;
import dev.roaf.engine.Engine;
import dev.roaf.engine.cpu.CpuEngine;
import dev.roaf.io.InvalidFileException;
import dev.roaf.io.TensorData;
import dev.roaf.model.FilterKind;
import dev.roaf.model.Model;
import dev.roaf.model.ModelConfig;
import dev.roaf.model.ModelKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checkpoints and exact resume in process: a run resumed from an intermediate checkpoint (into a
 * freshly created model and optimizer) ends bit for bit where the uninterrupted run ends; the NaN
 * policies stop (keeping a checkpoint of the last good step) or skip and count.
 */
class CheckpointResumeTest {
    private static final int STEPS = 60;

    private static Task adding() {
        return Tasks.create("adding", TaskOptions.defaults().withLength(12));
    }

    private static Model model(Engine engine, Task task, ModelKind kind, long seed) {
        float[] ab = ModelConfig.resolveAlphaBeta(null, null, 1.0, task.steps(), 1.0);
        ModelConfig c = new ModelConfig(kind, task.inputSize(), 8, task.outputSize(), 1, ab[0], ab[1],
                kind.hasFilter() ? FilterKind.HAAR : null, false);
        return Model.create(engine, c, seed);
    }

    private static TrainOptions options(Optimizer.Kind opt, float momentum) {
        return new TrainOptions(STEPS, 8, opt == Optimizer.Kind.ADAM ? 5e-3f : 2e-2f, opt, momentum, 3, 15, 50, 0f, LrSchedule.CONSTANT);
    }

    /** Runs the whole schedule, copying the checkpoint at every write into {@code copies/step-N}. */
    private static Result runCopyingCheckpoints(Task task, ModelKind kind, TrainOptions o, Path dir, Trainer.OnNonFinite nan)
            throws Exception {
        Path copies = Files.createDirectories(dir.resolve("copies"));
        try (Engine engine = new CpuEngine(2); Model m = model(engine, task, kind, 5)) {
            Path file = dir.resolve(Checkpoint.FILE_NAME);
            Trainer t = new Trainer(m, task, o).onNonFinite(nan)
                    .checkpoints(new CheckpointPolicy(file, 10, 0, Map.of("note", "x")))
                    .addListener(new TrainListener() {
                        @Override
                        public void onCheckpoint(long step, Path f) {
                            try {
                                Files.copy(f, copies.resolve("step-" + step), StandardCopyOption.REPLACE_EXISTING);
                            } catch (Exception e) {
                                throw new RuntimeException(e);
                            }
                        }
                    });
            TrainResult r = t.fit();
            return new Result(m.toTensorData(), r);
        }
    }

    record Result(Map<String, TensorData> tensors, TrainResult result) {
    }

    private static Result resume(Task task, ModelKind kind, TrainOptions o, Path checkpoint, Trainer.OnNonFinite nan,
                                 List<EvalRecord> restored) throws Exception {
        Checkpoint cp = Checkpoint.read(checkpoint);
        // A different initialisation seed: everything must come from the checkpoint.
        try (Engine engine = new CpuEngine(2); Model m = model(engine, task, kind, 99)) {
            Trainer t = new Trainer(m, task, o).onNonFinite(nan).resumeFrom(cp, checkpoint.toString())
                    .addListener(new TrainListener() {
                        @Override
                        public void onRestore(List<StepRecord> steps, List<EvalRecord> evals) {
                            restored.addAll(evals);
                        }
                    });
            TrainResult r = t.fit();
            return new Result(m.toTensorData(), r);
        }
    }

    private static void assertSameRun(Result a, Result b) {
        assertSameRun(a, b, false);
    }

    private static void assertSameRun(Result a, Result b, boolean ignoreSkipField) {
        assertEquals(a.tensors(), b.tensors(), "final tensors bit for bit"); // TensorData.equals compares bits
        assertEquals(a.result().evaluations().size(), b.result().evaluations().size());
        for (int i = 0; i < a.result().evaluations().size(); i++) {
            Map<String, Object> x = new java.util.LinkedHashMap<>(a.result().evaluations().get(i).toJson());
            Map<String, Object> y = new java.util.LinkedHashMap<>(b.result().evaluations().get(i).toJson());
            x.remove("wall_s");
            y.remove("wall_s");
            if (ignoreSkipField) {
                x.remove("skipped_steps");
                y.remove("skipped_steps");
            }
            assertEquals(x, y, "evaluation " + i);
        }
        assertEquals(a.result().skippedSteps(), b.result().skippedSteps());
    }

    @Test
    void resumedAdamRunIsBitIdentical(@TempDir Path dir) throws Exception {
        Task task = adding();
        TrainOptions o = options(Optimizer.Kind.ADAM, 0f);
        Result full = runCopyingCheckpoints(task, ModelKind.ROAF_RNN, o, dir, Trainer.OnNonFinite.STOP);
        // step 20 lies between evaluations (every 15): the training-loss window must be restored too.
        for (int step : new int[]{20, 30}) {
            List<EvalRecord> restored = new ArrayList<>();
            Result resumed = resume(task, ModelKind.ROAF_RNN, o, dir.resolve("copies/step-" + step), Trainer.OnNonFinite.STOP, restored);
            assertSameRun(full, resumed);
            assertEquals(step / 15, restored.size(), "evaluations before the checkpoint are handed to listeners");
        }
        Checkpoint last = Checkpoint.read(dir.resolve(Checkpoint.FILE_NAME));
        assertEquals(STEPS, last.step(), "a checkpoint is written after the last step");
        assertEquals("x", last.metadata().get("note"));
        assertEquals(Set.of("m", "v"), last.optimizerState().keySet());
        assertEquals(STEPS, last.optimizerSteps());
    }

    @Test
    void resumeHandsOverEveryPastStepWithItsGradientNormEvenFromAnOldThreeColumnHistory(@TempDir Path dir) throws Exception {
        Task task = adding();
        TrainOptions o = options(Optimizer.Kind.ADAM, 0f);
        List<StepRecord> seen = new ArrayList<>();
        try (Engine engine = new CpuEngine(2); Model m = model(engine, task, ModelKind.ROAF_RNN, 5)) {
            new Trainer(m, task, o).checkpoints(new CheckpointPolicy(dir.resolve("full.safetensors"), 10, 0, Map.of()))
                    .addListener(new TrainListener() {
                        @Override
                        public void onStep(StepRecord step) {
                            seen.add(step);
                        }
                    }).fit();
        }
        Path file = dir.resolve("full.safetensors");
        List<StepRecord> past = restoredSteps(task, o, file);
        assertEquals(STEPS, past.size());
        for (int i = 0; i < STEPS; i++) {
            assertEquals(seen.get(i).loss(), past.get(i).loss(), "loss of step " + (i + 1));
            assertEquals(seen.get(i).gradNorm(), past.get(i).gradNorm(), "gradient norm of step " + (i + 1));
            assertEquals(seen.get(i).wallSeconds(), past.get(i).wallSeconds(), "wall time of step " + (i + 1));
        }

        // A checkpoint written before the history had gradient norms: [n, 3] (step, loss, accuracy).
        var f = dev.roaf.io.Safetensors.read(file);
        Map<String, TensorData> tensors = new java.util.LinkedHashMap<>(f.tensors());
        double[] h = tensors.get("train.history").doubles();
        double[] old = new double[STEPS * 3];
        for (int i = 0; i < STEPS; i++) {
            System.arraycopy(h, i * Checkpoint.HISTORY_FIELDS, old, i * 3, 3);
        }
        tensors.put("train.history", TensorData.f64(old, STEPS, 3));
        Path oldFile = dir.resolve("old.safetensors");
        dev.roaf.io.Safetensors.write(oldFile, tensors, f.metadata());
        List<StepRecord> fromOld = restoredSteps(task, o, oldFile);
        assertEquals(STEPS, fromOld.size());
        for (int i = 0; i < STEPS; i++) {
            assertEquals(seen.get(i).loss(), fromOld.get(i).loss(), "loss of step " + (i + 1));
            assertTrue(Double.isNaN(fromOld.get(i).gradNorm()) && Double.isNaN(fromOld.get(i).wallSeconds()),
                    "unknown gradient norm and wall time are NaN");
        }
    }

    /** The past steps a trainer resuming from {@code checkpoint} (written after the last step) hands to its listeners. */
    private static List<StepRecord> restoredSteps(Task task, TrainOptions o, Path checkpoint) throws Exception {
        List<StepRecord> restored = new ArrayList<>();
        try (Engine engine = new CpuEngine(2); Model m = model(engine, task, ModelKind.ROAF_RNN, 99)) {
            new Trainer(m, task, o).resumeFrom(Checkpoint.read(checkpoint), checkpoint.toString())
                    .addListener(new TrainListener() {
                        @Override
                        public void onRestore(List<StepRecord> steps, List<EvalRecord> evals) {
                            restored.addAll(steps);
                        }
                    }).fit();
        }
        return restored;
    }

    @Test
    void resumedRunWithWarmupAndHeldCosineIsBitIdentical(@TempDir Path dir) throws Exception {
        // The rate of step s depends on s through the warmup (the first 30 steps) and the held cosine: a resumed
        // run must take both from the checkpoint's step, inside the warmup (step 20) and after it (step 40).
        Task task = adding();
        TrainOptions o = new TrainOptions(STEPS, 8, 5e-3f, Optimizer.Kind.ADAM, 0f, 3, 15, 50, 1f, LrSchedule.COSINE, 0.5, 30);
        Result full = runCopyingCheckpoints(task, ModelKind.ROAF_RNN, o, dir, Trainer.OnNonFinite.STOP);
        for (int step : new int[]{20, 40}) {
            Result resumed = resume(task, ModelKind.ROAF_RNN, o, dir.resolve("copies/step-" + step), Trainer.OnNonFinite.STOP,
                    new ArrayList<>());
            assertSameRun(full, resumed);
        }
        // Without the warmup the same run ends elsewhere: the test above could not pass by ignoring it.
        TrainOptions noWarmup = new TrainOptions(STEPS, 8, 5e-3f, Optimizer.Kind.ADAM, 0f, 3, 15, 50, 1f, LrSchedule.COSINE, 0.5, 0);
        Result other = runCopyingCheckpoints(task, ModelKind.ROAF_RNN, noWarmup, dir.resolve("other"), Trainer.OnNonFinite.STOP);
        assertNotEquals(full.tensors(), other.tensors(), "the warmup changes the run");
    }

    @Test
    void resumedAdamwRunIsBitIdentical(@TempDir Path dir) throws Exception {
        // AdamW's decay acts on the parameters every step: a resumed run must apply it from the checkpoint's step on.
        Task task = adding();
        TrainOptions o = new TrainOptions(STEPS, 8, 5e-3f, Optimizer.Kind.ADAMW, 0f, 3, 15, 50, 0f, LrSchedule.CONSTANT, 0, 0, 0.5f);
        Result full = runCopyingCheckpoints(task, ModelKind.ROAF_RNN, o, dir, Trainer.OnNonFinite.STOP);
        Result resumed = resume(task, ModelKind.ROAF_RNN, o, dir.resolve("copies/step-30"), Trainer.OnNonFinite.STOP, new ArrayList<>());
        assertSameRun(full, resumed);
        Checkpoint last = Checkpoint.read(dir.resolve(Checkpoint.FILE_NAME));
        assertEquals(Set.of("m", "v"), last.optimizerState().keySet());
        assertEquals("adamw", last.metadata().get("optimizer"));
        assertEquals("0.5", last.metadata().get("weight_decay"));
        TrainOptions adam = new TrainOptions(STEPS, 8, 5e-3f, Optimizer.Kind.ADAM, 0f, 3, 15, 50, 0f, LrSchedule.CONSTANT);
        Result plain = runCopyingCheckpoints(task, ModelKind.ROAF_RNN, adam, dir.resolve("adam"), Trainer.OnNonFinite.STOP);
        assertNotEquals(full.tensors(), plain.tensors(), "the decay changes the run");
    }

    @Test
    void resumedSgdMomentumRunOfAnotherModelIsBitIdentical(@TempDir Path dir) throws Exception {
        Task task = adding();
        TrainOptions o = options(Optimizer.Kind.SGD, 0.9f);
        Result full = runCopyingCheckpoints(task, ModelKind.LSTM, o, dir, Trainer.OnNonFinite.STOP);
        Result resumed = resume(task, ModelKind.LSTM, o, dir.resolve("copies/step-40"), Trainer.OnNonFinite.STOP, new ArrayList<>());
        assertSameRun(full, resumed);
        assertEquals(Set.of("velocity"), Checkpoint.read(dir.resolve(Checkpoint.FILE_NAME)).optimizerState().keySet());
    }

    @Test
    void checkpointOfAnotherModelIsRejected(@TempDir Path dir) throws Exception {
        Task task = adding();
        TrainOptions o = options(Optimizer.Kind.ADAM, 0f);
        runCopyingCheckpoints(task, ModelKind.ROAF_RNN, o, dir, Trainer.OnNonFinite.STOP);
        Checkpoint cp = Checkpoint.read(dir.resolve("copies/step-20"));
        try (Engine engine = new CpuEngine(1); Model m = model(engine, task, ModelKind.RNN, 1)) {
            Trainer t = new Trainer(m, task, o).resumeFrom(cp, "cp");
            InvalidFileException e = assertThrows(InvalidFileException.class, t::fit);
            assertTrue(e.getMessage().startsWith("cp: "), e.getMessage());
        }
        TrainOptions shorter = new TrainOptions(10, 8, 5e-3f, Optimizer.Kind.ADAM, 0f, 3, 15, 50, 0f, LrSchedule.CONSTANT);
        try (Engine engine = new CpuEngine(1); Model m = model(engine, task, ModelKind.ROAF_RNN, 1)) {
            assertThrows(IllegalArgumentException.class, () -> new Trainer(m, task, shorter).resumeFrom(cp, "cp"));
        }
        Files.writeString(dir.resolve("junk"), "not a checkpoint");
        assertThrows(InvalidFileException.class, () -> Checkpoint.read(dir.resolve("junk")));
    }

    /** The adding task, except that the batches of the given 0-based indices carry a NaN input. */
    static Task poisoned(Task base, Set<Long> badIndices) {
        return new Task() {
            public String name() { return base.name(); }
            public int steps() { return base.steps(); }
            public int inputSize() { return base.inputSize(); }
            public int outputSize() { return base.outputSize(); }
            public Batch.Target target() { return base.target(); }
            public long trainSize() { return base.trainSize(); }
            public int testSize() { return base.testSize(); }
            public Batch testBatch(int from, int count) { return base.testBatch(from, count); }
            public Map<String, Object> describe() { return base.describe(); }

            public Batch trainBatch(long seed, long index, int batchSize) {
                Batch b = base.trainBatch(seed, index, batchSize);
                if (!badIndices.contains(index)) {
                    return b;
                }
                float[] in = b.inputs.clone();
                in[0] = Float.NaN;
                return new Batch(b.size, b.steps, b.features, in, b.target, b.labels, b.targets, b.outputs);
            }
        };
    }

    @Test
    void nonFiniteStepStopsAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws Exception {
        Task task = poisoned(adding(), Set.of(24L)); // step 25
        TrainOptions o = options(Optimizer.Kind.ADAM, 0f);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> runCopyingCheckpoints(task, ModelKind.ROAF_RNN, o, dir, Trainer.OnNonFinite.STOP));
        assertEquals(25, e.step());
        assertTrue(e.getMessage().startsWith("step 25: the loss is not finite"), e.getMessage());
        assertTrue(e.getMessage().contains("checkpoint (after step 24)"), e.getMessage());
        Checkpoint cp = Checkpoint.read(dir.resolve(Checkpoint.FILE_NAME));
        assertEquals(24, cp.step(), "the state before the bad step is saved");
        // The saved state is the uninterrupted run's state after step 24: resuming with skip from it
        // equals a run that skips from the start.
        Path skipDir = Files.createDirectories(dir.resolve("skip"));
        Result skipping = runCopyingCheckpoints(task, ModelKind.ROAF_RNN, o, skipDir, Trainer.OnNonFinite.SKIP);
        Result resumed = resume(task, ModelKind.ROAF_RNN, o, dir.resolve(Checkpoint.FILE_NAME), Trainer.OnNonFinite.SKIP, new ArrayList<>());
        // The evaluations before the switch to skip were recorded without the skipped_steps field.
        assertSameRun(skipping, resumed, true);
        assertEquals(1L, resumed.result().last().toJson().get("skipped_steps"));
    }

    @Test
    void skipPolicySkipsCountsAndReports(@TempDir Path dir) throws Exception {
        Task task = poisoned(adding(), Set.of(4L, 5L, 33L));
        TrainOptions o = options(Optimizer.Kind.ADAM, 0f);
        Result r = runCopyingCheckpoints(task, ModelKind.ROAF_RNN, o, dir, Trainer.OnNonFinite.SKIP);
        assertEquals(3, r.result().skippedSteps());
        List<EvalRecord> ev = r.result().evaluations();
        assertEquals(2L, ev.get(0).toJson().get("skipped_steps"), "after step 15");
        assertEquals(3L, r.result().last().toJson().get("skipped_steps"));
        assertTrue(Double.isFinite(r.result().last().testLoss()));
        Checkpoint cp = Checkpoint.read(dir.resolve(Checkpoint.FILE_NAME));
        assertEquals(STEPS - 3, cp.optimizerSteps(), "skipped steps apply no update");
        assertEquals(3, cp.skippedSteps());
        // Resuming across a skipped step is exact too.
        Result resumed = resume(task, ModelKind.ROAF_RNN, o, dir.resolve("copies/step-30"), Trainer.OnNonFinite.SKIP, new ArrayList<>());
        assertSameRun(r, resumed);
        // A clean run has no skipped_steps field and differs from the skipping run.
        Result clean = runCopyingCheckpoints(adding(), ModelKind.ROAF_RNN, o, Files.createDirectories(dir.resolve("clean")),
                Trainer.OnNonFinite.STOP);
        assertTrue(!clean.result().last().toJson().containsKey("skipped_steps"));
        assertNotEquals(clean.tensors(), r.tensors());
    }
}
