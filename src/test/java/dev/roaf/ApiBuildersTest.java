package dev.roaf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Validation messages of the public builders: each names the setting, the value and what is allowed. */
class ApiBuildersTest {

    private static void fails(String expectedPart, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expectedPart), () -> "message '" + e.getMessage() + "' lacks '" + expectedPart + "'");
    }

    @Test
    void modelBuilderNamesMissingAndBadSettings() {
        fails("missing required settings setInputSize(D), setHiddenSize(N), setOutputs(C)", () -> Model.roafRnn().build());
        fails("missing required setting setDepth(L)", () -> Model.roafMlp().setInputSize(4).setHiddenSize(8).setOutputs(2).build());
        fails("setHiddenSize must be at least 1, got 0", () -> Model.rnn().setInputSize(1).setHiddenSize(0).setOutputs(2).build());
        fails("setDepth applies to the MLP families", () -> Model.lstm().setInputSize(1).setHiddenSize(4).setOutputs(2).setDepth(3).build());
        fails("optAlpha applies to roaf-rnn and roaf-mlp, not lstm",
                () -> Model.lstm().setInputSize(1).setHiddenSize(4).setOutputs(2).optAlpha(0.5).build());
        fails("optFilter applies to roaf-rnn and roaf-mlp, not mlp",
                () -> Model.mlp().setInputSize(1).setHiddenSize(4).setOutputs(2).setDepth(2).optFilter(FilterType.PERMUTATION).build());
        fails("optHeadEveryStep applies to recurrent families",
                () -> Model.resMlp().setInputSize(1).setHiddenSize(4).setOutputs(2).setDepth(2).optHeadEveryStep(true).build());
        fails("beta = c / T needs the sequence length: call optSequenceLength(T)",
                () -> Model.roafRnn().setInputSize(1).setHiddenSize(4).setOutputs(2).build());
        fails("optBeta and optBetaScale are alternatives",
                () -> Model.roafRnn().setInputSize(1).setHiddenSize(4).setOutputs(2).optBeta(0.1).optBetaScale(2).build());
        fails("optAlpha must be in (0, 1], got 1.5",
                () -> Model.roafMlp().setInputSize(1).setHiddenSize(4).setOutputs(2).setDepth(3).optAlpha(1.5).build());
        fails("optBetaScale must be > 0 and finite, got -1.0",
                () -> Model.roafMlp().setInputSize(1).setHiddenSize(4).setOutputs(2).setDepth(3).optBetaScale(-1).build());
        fails("gives beta = 1 - alpha = 0",
                () -> Model.roafMlp().setInputSize(1).setHiddenSize(4).setOutputs(2).setDepth(3).optAlpha(1).build());
        fails("optSequenceLength applies to roaf-rnn", () -> Model.lstm().setInputSize(1).setHiddenSize(4).setOutputs(2)
                .optSequenceLength(10).build());
        fails("unknown model 'gru'; expected one of roaf-rnn, rnn, lstm, roaf-mlp, mlp, resmlp", () -> Model.builder("gru"));
        fails("unknown device 'tpu'", () -> Device.parse("tpu", 0));
    }

    @Test
    void depthAwareDefaultRule() {
        try (Model m = Model.roafMlp().setInputSize(3).setHiddenSize(4).setOutputs(2).setDepth(10)
                .optDevice(Device.cpu(1)).build()) {
            assertEquals(0.1f, m.beta(), 1e-7f);                 // c / L with the default c = 1
            assertEquals(0.9f, m.alpha(), 1e-7f);
            assertEquals(FilterType.HAAR, m.filter());
        }
        try (Model m = Model.roafRnn().setInputSize(1).setHiddenSize(4).setOutputs(2).optSequenceLength(50)
                .optBetaScale(2).optDevice(Device.cpu(1)).build()) {
            assertEquals(0.04f, m.beta(), 1e-7f);                // c / T
            assertEquals(0.96f, m.alpha(), 1e-7f);
        }
        try (Model m = Model.roafMlp().setInputSize(3).setHiddenSize(4).setOutputs(2).setDepth(1)
                .optDevice(Device.cpu(1)).build()) {
            assertEquals(0.5f, m.beta(), 0f);                    // capped at 1/2
        }
        try (Model m = Model.roafRnn().setInputSize(1).setHiddenSize(4).setOutputs(2).optAlpha(0.7)
                .optDevice(Device.cpu(1)).build()) {
            assertEquals(0.3f, m.beta(), 1e-6f);                 // beta = 1 - alpha; no length needed
        }
    }

    @Test
    void alphaScaleSetsTheFilterHorizonApartFromBeta() {
        try (Model m = Model.roafRnn().setInputSize(1).setHiddenSize(4).setOutputs(2).optSequenceLength(1000)
                .optAlphaScale(1).optBeta(0.1).optDevice(Device.cpu(1)).build()) {
            assertEquals(0.999f, m.alpha(), 1e-7f);              // 1 - c / T
            assertEquals(0.1f, m.beta(), 1e-7f);                 // as given, not 1 - alpha
        }
        try (Model m = Model.roafRnn().setInputSize(1).setHiddenSize(4).setOutputs(2).optSequenceLength(100)
                .optAlphaScale(1).optBeta(1).optDevice(Device.cpu(1)).build()) {
            assertEquals(0.99f, m.alpha(), 1e-7f);               // beta >= 1 is allowed when alpha comes from the scale
            assertEquals(1f, m.beta(), 0f);
        }
        try (Model m = Model.roafMlp().setInputSize(3).setHiddenSize(4).setOutputs(2).setDepth(20)
                .optAlphaScale(2).optDevice(Device.cpu(1)).build()) {
            assertEquals(0.9f, m.alpha(), 1e-7f);                // alone: the convex rule, as optBetaScale(2)
            assertEquals(0.1f, m.beta(), 1e-6f);
        }
        try (Model m = Model.roafMlp().setInputSize(3).setHiddenSize(4).setOutputs(2).setDepth(2)
                .optAlphaScale(5).optBeta(0.2).optDevice(Device.cpu(1)).build()) {
            assertEquals(0.5f, m.alpha(), 0f);                   // capped at 1/2
        }
        fails("optAlphaScale excludes optAlpha", () -> Model.roafMlp().setInputSize(1).setHiddenSize(4).setOutputs(2)
                .setDepth(3).optAlphaScale(1).optAlpha(0.5).build());
        fails("optAlphaScale excludes optBetaScale", () -> Model.roafMlp().setInputSize(1).setHiddenSize(4).setOutputs(2)
                .setDepth(3).optAlphaScale(1).optBetaScale(1).build());
        fails("optAlphaScale must be > 0 and finite, got 0.0", () -> Model.roafMlp().setInputSize(1).setHiddenSize(4)
                .setOutputs(2).setDepth(3).optAlphaScale(0).build());
        fails("optAlphaScale applies to roaf-rnn and roaf-mlp, not rnn", () -> Model.rnn().setInputSize(1).setHiddenSize(4)
                .setOutputs(2).optAlphaScale(1).build());
    }

    @Test
    void trainerBuilderNamesBadSettings() {
        Dataset data = TinyData.signTask(40, 6, 1);
        try (Model m = Model.roafRnn().setShapeFrom(data).setHiddenSize(4).optDevice(Device.cpu(1)).build()) {
            fails("the training length is required: call setSteps(S) or setEpochs(E)", () -> Trainer.builder(m, data).build());
            fails("setSteps and setEpochs are alternatives", () -> Trainer.builder(m, data).setSteps(3).setEpochs(1).build());
            fails("optBatchSize(100) is larger than the 40 training examples", () -> Trainer.builder(m, data).setSteps(3).build());
            fails("optLearningRate must be > 0 and finite, got 0.0",
                    () -> Trainer.builder(m, data).setSteps(3).optBatchSize(8).optLearningRate(0).build());
            fails("optMomentum applies to SGD, not adam",
                    () -> Trainer.builder(m, data).setSteps(3).optBatchSize(8).optMomentum(0.9).build());
            fails("a hold fraction (0.5) needs a decaying schedule such as COSINE",
                    () -> Trainer.builder(m, data).optLearningRateSchedule(LearningRateSchedule.CONSTANT, 0.5));
            fails("holdFraction must be in [0, 1), got 1.0",
                    () -> Trainer.builder(m, data).optLearningRateSchedule(LearningRateSchedule.COSINE, 1.0));
            fails("the warmup must be >= 0 steps (0 = none), got -1", () -> Trainer.builder(m, data).optLearningRateWarmup(-1));
            assertEquals(10, Trainer.builder(m, data).setEpochs(2).optBatchSize(8).build().steps()); // 2 * floor(40 / 8)
        }
        Dataset adding = Datasets.builtIn("adding", Datasets.Options.defaults().withLength(6).withTestSize(4));
        try (Model m = Model.rnn().setShapeFrom(adding).setHiddenSize(4).optDevice(Device.cpu(1)).build()) {
            fails("setEpochs needs a dataset of known size; adding is an endless stream",
                    () -> Trainer.builder(m, adding).setEpochs(1).build());
        }
        try (Model m = Model.mlp().setInputSize(6).setHiddenSize(4).setOutputs(2).setDepth(2).optDevice(Device.cpu(1)).build()) {
            fails("mlp reads vectors, but dataset sign has sequences", () -> Trainer.builder(m, data).setSteps(1).build());
        }
        try (Model m = Model.rnn().setInputSize(2).setHiddenSize(4).setOutputs(2).optDevice(Device.cpu(1)).build()) {
            fails("dataset sign has 1 input features, the model expects 2", () -> Trainer.builder(m, data).setSteps(1).build());
        }
    }

    @Test
    void datasetBuilderNamesBadArrays() {
        fails("the training examples are required", () -> Dataset.builder().build());
        fails("train sequences[1] has 2 steps, train sequences[0] has 3",
                () -> Dataset.builder().setTrain(new float[][][]{new float[3][1], new float[2][1]}, new int[]{0, 1}).build());
        fails("train labels has 1 entries but train sequences has 2",
                () -> Dataset.builder().setTrain(new float[][][]{new float[3][1], new float[3][1]}, new int[]{0}).build());
        fails("train labels[1] = -2; class labels must be >= 0",
                () -> Dataset.builder().setTrain(new float[2][3], new int[]{0, -2}).build());
        fails("train vectors[0][1] = NaN is not finite",
                () -> Dataset.builder().setTrain(new float[][]{{0f, Float.NaN}}, new int[]{0}).build());
        fails("test examples are 1 x 4 features but training examples are 2 x 3 features",
                () -> Dataset.builder().setTrain(new float[2][3], new int[]{0, 1}).optTest(new float[1][4], new int[]{0}).build());
        fails("optClasses(2) but a label is 4",
                () -> Dataset.builder().setTrain(new float[2][3], new int[]{0, 4}).optClasses(2).build());
        Dataset d = Dataset.builder().setTrain(new float[5][4][2], new float[5][3]).optName("reg").build();
        assertEquals(TargetType.REGRESSION, d.targetType());
        assertEquals(4, d.steps());
        assertEquals(3, d.outputs());
        assertEquals(5, d.testSize());
    }
}
