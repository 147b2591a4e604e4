package dev.roaf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parts of the public API the CLI needs: recomputation, skipped steps, checkpoints, JSON, fetch, diagnostics. */
class ApiForCliTest {
    private static final Device CPU = Device.cpu(2);

    @Test
    void recomputeEveryIsValidatedAndShowsInTheMemoryEstimate() {
        ModelBuilder b = Model.roafMlp().setInputSize(6).setHiddenSize(4).setOutputs(3).setDepth(8).optDevice(CPU);
        assertTrue(b.memoryEstimate(5, OptimizerType.ADAM, 0).contains("all layers stored"), b.memoryEstimate(5, OptimizerType.ADAM, 0));
        b.optRecomputeEvery(2);
        String e = b.memoryEstimate(5, OptimizerType.SGD, 0.9);
        assertTrue(e.startsWith("memory: ") && e.contains("stored every 2 layers"), e);
        try (Model m = b.build()) {
            assertEquals(2, m.cpuThreads());
        }
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> Model.mlp().setInputSize(6)
                .setHiddenSize(4).setOutputs(3).setDepth(8).optRecomputeEvery(0).optDevice(CPU).build());
        assertTrue(zero.getMessage().contains("optRecomputeEvery"), zero.getMessage());
        IllegalArgumentException lstm = assertThrows(IllegalArgumentException.class, () -> Model.lstm().setInputSize(1)
                .setHiddenSize(4).setOutputs(2).optRecomputeEvery(2).optDevice(CPU).build());
        assertTrue(lstm.getMessage().contains("optRecomputeEvery applies to roaf-rnn, rnn and the MLP families, not lstm"),
                lstm.getMessage());
        IllegalArgumentException noLength = assertThrows(IllegalArgumentException.class, () -> Model.rnn().setInputSize(1)
                .setHiddenSize(4).setOutputs(2).memoryEstimate(5, OptimizerType.ADAM, 0));
        assertTrue(noLength.getMessage().contains("needs the sequence length"), noLength.getMessage());
    }

    @Test
    void recurrentModelsRecomputeOverTimeAndEstimateTheirMemory() {
        Dataset adding = Datasets.builtIn("adding", Datasets.Options.defaults().withLength(40).withTestSize(20));
        ModelBuilder b = Model.roafRnn().setShapeFrom(adding).setHiddenSize(6).optDevice(CPU);
        String full = b.memoryEstimate(8, OptimizerType.ADAM, 0);
        assertTrue(full.startsWith("memory: ") && full.contains("all 40 steps stored"), full);
        assertEquals(full, b.memoryEstimate(8, 40, OptimizerType.ADAM, 0));
        b.optRecomputeEvery(7);
        String seg = b.memoryEstimate(8, OptimizerType.ADAM, 0);
        assertTrue(seg.contains("states stored every 7 of 40 steps and recomputed in the backward pass"), seg);
        assertTrue(Model.rnn().setInputSize(1).setHiddenSize(4).setOutputs(2).memoryEstimate(3, 100, OptimizerType.SGD, 0)
                .contains("all 100 steps stored"));
        // Training with K = 7 (which does not divide T = 40) follows the full store's loss curve to float rounding.
        double[] losses = new double[2];
        for (int i = 0; i < 2; i++) {
            ModelBuilder mb = Model.roafRnn().setShapeFrom(adding).setHiddenSize(6).optDevice(CPU);
            if (i == 1) {
                mb.optRecomputeEvery(7);
            }
            try (Model m = mb.build()) {
                TrainingResult r = Trainer.builder(m, adding).setSteps(5).optBatchSize(8).optEvaluateEvery(0).build().fit();
                losses[i] = r.last().testLoss();
            }
        }
        assertEquals(losses[0], losses[1], 1e-5 * Math.abs(losses[0]), "test loss after 5 steps, full store vs K = 7");
    }

    /**
     * AdamW without decay is Adam bit for bit; its default decay is torch's 0.01, and decay changes the run; Adam's
     * and SGD's decay is L2; bad values are refused with the setting's name.
     */
    @Test
    void weightDecayFollowsTorchOptim() {
        Dataset data = TinyData.signTask(40, 6, 1);
        assertEquals(0.01, OptimizerType.ADAMW.defaultWeightDecay());
        assertEquals(0.0, OptimizerType.ADAM.defaultWeightDecay());
        assertEquals(0.0, OptimizerType.SGD.defaultWeightDecay());
        assertEquals(OptimizerType.ADAMW, OptimizerType.parse("adamw"));
        assertEquals("adamw", OptimizerType.ADAMW.toString());
        double adam = testLossAfterSteps(data, OptimizerType.ADAM, null);
        assertEquals(adam, testLossAfterSteps(data, OptimizerType.ADAMW, 0.0), 0.0, "AdamW with weight decay 0 is Adam");
        double adamw = testLossAfterSteps(data, OptimizerType.ADAMW, null);
        assertEquals(adamw, testLossAfterSteps(data, OptimizerType.ADAMW, 0.01), 0.0, "AdamW's default weight decay is 0.01");
        assertTrue(adamw != adam, "weight decay 0.01 changes the run");
        assertTrue(testLossAfterSteps(data, OptimizerType.ADAM, 0.01) != adam, "Adam's L2 weight decay changes the run");
        assertTrue(testLossAfterSteps(data, OptimizerType.SGD, 0.5) != testLossAfterSteps(data, OptimizerType.SGD, null),
                "SGD's L2 weight decay changes the run");
        try (Model m = Model.roafRnn().setShapeFrom(data).setHiddenSize(4).optDevice(CPU).build()) {
            for (double bad : new double[]{-0.1, Double.NaN, Double.POSITIVE_INFINITY}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Trainer.builder(m, data)
                        .setSteps(3).optBatchSize(8).optOptimizer(OptimizerType.ADAMW).optWeightDecay(bad).build());
                assertTrue(e.getMessage().contains("optWeightDecay must be >= 0 and finite"), e.getMessage());
            }
        }
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> OptimizerType.parse("adamax"));
        assertTrue(unknown.getMessage().contains("expected adam, adamw or sgd"), unknown.getMessage());
    }

    private static double testLossAfterSteps(Dataset data, OptimizerType optimizer, Double weightDecay) {
        try (Model m = Model.roafRnn().setShapeFrom(data).setHiddenSize(4).optDevice(CPU).build()) {
            Trainer.Builder b = Trainer.builder(m, data).setSteps(6).optBatchSize(8).optOptimizer(optimizer)
                    .optLearningRate(0.05).optEvaluateEvery(0);
            if (weightDecay != null) {
                b.optWeightDecay(weightDecay);
            }
            return b.build().fit().last().testLoss();
        }
    }

    @Test
    void skippedStepsReachListenersEvaluationsAndCheckpoints(@TempDir Path dir) throws IOException {
        Dataset data = Datasets.builtIn("adding", Datasets.Options.defaults().withLength(6).withTestSize(20));
        List<Long> skipped = new ArrayList<>();
        List<EvaluationEvent> evals = new ArrayList<>();
        Path cp = dir.resolve(Trainer.CHECKPOINT_FILE_NAME);
        try (Model m = Model.rnn().setShapeFrom(data).setHiddenSize(4).optDevice(CPU).build()) {
            TrainingResult r = Trainer.builder(m, data).setSteps(4).optBatchSize(4).optOptimizer(OptimizerType.SGD)
                    .optLearningRate(1e30).optEvaluateEvery(2).optSkipNonFiniteSteps(true)
                    .optCheckpoints(cp, 2, 0, Map.of("mine", "[\"a\"]"))
                    .addListener(new TrainingListener() {
                        @Override
                        public void onSkippedStep(long step, double loss, double gradientNorm, long skippedSoFar) {
                            skipped.add(skippedSoFar);
                            assertFalse(Double.isFinite(loss) && Double.isFinite(gradientNorm));
                        }

                        @Override
                        public void onEvaluation(EvaluationEvent evaluation) {
                            evals.add(evaluation);
                        }
                    }).build().fit();
            assertTrue(r.skippedSteps() > 0, "a learning rate of 1e30 makes steps non-finite");
            assertEquals(r.skippedSteps(), skipped.size());
            assertEquals(r.skippedSteps(), skipped.get(skipped.size() - 1));
            assertEquals(r.skippedSteps(), evals.get(evals.size() - 1).skippedSteps());
            assertEquals(r.skippedSteps(), evals.get(evals.size() - 1).toJson().get("skipped_steps"));
            CheckpointInfo info = Trainer.readCheckpoint(cp);
            assertEquals(4, info.step());
            assertEquals(r.skippedSteps(), info.skippedSteps());
            assertEquals(List.of("a"), JsonText.parse(info.metadata().get("mine")));
            Path model = dir.resolve("model.safetensors");
            m.save(model);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Trainer.readCheckpoint(model));
            assertTrue(e.getMessage().contains("expected a roaf checkpoint") && e.getMessage().contains(model.toString()),
                    e.getMessage());
        }
        EvaluationEvent plain = new EvaluationEvent(1, Double.NaN, 4, 1, Double.NaN, 1, Double.NaN, 20, 0.5);
        assertEquals(-1, plain.skippedSteps());
        assertFalse(plain.toJson().containsKey("skipped_steps"));
    }

    @Test
    void jsonTextRoundTrips() {
        Map<String, Object> v = Map.of("a", List.of(1L, 2.5, "x", true));
        assertEquals(v, JsonText.parse(JsonText.write(v)));
        assertEquals(v, JsonText.parse(JsonText.pretty(v)));
        assertThrows(IllegalArgumentException.class, () -> JsonText.parse("[1,"));
    }

    @Test
    void fetchNamesAndFailures(@TempDir Path dir) {
        assertEquals("Fashion-MNIST", Datasets.title("fashion"));
        assertEquals("mnist", Datasets.defaultFetchDir("MNIST").getFileName().toString());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Datasets.title("cifar"));
        assertTrue(unknown.getMessage().contains("mnist or fashion"), unknown.getMessage());
        List<String> log = new ArrayList<>();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Datasets.fetch("mnist", dir.resolve("m"), URI.create("http://127.0.0.1:1/"), log::add));
        assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
        assertTrue(log.stream().anyMatch(l -> l.startsWith("downloading ")), log.toString());
    }

    @Test
    void diagnosticsWriteTheFilesAndReport(@TempDir Path dir) throws IOException {
        List<String> report = new ArrayList<>();
        List<String> notices = new ArrayList<>();
        Path out = Diagnostics.builder().optDepth(4).optHiddenSize(5).optBatchSize(3).optRandomInput(true).optDevice(CPU)
                .build().run(dir.resolve("d"), report::add, notices::add);
        for (String f : List.of("gradnorms.csv", "gradnorms-mlp.csv", "gradnorms-resmlp.csv", "jacobian_sv.csv",
                "gradnorms.png", "jacobian_sv.png", "summary.json")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        assertEquals(5, Files.readAllLines(out.resolve("gradnorms.csv")).size());
        assertTrue(report.get(0).startsWith("roaf-mlp L=4 N=5 at init: alpha=0.750000 beta=0.250000"), report.toString());
        assertTrue(notices.get(0).contains("diagnose L=4 N=5"), notices.toString());
        Map<?, ?> summary = (Map<?, ?>) JsonText.parse(Files.readString(out.resolve("summary.json")));
        assertEquals(3, ((List<?>) summary.get("models")).size());
        assertThrows(IllegalArgumentException.class, () -> Diagnostics.builder().optFamily(ModelFamily.LSTM).build());
        assertThrows(IllegalArgumentException.class, () -> Diagnostics.builder().optDepth(0).build());
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class,
                () -> Diagnostics.builder().optFamily(ModelFamily.MLP).optOnlyPrimary(true).optAlpha(0.5).build());
        assertTrue(a.getMessage().contains("optAlpha"), a.getMessage());
    }
}
