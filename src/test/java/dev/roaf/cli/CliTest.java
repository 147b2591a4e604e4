package dev.roaf.cli;

import dev.roaf.io.Json;
import dev.roaf.io.Safetensors;
import dev.roaf.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code roaf} command line end to end on tiny generated data: run records, --init, eval, exit codes. */
class CliTest {

    record Result(int code, String out, String err) {
    }

    static Result roaf(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    /** Writes a tiny MNIST-shaped dataset (random 28x28 digits whose label is set by a bright pixel row). */
    static Path tinyMnist(Path dir, int train, int test) throws IOException {
        Files.createDirectories(dir);
        Random rng = new Random(7);
        write(dir, "train", train, rng);
        write(dir, "t10k", test, rng);
        return dir;
    }

    private static void write(Path dir, String prefix, int n, Random rng) throws IOException {
        byte[] images = new byte[n * 784];
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            int label = rng.nextInt(10);
            labels[i] = (byte) label;
            for (int p = 0; p < 784; p++) {
                images[i * 784 + p] = (byte) rng.nextInt(40);
            }
            for (int c = 0; c < 28; c++) {
                images[i * 784 + (2 + 2 * label) * 28 + c] = (byte) 255;
            }
        }
        gz(dir.resolve(prefix + "-images-idx3-ubyte.gz"), idx(0x0803, new int[]{n, 28, 28}, images));
        gz(dir.resolve(prefix + "-labels-idx1-ubyte.gz"), idx(0x0801, new int[]{n}, labels));
    }

    private static byte[] idx(int magic, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        b.put(data);
        return b.array();
    }

