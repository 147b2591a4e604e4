package dev.roaf.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code roaf plot}: real run records of two models on one chart, and the errors that name their fix. */
class PlotCommandTest {

    @Test
    void plotsTwoTrainedRunsOnTheSameAxes(@TempDir Path tmp) throws IOException {
        Path a = tmp.resolve("roaf-rnn"), b = tmp.resolve("lstm");
        for (Path run : new Path[] {a, b}) {
            CliTest.Result r = CliTest.roaf("train", "--model", run.getFileName().toString(), "--task", "copy", "--length", "3",
                    "--hidden", "6", "--batch", "4", "--steps", "4", "--eval-every", "2", "--eval-size", "8", "--device", "cpu",
                    "--out", run.toString());
            assertEquals(0, r.code(), r.err());
        }
        Path png = tmp.resolve("out").resolve("copy.png");
        CliTest.Result r = CliTest.roaf("plot", a.toString(), b.toString(), "--out", png.toString(), "--title", "copy");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote") && r.out().contains("(2 runs)"), r.out());
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image);
        assertEquals(1200, image.getWidth());

        PlotCommand.Curves c = PlotCommand.read(a, "a", "step");
        assertTrue(c.classification(), "copy reports recall accuracy");
        assertEquals(2, c.xs().length);
        assertEquals(2.0, c.xs()[0]);
        assertEquals(4.0, c.xs()[1]);
        assertTrue(c.test()[1] >= 0 && c.test()[1] <= 1 && c.train()[1] > 0, "accuracy in [0, 1], a positive loss");

        CliTest.Result wall = CliTest.roaf("plot", a.toString(), "--x", "wall", "--label", "ROAF", "--out", tmp.resolve("w.png").toString());
        assertEquals(0, wall.code(), wall.err());

        Path withGrad = tmp.resolve("g.png");
        CliTest.Result grad = CliTest.roaf("plot", a.toString(), b.toString(), "--grad-norm", "--out", withGrad.toString());
        assertEquals(0, grad.code(), grad.err());
        assertEquals(1650, ImageIO.read(withGrad.toFile()).getWidth(), "a third panel");
        double[][] g = PlotCommand.readGradNorms(a, false);
        assertEquals(4, g[0].length, "one gradient norm per update");
        for (int i = 0; i < 4; i++) {
            assertEquals(i + 1, g[0][i]);
            assertTrue(g[1][i] > 0 && Double.isFinite(g[1][i]), "gradient norm of update " + (i + 1) + ": " + g[1][i]);
        }
        // bench/results keeps steps.csv gzip-compressed: the same numbers come back from steps.csv.gz.
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(a.resolve("steps.csv.gz")))) {
            out.write(Files.readAllBytes(a.resolve("steps.csv")));
        }
        Files.delete(a.resolve("steps.csv"));
        double[][] fromGz = PlotCommand.readGradNorms(a, false);
        assertTrue(java.util.Arrays.equals(g[0], fromGz[0]) && java.util.Arrays.equals(g[1], fromGz[1]), "steps.csv.gz reads as steps.csv");
        CliTest.Result gradEpoch = CliTest.roaf("plot", a.toString(), "--grad-norm", "--x", "epoch", "--out", withGrad.toString());
        assertEquals(2, gradEpoch.code());
        Files.delete(b.resolve("steps.csv"));
        CliTest.Result noSteps = CliTest.roaf("plot", a.toString(), b.toString(), "--grad-norm", "--out", withGrad.toString());
        assertEquals(2, noSteps.code());
        assertTrue(noSteps.err().contains("--grad-norm needs runs recorded with steps.csv"), noSteps.err());
    }

    @Test
    void errorsNameTheFix(@TempDir Path tmp) throws IOException {
        CliTest.Result missing = CliTest.roaf("plot", tmp.resolve("nope").toString(), "--out", tmp.resolve("x.png").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("RUN must be a folder written by roaf train --out"), missing.err());

        Path acc = tmp.resolve("acc"), loss = tmp.resolve("loss");
        Files.createDirectories(acc);
        Files.createDirectories(loss);
        Files.writeString(acc.resolve("metrics.jsonl"), "{\"step\":1,\"train_loss\":2.0,\"test_loss\":1.5,\"test_acc\":0.4,\"wall_s\":1}\n");
        Files.writeString(loss.resolve("metrics.jsonl"), "{\"step\":1,\"train_loss\":0.2,\"test_loss\":0.1,\"test_acc\":null,\"wall_s\":1}\n");
        CliTest.Result mixed = CliTest.roaf("plot", acc.toString(), loss.toString(), "--out", tmp.resolve("m.png").toString());
        assertEquals(2, mixed.code());
        assertTrue(mixed.err().contains("measure different things (accuracy and loss): plot them separately"), mixed.err());
        assertFalse(PlotCommand.read(loss, "l", "step").classification());

        CliTest.Result labels = CliTest.roaf("plot", acc.toString(), "--label", "a,b", "--out", tmp.resolve("l.png").toString());
        assertEquals(2, labels.code());
        assertTrue(labels.err().contains("--label gives 2 names for 1 runs"), labels.err());
        CliTest.Result axis = CliTest.roaf("plot", acc.toString(), "--x", "examples", "--out", tmp.resolve("e.png").toString());
        assertEquals(2, axis.code());
        assertTrue(axis.err().contains("--x must be step, epoch or wall"), axis.err());
        CliTest.Result noEpochs = CliTest.roaf("plot", acc.toString(), "--x", "epoch", "--out", tmp.resolve("e.png").toString());
        assertEquals(2, noEpochs.code());
        assertTrue(noEpochs.err().contains("has no epochs"), noEpochs.err());
    }

    /** --x epoch puts runs of different batch sizes on one axis: passes over the training set. */
    @Test
    void epochsCompareBatchSizes(@TempDir Path tmp) throws IOException {
        Path small = tmp.resolve("b10"), large = tmp.resolve("b100");
        Files.createDirectories(small);
        Files.createDirectories(large);
        Files.writeString(small.resolve("metrics.jsonl"), "{\"step\":6000,\"epoch\":1.0,\"train_loss\":0.5,\"test_acc\":0.9,\"wall_s\":9}\n"
                + "{\"step\":12000,\"epoch\":2.0,\"train_loss\":0.3,\"test_acc\":0.92,\"wall_s\":18}\n");
        Files.writeString(large.resolve("metrics.jsonl"), "{\"step\":600,\"epoch\":1.0,\"train_loss\":1.0,\"test_acc\":0.85,\"wall_s\":7}\n");
        Path png = tmp.resolve("e.png");
        CliTest.Result r = CliTest.roaf("plot", small.toString(), large.toString(), "--x", "epoch", "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        assertNotNull(ImageIO.read(png.toFile()));
        assertEquals(2.0, PlotCommand.read(small, "s", "epoch").xs()[1]);
    }
}
