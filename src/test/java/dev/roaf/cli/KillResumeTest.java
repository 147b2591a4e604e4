package dev.roaf.cli;

import dev.roaf.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A training run in a child JVM killed with SIGKILL (twice, at random moments after a checkpoint,
 * often in the middle of a checkpoint write since one is written every step) and resumed ends with
 * the same run folder as the run left alone: model.safetensors byte for byte, metrics.jsonl except
 * wall_s.
 */
class KillResumeTest {
    private static final List<String> RUN = List.of("train", "--model", "roaf-rnn", "--task", "adding", "--length", "20",
            "--hidden", "8", "--steps", "300", "--batch", "16", "--eval-every", "50", "--eval-size", "100", "--threads", "2",
            "--device", "cpu", "--checkpoint-every", "1");

    private static Process child(List<String> args) throws Exception {
        return child(args, ProcessBuilder.Redirect.DISCARD);
    }

    /** {@code roaf ARGS} in a child JVM, its stdout and stderr both to {@code output}. */
    private static Process child(List<String> args, ProcessBuilder.Redirect output) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output).start();
    }

    /** Waits until the child's checkpoint is past {@code afterStep}, then a random moment more, then kills it. */
    private static long killAfterCheckpoint(Process p, Path run, long afterStep, Random rng) throws Exception {
        Path file = run.resolve(Checkpoint.FILE_NAME);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (Files.exists(file) && Checkpoint.read(file).step() > afterStep) {
                break;
            }
            assertTrue(p.isAlive(), "the child ended before writing a checkpoint past step " + afterStep + ": exit " + (p.isAlive() ? "" : p.exitValue()));
            assertTrue(System.nanoTime() < deadline, "no checkpoint within 60 s");
            Thread.sleep(10);
        }
        Thread.sleep(rng.nextInt(60));
        p.destroyForcibly();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        // Whatever the moment, the checkpoint on disk is complete and valid.
        return Checkpoint.read(file).step();
    }

    private static String metricsWithoutWall(Path run) throws Exception {
        return Files.readString(run.resolve("metrics.jsonl")).replaceAll("\"wall_s\":[0-9.eE+-]+", "");
    }

    /** steps.csv without its last column (wall_s). */
    private static List<String> stepsWithoutWall(Path run) throws Exception {
        return Files.readAllLines(run.resolve("steps.csv")).stream().map(l -> l.substring(0, l.lastIndexOf(','))).toList();
    }

    private static Set<String> files(Path run) throws Exception {
        try (Stream<Path> s = Files.list(run)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    @Timeout(120)
    void killedTwiceAndResumedEqualsTheUninterruptedRun(@TempDir Path dir) throws Exception {
        Path ref = dir.resolve("ref"), run = dir.resolve("run");
        List<String> refArgs = new ArrayList<>(RUN);
        refArgs.addAll(List.of("--out", ref.toString()));
        CliTest.Result r = CliTest.roaf(refArgs.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());

        Random rng = new Random(42);
        List<String> args = new ArrayList<>(RUN);
        args.addAll(List.of("--out", run.toString()));
        long first = killAfterCheckpoint(child(args), run, 0, rng);
        // Resume in a child and kill that one too, later in the run.
        long second = killAfterCheckpoint(child(List.of("train", "--resume", run.toString())), run, first + 20, rng);
        assertTrue(second > first && second < 300, "killed at " + first + " and " + second);

        CliTest.Result resumed = CliTest.roaf("train", "--resume", run.toString());
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.err().contains("resuming"), resumed.err());

        assertArrayEquals(Files.readAllBytes(ref.resolve("model.safetensors")), Files.readAllBytes(run.resolve("model.safetensors")),
                "model.safetensors is bit-identical");
        assertEquals(metricsWithoutWall(ref), metricsWithoutWall(run), "metrics.jsonl equal except wall_s");
        assertEquals(stepsWithoutWall(ref), stepsWithoutWall(run), "steps.csv equal except wall_s");
        assertEquals(files(ref), files(run), "no stray files (temporary checkpoint files are cleaned up)");
        String config = Files.readString(run.resolve("config.json"));
        assertTrue(config.contains("\"resumed\""), config);
        assertEquals(2, config.split("after_step").length - 1, "both resumes noted: " + config);
        assertTrue(first > 0 && new File(run.toString()).isDirectory());
    }

    /**
     * SIGTERM (what `timeout`, a batch scheduler or a container stop sends) in the middle of a run without periodic
     * checkpoints: the child finishes its step, writes a checkpoint of it, says so and exits with 128 + 15; the run
     * resumed from that checkpoint ends where the uninterrupted run ends.
     */
    @Test
    @Timeout(120)
    void sigtermWritesACheckpointAndTheResumedRunEqualsTheUninterruptedOne(@TempDir Path dir) throws Exception {
        List<String> longer = new ArrayList<>(RUN.subList(0, RUN.indexOf("--checkpoint-every")));
        longer.set(longer.indexOf("--steps") + 1, "3000");
        longer.addAll(List.of("--checkpoint-minutes", "600"));
        Path ref = dir.resolve("ref"), run = dir.resolve("run"), log = dir.resolve("child.log");
        List<String> refArgs = new ArrayList<>(longer);
        refArgs.addAll(List.of("--out", ref.toString()));
        CliTest.Result r = CliTest.roaf(refArgs.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());

        List<String> args = new ArrayList<>(longer);
        args.addAll(List.of("--out", run.toString()));
        Process p = child(args, ProcessBuilder.Redirect.to(log.toFile()));
        Path metrics = run.resolve("metrics.jsonl");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(metrics) || Files.readAllLines(metrics).size() < 2) {
            assertTrue(p.isAlive(), "the child ended before its second evaluation: " + Files.readString(log));
            assertTrue(System.nanoTime() < deadline, "no second evaluation within 60 s");
            Thread.sleep(10);
        }
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child did not exit after SIGTERM");
        String out = Files.readString(log);
        assertEquals(143, p.exitValue(), out);
        assertTrue(out.contains("roaf: stopped after step"), out);
        long stoppedAt = Checkpoint.read(run.resolve(Checkpoint.FILE_NAME)).step();
        assertTrue(stoppedAt >= 100 && stoppedAt < 3000, "stopped at step " + stoppedAt);
        assertTrue(out.contains("stopped after step " + stoppedAt + " of 3000"), out);
        assertTrue(!Files.exists(run.resolve("model.safetensors")), "a stopped run saves no final model");

        CliTest.Result resumed = CliTest.roaf("train", "--resume", run.toString());
        assertEquals(0, resumed.code(), resumed.err());
        assertArrayEquals(Files.readAllBytes(ref.resolve("model.safetensors")), Files.readAllBytes(run.resolve("model.safetensors")),
                "model.safetensors is bit-identical");
        assertEquals(metricsWithoutWall(ref), metricsWithoutWall(run), "metrics.jsonl equal except wall_s");
        assertEquals(stepsWithoutWall(ref), stepsWithoutWall(run), "steps.csv equal except wall_s");
    }
}
