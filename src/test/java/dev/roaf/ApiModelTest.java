package dev.roaf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The public Model and Trainer on the CPU: lifetime, save/load, predict, listeners, custom data. */
class ApiModelTest {
    private static final Device CPU = Device.cpu(2);

    @Test
    void closedModelRefusesEveryUse(@TempDir Path dir) {
        Model m = Model.roafRnn().setInputSize(1).setHiddenSize(4).setOutputs(2).optBeta(0.1).optDevice(CPU).build();
        m.close();
        assertTrue(m.isClosed());
        assertDoesNotThrow(m::close); // idempotent
        List<org.junit.jupiter.api.function.Executable> uses = List.of(
                () -> m.predict(new float[1][3][1]), () -> m.save(dir.resolve("x.safetensors")), m::parameterCount,
                m::hiddenSize, m::metadata, () -> m.evaluate(TinyData.signTask(4, 3, 1)),
                () -> Trainer.builder(m, TinyData.signTask(4, 3, 1)).setSteps(1).optBatchSize(2).build(),
                () -> m.loadParameters(dir.resolve("x.safetensors")));
        for (var use : uses) {
            IllegalStateException e = assertThrows(IllegalStateException.class, use);
            assertTrue(e.getMessage().contains("was closed; it cannot be used after close()"), e.getMessage());
        }
    }

    @Test
    void trainerFailsOnAModelClosedAfterBuild() {
        Dataset data = TinyData.signTask(8, 3, 1);
        Model m = Model.rnn().setShapeFrom(data).setHiddenSize(4).optDevice(CPU).build();
        Trainer t = Trainer.builder(m, data).setSteps(2).optBatchSize(4).build();
        m.close();
        assertThrows(IllegalStateException.class, t::fit);
    }

