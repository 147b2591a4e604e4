package dev.roaf.cli;

import dev.roaf.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code roaf diagnose} end to end on tiny depths, and the memory line of {@code roaf train}. */
class DiagnoseCommandTest {

    @Test
    void diagnoseTinyDepthWithRandomInput(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("d");
        CliTest.Result r = CliTest.roaf("diagnose", "--depth", "6", "--hidden", "8", "--batch", "4", "--input", "random",
                "--threads", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        for (String f : List.of("gradnorms.csv", "gradnorms-mlp.csv", "gradnorms-resmlp.csv", "jacobian_sv.csv",
                "jacobian_sv-mlp.csv", "gradnorms.png", "jacobian_sv.png", "summary.json")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        List<String> lines = Files.readAllLines(out.resolve("gradnorms.csv"));
        assertEquals("layer,grad_x_norm,grad_W_norm", lines.get(0));
        assertEquals(7, lines.size());
        assertEquals(9, Files.readAllLines(out.resolve("jacobian_sv.csv")).size());
        assertTrue(r.out().contains("per layer:  theory sigma(J_l) in ["), r.out());
        assertTrue(r.out().contains("roaf-mlp L=6 N=8 at init: alpha=0.833333 beta=0.166667"), r.out());
        Map<String, Object> summary = Json.asObject(Json.parse(Files.readString(out.resolve("summary.json"))), "summary");
        assertEquals(3, ((List<?>) summary.get("models")).size());

        // --only, --from a saved model, and option errors.
        Path only = tmp.resolve("o");
        r = CliTest.roaf("diagnose", "--model", "mlp", "--only", "--depth", "3", "--hidden", "4", "--batch", "2", "--input",
                "random", "--out", only.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(only.resolve("gradnorms.csv")) && !Files.exists(only.resolve("gradnorms-resmlp.csv")));
        assertTrue(!r.out().contains("weight gradients:"), "no frozen layers, no line: " + r.out());
        // A fixed small alpha and beta shrink both signals by ~50x per layer: float32 reaches exactly 0 within
        // 30 layers forward and backward, so dL/dW_l = d_l x_l^T is 0 everywhere and the report says so.
        r = CliTest.roaf("diagnose", "--model", "roaf-mlp", "--only", "--alpha", "0.01", "--beta", "0.01", "--depth", "80",
                "--hidden", "8", "--batch", "4", "--input", "random", "--out", tmp.resolve("frozen").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("weight gradients: ||dL/dW_l|| is exactly 0 in 80 of 80 layers"), r.out());
        assertTrue(Files.readString(tmp.resolve("frozen").resolve("summary.json")).contains("\"grad_w_zero_layers\":80"));
        assertEquals(2, CliTest.roaf("diagnose", "--model", "mlp", "--only", "--alpha", "0.5", "--input", "random",
                "--out", tmp.resolve("x").toString()).code());
        assertEquals(2, CliTest.roaf("diagnose", "--model", "roaf-rnn", "--input", "random", "--out", tmp.resolve("x").toString()).code());
        assertEquals(2, CliTest.roaf("diagnose", "--input", "noise", "--out", tmp.resolve("x").toString()).code());
    }

    @Test
    void trainPrintsTheMemoryPlanAndDiagnoseReadsItsModel(@TempDir Path tmp) throws Exception {
        Path data = CliTest.tinyMnist(tmp.resolve("data"), 40, 20);
        Path run = tmp.resolve("run");
        CliTest.Result r = CliTest.roaf("train", "--model", "roaf-mlp", "--task", "mnist", "--depth", "5", "--hidden", "8",
                "--steps", "2", "--batch", "4", "--recompute-every", "2", "--data-dir", data.toString(), "--threads", "1",
                "--out", run.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("memory: ") && r.err().contains("stored every 2 layers"), r.err());
        assertEquals(2, CliTest.roaf("train", "--model", "roaf-mlp", "--task", "mnist", "--recompute-every", "0",
                "--out", tmp.resolve("bad").toString()).code());
        Path d = tmp.resolve("diag");
        r = CliTest.roaf("diagnose", "--from", run.resolve("model.safetensors").toString(), "--data-dir", data.toString(),
                "--batch", "3", "--only", "--out", d.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(6, Files.readAllLines(d.resolve("gradnorms.csv")).size());
        assertEquals(2, CliTest.roaf("diagnose", "--from", run.resolve("model.safetensors").toString(), "--depth", "3",
                "--input", "random", "--out", d.toString()).code());
    }

    @Test
    void trainPrintsTheRecurrentMemoryPlanAndRecomputesOverTime(@TempDir Path tmp) {
        CliTest.Result full = CliTest.roaf("train", "--model", "roaf-rnn", "--task", "adding", "--length", "30", "--hidden", "6",
                "--steps", "2", "--batch", "4", "--threads", "1", "--out", tmp.resolve("full").toString());
        assertEquals(0, full.code(), full.err());
        assertTrue(full.err().contains("roaf: memory: ") && full.err().contains("all 30 steps stored"), full.err());
        CliTest.Result seg = CliTest.roaf("train", "--model", "rnn", "--task", "adding", "--length", "30", "--hidden", "6",
                "--steps", "2", "--batch", "4", "--recompute-every", "7", "--threads", "1", "--out", tmp.resolve("seg").toString());
        assertEquals(0, seg.code(), seg.err());
        assertTrue(seg.err().contains("states stored every 7 of 30 steps and recomputed in the backward pass"), seg.err());
        CliTest.Result lstm = CliTest.roaf("train", "--model", "lstm", "--task", "adding", "--length", "30", "--recompute-every", "3",
                "--out", tmp.resolve("lstm").toString());
        assertEquals(2, lstm.code(), lstm.err());
        assertTrue(lstm.err().contains("--recompute-every applies to roaf-rnn, rnn and the MLP families, not lstm"), lstm.err());
    }
}
