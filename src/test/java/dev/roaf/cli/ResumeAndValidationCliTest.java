package dev.roaf.cli;

import dev.roaf.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI side of checkpoints and resume (option conflicts, missing or corrupt checkpoints, --on-nan)
 * and the validation of hyperparameters before any work: exit code 2, one line naming the option,
 * no stack trace without --verbose.
 */
class ResumeAndValidationCliTest {
    private static final List<String> TINY = List.of("train", "--task", "adding", "--length", "8", "--hidden", "6",
            "--batch", "8", "--steps", "30", "--eval-every", "10", "--eval-size", "50", "--threads", "1", "--device", "cpu");

    private static CliTest.Result train(Path out, String... extra) {
        List<String> a = new ArrayList<>();
        for (int i = 0; i < TINY.size(); i++) {
            String o = TINY.get(i);
            if (o.startsWith("--") && List.of(extra).contains(o)) {
                i++; // overridden by extra
            } else {
                a.add(o);
            }
        }
        a.addAll(List.of("--out", out.toString()));
        a.addAll(List.of(extra));
        return CliTest.roaf(a.toArray(String[]::new));
    }

    /** Exit 2 with one stderr line that starts "roaf: " and contains every fragment. */
    private static void assertUsageError(CliTest.Result r, String... fragments) {
        assertEquals(2, r.code(), r.err());
        String err = r.err().strip();
        assertTrue(err.startsWith("roaf: "), err);
        assertFalse(err.contains("\n"), "one line, no stack trace: " + err);
        for (String f : fragments) {
            assertTrue(err.contains(f), () -> "'" + err + "' lacks '" + f + "'");
        }
    }

    @Test
    void resumeRejectsConflictsAndAcceptsTheSameOrChangeableOptions(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        assertEquals(0, train(run, "--checkpoint-every", "10").code());
        byte[] model = Files.readAllBytes(run.resolve("model.safetensors"));
        assertUsageError(CliTest.roaf("train", "--resume", run.toString(), "--lr", "0.5"),
                "--lr 0.5 conflicts with the run being resumed", "--lr 0.03"); // roaf-rnn's recipe for adding
        assertUsageError(CliTest.roaf("train", "--resume", run.toString(), "--alpha", "0.5"), "--alpha", "no --alpha");
        assertUsageError(CliTest.roaf("train", "--resume", run.toString(), "--out", tmp.resolve("elsewhere").toString()),
                "--out", "conflicts with --resume");
        // Same values and changeable options are fine; the finished run is rewritten identically.
        CliTest.Result ok = CliTest.roaf("train", "--resume", run.toString(), "--hidden", "6", "--on-nan", "skip",
                "--checkpoint-every", "3");
        assertEquals(0, ok.code(), ok.err());
        assertArrayEquals(model, Files.readAllBytes(run.resolve("model.safetensors")));
    }