    @Test
    void saveLoadRoundTripGivesIdenticalPredictions(@TempDir Path dir) throws IOException {
        float[][][] seq = new float[3][5][2];
        float[][] vec = new float[3][6];
        for (int i = 0; i < 3; i++) {
            for (int t = 0; t < 5; t++) {
                seq[i][t][0] = (float) Math.sin(i + t);
                seq[i][t][1] = (float) Math.cos(i * t);
            }
            for (int j = 0; j < 6; j++) {
                vec[i][j] = (float) Math.sin(i * 7 + j);
            }
        }
        List<ModelBuilder> builders = List.of(
                Model.roafRnn().setInputSize(2).setHiddenSize(6).setOutputs(3).optSequenceLength(5),
                Model.roafRnn().setInputSize(2).setHiddenSize(6).setOutputs(3).optBeta(0.2).optFilter(FilterType.PERMUTATION),
                Model.lstm().setInputSize(2).setHiddenSize(6).setOutputs(4).optHeadEveryStep(true),
                Model.roafMlp().setInputSize(6).setHiddenSize(5).setOutputs(2).setDepth(3).optFilter(FilterType.HAAR_SHARED),
                Model.resMlp().setInputSize(6).setHiddenSize(5).setOutputs(2).setDepth(2));
        int k = 0;
        for (ModelBuilder b : builders) {
            Path file = dir.resolve("m" + (k++) + ".safetensors");
            try (Model m = b.optSeed(7).optDevice(CPU).build()) {
                m.save(file, Map.of("task", "none"));
                try (Model r = Model.load(file, CPU)) {
                    assertEquals(m.family(), r.family());
                    assertEquals(m.metadata(), r.metadata());
                    assertEquals(m.alpha(), r.alpha());
                    assertEquals(m.filter(), r.filter());
                    assertEquals(m.parameterCount(), r.parameterCount());
                    if (!m.family().isRecurrent()) {
                        assertArrayEquals(m.predict(vec), r.predict(vec));
                        assertEquals(2, r.predict(vec)[0].length);
                    } else if (m.headEveryStep()) {
                        float[][][] out = r.predictEveryStep(seq);
                        assertEquals(5, out[0].length);
                        assertEquals(4, out[0][0].length);
                        for (int i = 0; i < 3; i++) {
                            assertArrayEquals(m.predictEveryStep(seq)[i], out[i]);
                        }
                        assertThrows(IllegalStateException.class, () -> r.predict(seq));
                    } else {
                        assertArrayEquals(m.predict(seq), r.predict(seq));
                        assertThrows(IllegalStateException.class, () -> r.predictEveryStep(seq));
                        assertThrows(IllegalArgumentException.class, () -> r.predict(vec));
                    }
                }
                assertEquals("none", Model.readMetadata(file).get("task"));
                assertEquals(b.family().cliName(), Model.readMetadata(file).get("model"));
            }
        }
        Path junk = dir.resolve("junk.safetensors");
        Files.writeString(junk, "not a model");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Model.load(junk, CPU));
        assertTrue(e.getMessage().contains("junk.safetensors"), e.getMessage());
    }

    @Test
    void listenersAreCalledInOrder() {
        Dataset data = TinyData.signTask(32, 4, 3);
        List<String> events = new ArrayList<>();
        class Recorder implements TrainingListener {
            private final String name;

            Recorder(String name) {
                this.name = name;
            }

            @Override
            public void onStep(StepEvent s) {
                events.add(name + ":step" + s.step());
            }

            @Override
            public void onEvaluation(EvaluationEvent e) {
                events.add(name + ":eval" + e.step());
            }

            @Override
            public void onFinish(TrainingResult r) {
                events.add(name + ":finish" + r.steps());
            }
        }
        try (Model m = Model.roafRnn().setShapeFrom(data).setHiddenSize(4).optDevice(CPU).build()) {
            TrainingResult r = Trainer.builder(m, data).setSteps(4).optBatchSize(8).optEvaluateEvery(2)
                    .addListener(new Recorder("a")).addListener(new Recorder("b")).build().fit();
            assertEquals(List.of("a:step1", "b:step1", "a:step2", "b:step2", "a:eval2", "b:eval2", "a:step3", "b:step3",
                    "a:step4", "b:step4", "a:eval4", "b:eval4", "a:finish4", "b:finish4"), events);
            assertEquals(2, r.evaluations().size());
            assertEquals(32, r.last().testExamples());
        }
    }

    @Test
    void customDatasetTrainsEndToEnd(@TempDir Path dir) throws IOException {
        Dataset train = TinyData.signTask(256, 8, 11);
        try (Model m = Model.roafRnn().setShapeFrom(train).setHiddenSize(16).optAlpha(0.9).optBeta(0.5)
                .optSeed(3).optDevice(CPU).build();
             RunRecorder record = RunRecorder.forRun(dir.resolve("run"), m, train)) {
            Evaluation before = m.evaluate(train);
            Trainer trainer = Trainer.builder(m, train).setEpochs(10).optBatchSize(32).optLearningRate(0.01)
                    .optEvaluateEvery(0).addListener(record).build();
            assertEquals(80, trainer.steps());
            TrainingResult r = trainer.fit();
            Evaluation after = trainer.evaluate(train);
            assertEquals(after.loss(), r.last().testLoss(), 1e-6);
            assertTrue(after.loss() < 0.6 * before.loss(), before + " -> " + after);
            assertTrue(after.accuracy() > 0.85, after.toString());
            assertFalse(Double.isNaN(r.last().epoch()));
            assertTrue(Files.readString(dir.resolve("run/metrics.jsonl")).contains("\"test_acc\""));
            assertTrue(Files.exists(dir.resolve("run/curves.png")));
            assertThrows(IllegalStateException.class, trainer::fit);
        }
    }

    @Test
    void builtInTasksAreReachable() {
        Dataset copy = Datasets.builtIn("copy", Datasets.Options.defaults().withLength(3).withTestSize(4));
        assertEquals(TargetType.CLASS_PER_STEP, copy.targetType());
        try (Model m = Model.lstm().setShapeFrom(copy).setHiddenSize(8).optDevice(CPU).build()) {
            assertTrue(m.headEveryStep());
            TrainingResult r = Trainer.builder(m, copy).setSteps(2).optBatchSize(4).build().fit();
            assertEquals(4, r.last().testExamples());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Datasets.builtIn("cifar"));
        assertTrue(e.getMessage().contains("psmnist"), e.getMessage());
    }

    @Test
    void checkpointAndResumeEndWhereTheUninterruptedRunEnds(@TempDir Path dir) {
        Dataset data = TinyData.signTask(64, 5, 4);
        float[][][] probe = new float[4][5][1];
        probe[1][2][0] = 1f;
        probe[3][4][0] = -0.5f;
        float[][] expected;
        try (Model m = Model.roafRnn().setShapeFrom(data).setHiddenSize(8).optSeed(2).optDevice(CPU).build()) {
            Trainer.builder(m, data).setSteps(6).optBatchSize(16).optEvaluateEvery(2).build().fit();
            expected = m.predict(probe);
        }
        Path ckpt = dir.resolve("checkpoint.safetensors");
        try (Model m = Model.roafRnn().setShapeFrom(data).setHiddenSize(8).optSeed(2).optDevice(CPU).build()) {
            Trainer t = Trainer.builder(m, data).setSteps(6).optBatchSize(16).optEvaluateEvery(2)
                    .optCheckpoints(ckpt, 3, 0, Map.of()).addListener(new TrainingListener() {
                        @Override
                        public void onStep(StepEvent s) {
                            if (s.step() == 4) {
                                throw new IllegalStateException("simulated crash");
                            }
                        }
                    }).build();
            assertThrows(IllegalStateException.class, t::fit);
        }
        List<Long> resumedFrom = new ArrayList<>();
        try (Model m = Model.roafRnn().setShapeFrom(data).setHiddenSize(8).optSeed(99).optDevice(CPU).build()) {
            TrainingResult r = Trainer.builder(m, data).setSteps(6).optBatchSize(16).optEvaluateEvery(2)
                    .optResumeFrom(ckpt).addListener(new TrainingListener() {
                        @Override
                        public void onResume(List<StepEvent> steps, List<EvaluationEvent> evaluations) {
                            resumedFrom.add((long) steps.size());
                            resumedFrom.add((long) evaluations.size());
                        }
                    }).build().fit();
            assertEquals(List.of(3L, 1L), resumedFrom);
            assertEquals(3, r.evaluations().size());
            for (int i = 0; i < expected.length; i++) {
                assertArrayEquals(expected[i], m.predict(probe)[i]);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
            try (Model m = Model.rnn().setShapeFrom(data).setHiddenSize(8).optDevice(CPU).build()) {
                Trainer.builder(m, data).setSteps(6).optBatchSize(16).optCheckpoints(ckpt, 0, 0, Map.of()).build();
            }
        });
        assertTrue(e.getMessage().contains("give everySteps or everyMinutes"), e.getMessage());
    }

    @Test
    void aStoppedRunWritesItsCheckpointAndResumesToTheUninterruptedEnd(@TempDir Path dir) throws Exception {
        Dataset data = TinyData.signTask(64, 5, 4);
        float[][][] probe = new float[2][5][1];
        probe[1][2][0] = 1f;
        float[][] expected;
        try (Model m = Model.roafRnn().setShapeFrom(data).setHiddenSize(8).optSeed(2).optDevice(CPU).build()) {
            Trainer.builder(m, data).setSteps(7).optBatchSize(16).optEvaluateEvery(2).build().fit();
            expected = m.predict(probe);
        }
        Path ckpt = dir.resolve("checkpoint.safetensors");
        try (Model m = Model.roafRnn().setShapeFrom(data).setHiddenSize(8).optSeed(2).optDevice(CPU).build()) {
            // Checkpoints every 1,000 steps: the one after step 4 is the stop's own.
            Trainer[] t = new Trainer[1];
            t[0] = Trainer.builder(m, data).setSteps(7).optBatchSize(16).optEvaluateEvery(2)
                    .optCheckpoints(ckpt, 1000, 0, Map.of()).addListener(new TrainingListener() {
                        @Override
                        public void onStep(StepEvent s) {
                            if (s.step() == 4) {
                                t[0].stop();
                            }
                        }
                    }).build();
            TrainingStoppedException e = assertThrows(TrainingStoppedException.class, t[0]::fit);
            assertEquals(4, e.step());
            assertEquals(ckpt, e.checkpoint());
            assertEquals(4, Trainer.readCheckpoint(ckpt).step());
        }
        try (Model m = Model.roafRnn().setShapeFrom(data).setHiddenSize(8).optSeed(99).optDevice(CPU).build()) {
            TrainingResult r = Trainer.builder(m, data).setSteps(7).optBatchSize(16).optEvaluateEvery(2).optResumeFrom(ckpt)
                    .build().fit();
            assertEquals(4, r.evaluations().size(), "steps 2, 4, 6 and the last");
            for (int i = 0; i < expected.length; i++) {
                assertArrayEquals(expected[i], m.predict(probe)[i], "the resumed run ends where the uninterrupted one did");
            }
        }
        // Asked before fit(): no step runs, and without checkpointing there is none to name.
        try (Model m = Model.roafRnn().setShapeFrom(data).setHiddenSize(8).optSeed(2).optDevice(CPU).build()) {
            Trainer t = Trainer.builder(m, data).setSteps(7).optBatchSize(16).build();
            t.stop();
            TrainingStoppedException e = assertThrows(TrainingStoppedException.class, t::fit);
            assertEquals(0, e.step());
            assertNull(e.checkpoint());
            assertTrue(e.getMessage().contains("checkpointing is off"), e.getMessage());
        }
    }
}