    private static void gz(Path file, byte[] raw) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(bos)) {
            g.write(raw);
        }
        Files.write(file, bos.toByteArray());
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> metrics(Path run) throws IOException {
        return Files.readAllLines(run.resolve("metrics.jsonl"), StandardCharsets.UTF_8).stream()
                .map(l -> (Map<String, Object>) Json.parse(l)).toList();
    }

    @Test
    void trainWritesACompleteRunRecordAndEvalReproducesTheLastMetrics(@TempDir Path tmp) throws IOException {
        Path data = tinyMnist(tmp.resolve("mnist"), 40, 30);
        Path run = tmp.resolve("run");
        Result r = roaf("train", "--task", "psmnist", "--data-dir", data.toString(), "--hidden", "8", "--batch", "10",
                "--steps", "4", "--eval-every", "2", "--perm-seed", "3", "--device", "cpu", "--threads", "2",
                "--out", run.toString());
        assertEquals(0, r.code(), r.err());
        for (String f : List.of("config.json", "metrics.jsonl", "steps.csv", "model.safetensors", "curves.png")) {
            assertTrue(Files.size(run.resolve(f)) > 0, f + " missing or empty");
        }
        List<String> steps = Files.readAllLines(run.resolve("steps.csv"));
        assertEquals(List.of("step", "loss", "accuracy", "grad_norm", "wall_s"), List.of(steps.get(0).split(",")));
        assertEquals(5, steps.size(), "a header and one line per step: " + steps);
        for (int i = 1; i <= 4; i++) {
            String[] f = steps.get(i).split(",", -1);
            assertEquals(Integer.toString(i), f[0]);
            double loss = Double.parseDouble(f[1]), acc = Double.parseDouble(f[2]), grad = Double.parseDouble(f[3]);
            assertTrue(loss > 0 && acc >= 0 && acc <= 1 && grad > 0 && Double.parseDouble(f[4]) >= 0, steps.get(i));
        }
        List<Map<String, Object>> rows = metrics(run);
        assertEquals(2, rows.size());
        for (String key : List.of("step", "epoch", "examples", "train_loss", "test_loss", "test_acc", "wall_s")) {
            assertTrue(rows.get(1).containsKey(key), "metrics row lacks " + key);
        }
        assertEquals(4L, rows.get(1).get("step"));
        assertEquals(40L, rows.get(1).get("examples"));
        assertEquals(30L, rows.get(1).get("test_examples"));

        Map<String, Object> config = Json.asObject(Json.parse(Files.readString(run.resolve("config.json"))), "config");
        Map<String, Object> task = Json.asObject(config.get("task"), "task");
        List<Object> perm = Json.asArray(task.get("permutation"), "permutation");
        assertEquals(784, perm.size());
        assertTrue(config.toString().contains("sha256"), "config.json records the data files' SHA-256");
        assertTrue(config.containsKey("cpu"), "config.json names the CPU (null where /proc/cpuinfo has no model name)");
        if (Files.isReadable(Path.of("/proc/cpuinfo")) && Files.readString(Path.of("/proc/cpuinfo")).contains("model name")) {
            assertTrue(config.get("cpu") instanceof String c && !c.isBlank(), "cpu: " + config.get("cpu"));
        }
        assertTrue(r.err().contains("recipe for psmnist") && r.err().contains("--lr 0.01 --clip-norm 1"), r.err());
        Map<String, Object> train = Json.asObject(config.get("train"), "train");
        assertEquals(0.01, ((Number) train.get("lr")).doubleValue(), 1e-7, "psMNIST's recipe learning rate is recorded");
        assertEquals(1.0, ((Number) train.get("clip_norm")).doubleValue(), 0);

        SafetensorsFile model = Safetensors.read(run.resolve("model.safetensors"));
        assertEquals("roaf-rnn", model.metadata().get("model"));
        assertEquals(List.of(8L, 8L), java.util.Arrays.stream(model.tensor("rnn.W").shape()).boxed().toList());

        Result e = roaf("eval", "--model", run.resolve("model.safetensors").toString(), "--data-dir", data.toString(),
                "--device", "cpu");
        assertEquals(0, e.code(), e.err());
        Map<String, Object> ev = Json.asObject(Json.parse(e.out().trim()), "eval output");
        double logged = ((Number) rows.get(1).get("test_loss")).doubleValue();
        assertEquals(logged, ((Number) ev.get("test_loss")).doubleValue(), 1e-6 * Math.abs(logged));
        assertEquals(((Number) rows.get(1).get("test_acc")).doubleValue(), ((Number) ev.get("test_acc")).doubleValue(), 1e-12);
    }

    @Test
    void saysWhenItUsesTheBundledSample(@TempDir Path tmp) throws IOException {
        Path run = tmp.resolve("run");
        Result r = roaf("train", "--task", "psmnist", "--hidden", "4", "--batch", "10", "--steps", "1", "--device", "cpu",
                "--out", run.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, Object> task = Json.asObject(Json.asObject(Json.parse(Files.readString(run.resolve("config.json"))),
                "config").get("task"), "task");
        // Where MNIST is installed (ROAF_DATA, the user folder) the sample is not used; otherwise it must be announced.
        assertEquals(Boolean.TRUE.equals(task.get("sample")), r.err().contains("bundled in the jar"), r.err());
    }

    @Test
    void initStartsFromAFileAndRejectsWrongShapes(@TempDir Path tmp) throws IOException {
        Path first = tmp.resolve("a");
        assertEquals(0, roaf("train", "--task", "adding", "--length", "6", "--hidden", "6", "--batch", "8", "--steps", "3",
                "--device", "cpu", "--out", first.toString()).code());
        Path init = first.resolve("model.safetensors");
        // Zero steps are not allowed, so check --init by evaluating before and after one tiny step of lr ~ 0.
        Path second = tmp.resolve("b");
        Result ok = roaf("train", "--task", "adding", "--length", "6", "--hidden", "6", "--batch", "8", "--steps", "1",
                "--lr", "1e-30", "--device", "cpu", "--init", init.toString(), "--out", second.toString());
        assertEquals(0, ok.code(), ok.err());
        SafetensorsFile a = Safetensors.read(init), b = Safetensors.read(second.resolve("model.safetensors"));
        assertEquals(a.tensor("rnn.W"), b.tensor("rnn.W"), "--init parameters carried over");

        Result bad = roaf("train", "--task", "adding", "--length", "6", "--hidden", "7", "--batch", "8", "--steps", "1",
                "--device", "cpu", "--init", init.toString(), "--out", tmp.resolve("c").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("rnn.W") && bad.err().contains("shape"), bad.err());
        assertFalse(bad.err().contains("\tat "), "no stack trace without --verbose: " + bad.err());
        assertEquals(1, bad.err().strip().lines().filter(l -> l.startsWith("roaf: ") && l.contains("rnn.W")).count());
    }

    @Test
    void initCarriesAPermutationFilterToAnotherLengthAndSeed(@TempDir Path tmp) throws IOException {
        // The adding curriculum (README): each length starts from the last one's model, filter included.
        String[] mix = {"train", "--task", "adding", "--hidden", "6", "--batch", "8", "--filter", "permutation", "--alpha", "1",
                "--beta", "0.01", "--device", "cpu"};
        Path first = tmp.resolve("t6");
        Result t6 = roaf(concat(mix, "--length", "6", "--steps", "2", "--out", first.toString()));
        assertEquals(0, t6.code(), t6.err());
        Path second = tmp.resolve("t9");
        Result r = roaf(concat(mix, "--length", "9", "--steps", "1", "--lr", "1e-30", "--seed", "2",
                "--init", first.resolve("model.safetensors").toString(), "--out", second.toString()));
        assertEquals(0, r.code(), r.err());
        SafetensorsFile a = Safetensors.read(first.resolve("model.safetensors"));
        SafetensorsFile b = Safetensors.read(second.resolve("model.safetensors"));
        for (String name : List.of("rnn.O_index", "rnn.O_sign", "rnn.W", "rnn.U", "head.weight")) {
            assertEquals(a.tensor(name), b.tensor(name), name + " comes from the --init file, not from --seed 2");
        }
        Map<String, Object> task = Json.asObject(Json.asObject(Json.parse(Files.readString(second.resolve("config.json"))),
                "config").get("task"), "task");
        assertEquals(9, ((Number) task.get("steps")).intValue(), "the new length is recorded");
        assertTrue(r.err().contains("--init: weights and filters from a roaf-rnn trained on adding T=6"), r.err());
        assertFalse(r.err().contains("note:"), "same alpha and beta, nothing to warn about: " + r.err());

        // Without --alpha/--beta the run takes the recipe's mix, which differs from the file's: say so.
        Result other = roaf("train", "--task", "adding", "--hidden", "6", "--batch", "8", "--filter", "permutation",
                "--device", "cpu", "--length", "9", "--steps", "1", "--init", first.resolve("model.safetensors").toString(),
                "--out", tmp.resolve("recipe").toString());
        assertEquals(0, other.code(), other.err());
        assertTrue(other.err().contains("note: the --init file was saved with alpha 1") && other.err().contains("give --alpha/--beta"),
                other.err());
    }

    private static String[] concat(String[] head, String... tail) {
        String[] all = java.util.Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    @Test
    void badUsageAndBadInputExitWithTwo(@TempDir Path tmp) {
        assertEquals(2, roaf("train", "--no-such-option").code());
        Result cuda = roaf("train", "--device", "cuda", "--task", "adding", "--steps", "1", "--out", tmp.toString());
        assertEquals(2, cuda.code());
        assertTrue(cuda.err().contains("--device cpu"), cuda.err());
        Result alpha = roaf("train", "--alpha", "1.5", "--task", "adding", "--steps", "1", "--out", tmp.toString());
        assertEquals(2, alpha.code());
        assertTrue(alpha.err().contains("--alpha"), alpha.err());
        Result mismatch = roaf("train", "--model", "roaf-mlp", "--task", "adding", "--steps", "1", "--out", tmp.toString());
        assertEquals(2, mismatch.code());
        assertTrue(mismatch.err().contains("mnist or fashion"), mismatch.err());
        Result missing = roaf("eval", "--model", tmp.resolve("nope.safetensors").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("nope.safetensors"), missing.err());
        Result verbose = roaf("eval", "--verbose", "--model", tmp.resolve("nope.safetensors").toString());
        assertTrue(verbose.err().contains("\tat "), "--verbose prints the stack trace");
    }

    @Test
    void copyAndMlpTasksTrainEndToEnd(@TempDir Path tmp) throws IOException {
        Path copy = tmp.resolve("copy");
        Result r = roaf("train", "--task", "copy", "--length", "5", "--hidden", "12", "--batch", "8", "--steps", "3",
                "--device", "cpu", "--out", copy.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(metrics(copy).get(0).get("test_acc") != null, "copy reports recall accuracy");
        Path recipe = tmp.resolve("alpha-scale");
        Result rr = roaf("train", "--task", "adding", "--length", "10", "--hidden", "12", "--batch", "8", "--steps", "1",
                "--alpha-scale", "1", "--beta", "0.1", "--device", "cpu", "--out", recipe.toString());
        assertEquals(0, rr.code(), rr.err());
        assertTrue(rr.err().contains("alpha=0.900000 beta=0.100000"), "alpha = 1 - 1/T with T = 10, beta as given: " + rr.err());
        Result copyRecipe = roaf("train", "--task", "copy", "--length", "5", "--hidden", "12", "--batch", "8", "--steps", "1",
                "--device", "cpu", "--out", tmp.resolve("copy-recipe").toString());
        assertEquals(0, copyRecipe.code(), copyRecipe.err());
        assertTrue(copyRecipe.err().contains("recipe for copy") && copyRecipe.err().contains("alpha=0.960000 beta=0.100000")
                        && copyRecipe.err().contains("--clip-norm 1 --lr-schedule cosine --lr-hold 0.6"),
                "copy with delay 5 runs 25 steps: alpha = 1 - 1/25, beta 0.1, clipping, the held cosine: " + copyRecipe.err());
        String copyConfig = Files.readString(tmp.resolve("copy-recipe").resolve("config.json")).replace(" ", "");
        assertTrue(copyConfig.contains("\"lr_schedule\":\"cosine\"") && copyConfig.contains("\"lr_hold\":0.6"), copyConfig);
        Result copyConstant = roaf("train", "--task", "copy", "--length", "5", "--hidden", "12", "--batch", "8", "--steps", "1",
                "--lr-schedule", "constant", "--device", "cpu", "--out", tmp.resolve("copy-constant").toString());
        assertEquals(0, copyConstant.code(), copyConstant.err());
        assertTrue(!copyConstant.err().contains("--lr-hold"), "a given schedule replaces the recipe's: " + copyConstant.err());
        Result addingRecipe = roaf("train", "--task", "adding", "--length", "10", "--hidden", "12", "--batch", "8", "--steps", "1",
                "--lr", "0.01", "--device", "cpu", "--out", tmp.resolve("adding-recipe").toString());
        assertEquals(0, addingRecipe.code(), addingRecipe.err());
        assertTrue(addingRecipe.err().contains("--beta-scale 1 --clip-norm 1") && !addingRecipe.err().contains("--lr 0.03"),
                "a given option is kept, the rest of the recipe applies: " + addingRecipe.err());
        String adding = Files.readString(tmp.resolve("adding-recipe").resolve("config.json"));
        assertTrue(adding.replace(" ", "").contains("\"lr\":0.01") && adding.replace(" ", "").contains("\"clip_norm\":1.0"), adding);
        String config = Files.readString(recipe.resolve("config.json"));
        assertTrue(config.contains("\"alpha\": \"0.9\"") || config.contains("\"alpha\":\"0.9\""), config);
        Path cosine = tmp.resolve("cosine");
        Result rc = roaf("train", "--task", "adding", "--length", "10", "--hidden", "12", "--batch", "8", "--steps", "2",
                "--lr-schedule", "cosine", "--device", "cpu", "--out", cosine.toString());
        assertEquals(0, rc.code(), rc.err());
        assertTrue(Files.readString(cosine.resolve("config.json")).replace(" ", "").contains("\"lr_schedule\":\"cosine\""),
                "the schedule is recorded");
        Result badSchedule = roaf("train", "--task", "adding", "--steps", "1", "--lr-schedule", "linear", "--device", "cpu",
                "--out", tmp.resolve("bad-schedule").toString());
        assertEquals(2, badSchedule.code(), badSchedule.err());
        assertTrue(badSchedule.err().contains("constant or cosine"), badSchedule.err());
        Result holdWithoutDecay = roaf("train", "--task", "adding", "--steps", "1", "--lr-hold", "0.5", "--device", "cpu",
                "--out", tmp.resolve("bad-hold").toString());
        assertEquals(2, holdWithoutDecay.code(), holdWithoutDecay.err());
        assertTrue(holdWithoutDecay.err().contains("needs --lr-schedule cosine"), holdWithoutDecay.err());
        Path held = tmp.resolve("held");
        Result rh = roaf("train", "--task", "adding", "--length", "10", "--hidden", "12", "--batch", "8", "--steps", "4",
                "--lr-schedule", "cosine", "--lr-hold", "0.5", "--lr-warmup", "2", "--device", "cpu", "--out", held.toString());
        assertEquals(0, rh.code(), rh.err());
        String heldConfig = Files.readString(held.resolve("config.json")).replace(" ", "");
        assertTrue(heldConfig.contains("\"lr_hold\":0.5") && heldConfig.contains("\"lr_warmup\":2"),
                "the hold and the warmup are recorded: " + heldConfig);
        Result badWarmup = roaf("train", "--task", "adding", "--steps", "1", "--lr-warmup", "-3", "--device", "cpu",
                "--out", tmp.resolve("bad-warmup").toString());
        assertEquals(2, badWarmup.code(), badWarmup.err());
        assertTrue(badWarmup.err().contains("--lr-warmup"), badWarmup.err());

        Path data = tinyMnist(tmp.resolve("mnist"), 20, 10);
        for (String model : List.of("roaf-mlp", "mlp", "resmlp")) {
            Path run = tmp.resolve(model);
            Result m = roaf("train", "--model", model, "--task", "mnist", "--depth", "3", "--hidden", "8", "--batch", "5",
                    "--steps", "2", "--data-dir", data.toString(), "--device", "cpu", "--out", run.toString());
            assertEquals(0, m.code(), model + ": " + m.err());
            assertEquals(2L, metrics(run).get(metrics(run).size() - 1).get("step"));
        }
        Path lstm = tmp.resolve("lstm");
        assertEquals(0, roaf("train", "--model", "lstm", "--task", "adding", "--length", "4", "--hidden", "5", "--batch", "4",
                "--steps", "2", "--device", "cpu", "--out", lstm.toString()).code());
    }
}