    @Test
    void resumeNeedsAValidCheckpoint(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        assertEquals(0, train(run).code());
        assertUsageError(CliTest.roaf("train", "--resume", run.toString()), "--resume", Checkpoint.FILE_NAME, "--checkpoint-every");
        assertUsageError(CliTest.roaf("train", "--resume", tmp.resolve("nope").toString()), "no such folder");
        Files.write(run.resolve(Checkpoint.FILE_NAME), new byte[]{1, 2, 3});
        assertUsageError(CliTest.roaf("train", "--resume", run.toString()), Checkpoint.FILE_NAME);
        // A valid safetensors file that is not a checkpoint.
        Files.copy(run.resolve("model.safetensors"), run.resolve(Checkpoint.FILE_NAME), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertUsageError(CliTest.roaf("train", "--resume", run.toString()), "expected a roaf checkpoint");
    }

    @Test
    void badSettingsExitWithTwoBeforeAnyWork(@TempDir Path tmp) {
        Path out = tmp.resolve("never");
        assertUsageError(train(out, "--checkpoint-every", "0"), "--checkpoint-every", "at least 1", "0");
        assertUsageError(train(out, "--checkpoint-minutes", "-2"), "--checkpoint-minutes", "-2");
        assertUsageError(train(out, "--checkpoint-minutes", "NaN"), "--checkpoint-minutes");
        assertUsageError(train(out, "--on-nan", "ignore"), "--on-nan", "stop or skip", "ignore");
        assertUsageError(train(out, "--alpha", "0"), "alpha");
        assertUsageError(train(out, "--alpha", "1.5"), "alpha");
        assertUsageError(train(out, "--beta", "0"), "beta");
        assertUsageError(train(out, "--beta", "-1"), "beta");
        assertUsageError(train(out, "--alpha-scale", "0"), "--alpha-scale", "> 0");
        assertUsageError(train(out, "--alpha-scale", "1", "--alpha", "0.9"), "--alpha-scale", "--alpha");
        assertUsageError(train(out, "--alpha-scale", "1", "--beta-scale", "1"), "--alpha-scale", "--beta-scale");
        assertUsageError(train(out, "--model", "lstm", "--alpha-scale", "1"), "--alpha-scale", "lstm");
        assertUsageError(train(out, "--hidden", "0"), "hidden");
        assertUsageError(train(out, "--lr", "0"), "--lr");
        assertUsageError(train(out, "--lr", "-1"), "--lr");
        assertUsageError(train(out, "--batch", "0"), "--batch");
        assertUsageError(train(out, "--steps", "0"), "--steps");
        assertUsageError(train(out, "--length", "1"), "length");
        assertUsageError(train(out, "--length", "-3"), "length");
        assertUsageError(train(out, "--eval-every", "-1"), "--eval-every");
        assertUsageError(train(out, "--momentum", "1"), "--momentum");
        assertUsageError(train(out, "--weight-decay", "-0.1"), "--weight-decay", ">= 0");
        assertUsageError(train(out, "--weight-decay", "NaN"), "--weight-decay");
        assertUsageError(train(out, "--optimizer", "adamax"), "adam, adamw or sgd", "adamax");
        assertUsageError(train(out, "--threads", "-1"), "--threads");
        assertUsageError(train(out, "--init-draws", "gpu"), "--init-draws");
        assertFalse(Files.exists(out), "nothing was written");
        CliTest.Result verbose = train(out, "--verbose", "--on-nan", "ignore");
        assertEquals(2, verbose.code());
        assertTrue(verbose.err().contains("\tat "), "--verbose adds the stack trace");
    }

    /** train, eval, diagnose and bench share --device and --threads (DeviceOptions): same checks, same messages. */
    @Test
    void everyComputingCommandChecksDeviceAndThreadsAlike(@TempDir Path tmp) {
        Path model = tmp.resolve("absent.safetensors");
        List<List<String>> commands = List.of(
                List.of("train", "--task", "adding", "--length", "8", "--steps", "1", "--out", tmp.resolve("t").toString()),
                List.of("eval", "--model", model.toString(), "--task", "adding"),
                List.of("diagnose", "--depth", "3", "--hidden", "4", "--out", tmp.resolve("d").toString()),
                List.of("bench", "--suite", "tiny", "--out", tmp.resolve("b").toString()));
        for (List<String> c : commands) {
            List<String> threads = new ArrayList<>(c);
            threads.addAll(List.of("--device", "cpu", "--threads", "-1"));
            assertUsageError(CliTest.roaf(threads.toArray(String[]::new)), "--threads must be >= 0");
            List<String> device = new ArrayList<>(c);
            device.addAll(List.of("--device", "tpu"));
            assertUsageError(CliTest.roaf(device.toArray(String[]::new)), "unknown --device 'tpu'");
            List<String> help = new ArrayList<>(List.of(c.get(0), "--help"));
            String usage = CliTest.roaf(help.toArray(String[]::new)).out();
            assertTrue(usage.contains("--device") && usage.contains("--threads"), c.get(0) + " --help: " + usage);
        }
        assertFalse(Files.exists(tmp.resolve("t")) || Files.exists(tmp.resolve("d")) || Files.exists(tmp.resolve("b")),
                "nothing was written");
    }

    /** --optimizer adamw records the weight decay it used: torch's default 0.01 unless --weight-decay is given. */
    @Test
    void adamwRecordsItsWeightDecay(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("adamw");
        CliTest.Result r = train(run, "--optimizer", "adamw", "--steps", "4");
        assertEquals(0, r.code(), r.err());
        String config = Files.readString(run.resolve("config.json")).replaceAll("\\s", "");
        assertTrue(config.contains("\"optimizer\":\"adamw\"") && config.contains("\"weight_decay\":0.01"), config);
        Path adam = tmp.resolve("adam");
        assertEquals(0, train(adam, "--weight-decay", "0.5", "--steps", "4").code());
        String adamConfig = Files.readString(adam.resolve("config.json")).replaceAll("\\s", "");
        assertTrue(adamConfig.contains("\"optimizer\":\"adam\"") && adamConfig.contains("\"weight_decay\":0.5"), adamConfig);
    }

    /** --init-draws device trains and is recorded with the run (it decides the initial values). */
    @Test
    void initDrawsOnTheDeviceIsRecorded(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        CliTest.Result r = train(run, "--init-draws", "device", "--steps", "10");
        assertEquals(0, r.code(), r.err());
        String config = Files.readString(run.resolve("config.json"));
        assertTrue(config.replaceAll("\\s", "").contains("\"--init-draws\",\"device\""), config);
    }
}
