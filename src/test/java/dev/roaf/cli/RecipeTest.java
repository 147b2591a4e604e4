package dev.roaf.cli;

import dev.roaf.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.roaf.cli.CliTest.roaf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code roaf train --recipe} and {@code roaf recipes}: each recipe is the run its record holds, and options given with it win. */
class RecipeTest {

    /**
     * Each recipe's options are those of the run record it names (read from that run's config.json), and
     * its "measured" text starts with that run's final test accuracy: a recipe cannot drift from its evidence.
     */
    @Test
    void everyRecipeIsTheRunOfItsRecord() throws IOException {
        for (Recipe r : Recipe.ALL) {
            Path dir = Path.of(r.record());
            Map<String, Object> config = Json.asObject(Json.parse(Files.readString(dir.resolve("config.json"))), r.name());
            Map<String, Object> model = Json.asObject(config.get("model"), "model");
            Map<String, Object> train = Json.asObject(config.get("train"), "train");
            Map<String, Object> task = Json.asObject(config.get("task"), "task");
            Map<String, String> o = r.options();
            String what = r.name() + " against " + dir;
            assertEquals(o.get("--model"), model.get("model"), what);
            assertEquals(o.get("--hidden"), model.get("hidden"), what);
            assertEquals(o.getOrDefault("--depth", "1"), model.get("depth"), what);
            assertEquals(o.get("--task"), task.get("task"), what);
            if (o.containsKey("--length")) {
                assertEquals(Long.parseLong(o.get("--length")), Json.asLong(task.get("delay"), "delay"), what);
            }
            assertEquals(Long.parseLong(o.get("--batch")), Json.asLong(train.get("batch"), "batch"), what);
            long steps = o.containsKey("--epochs")
                    ? Math.round(Double.parseDouble(o.get("--epochs")) * (Json.asLong(task.get("trainSize"), "trainSize") / Long.parseLong(o.get("--batch"))))
                    : Long.parseLong(o.get("--steps"));
            assertEquals(steps, Json.asLong(train.get("steps"), "steps"), what);
            assertEquals(Double.parseDouble(o.getOrDefault("--lr", "0.005")), Json.asDouble(train.get("lr"), "lr"), 1e-9, what);
            assertEquals(Double.parseDouble(o.getOrDefault("--clip-norm", "0")), Json.asDouble(train.get("clip_norm"), "clip_norm"), 1e-9, what);
            assertEquals(o.getOrDefault("--lr-schedule", "constant"), train.getOrDefault("lr_schedule", "constant"), what);
            assertEquals(Double.parseDouble(o.getOrDefault("--lr-hold", "0")),
                    train.containsKey("lr_hold") ? Json.asDouble(train.get("lr_hold"), "lr_hold") : 0, 1e-9, what);
            assertEquals(o.getOrDefault("--optimizer", "adam"), train.getOrDefault("optimizer", "adam"), what);
            assertEquals(Double.parseDouble(o.getOrDefault("--weight-decay", "0")),
                    train.containsKey("weight_decay") ? Json.asDouble(train.get("weight_decay"), "weight_decay") : 0, 1e-9, what);
            assertEquals(1L, Json.asLong(train.get("seed"), "seed"), what);
            if (o.containsKey("--beta")) {
                assertEquals(Double.parseDouble(o.get("--beta")), Double.parseDouble((String) model.get("beta")), 1e-6, what);
            }
            if (o.containsKey("--alpha-scale")) {
                double t = Json.asLong(task.get("steps"), "steps");
                assertEquals(1 - Double.parseDouble(o.get("--alpha-scale")) / t, Double.parseDouble((String) model.get("alpha")), 1e-6, what);
            }
            List<String> metrics = Files.readAllLines(dir.resolve("metrics.jsonl"));
            Map<String, Object> last = Json.asObject(Json.parse(metrics.get(metrics.size() - 1)), "metrics");
            Matcher first = Pattern.compile("^(\\d+\\.\\d+)%").matcher(r.measured());
            assertTrue(first.find(), r.name() + ": measured starts with the record's accuracy: " + r.measured());
            assertEquals(100 * Json.asDouble(last.get("test_acc"), "test_acc"), Double.parseDouble(first.group(1)), 0.005, what);
        }
    }

    @Test
    void theRecipeFillsInWhatTheCommandLineLeavesOut(@TempDir Path tmp) throws IOException {
        Path run = tmp.resolve("copy");
        CliTest.Result r = roaf("train", "--recipe", "copy-1000", "--length", "5", "--hidden", "8", "--batch", "4", "--steps", "2",
                "--device", "cpu", "--out", run.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("recipe copy-1000") && r.err().contains("--model roaf-rnn --task copy --alpha-scale 1 --beta 0.1"
                + " --clip-norm 1 --lr-schedule cosine --lr-hold 0.6;"), "the recipe's other options are taken: " + r.err());
        assertFalse(r.err().contains("roaf-rnn's recipe for copy"), "a named recipe replaces the task's defaults: " + r.err());
        Map<String, Object> config = Json.asObject(Json.parse(Files.readString(run.resolve("config.json"))), "config");
        assertEquals("copy-1000", config.get("recipe"));
        Map<String, Object> model = Json.asObject(config.get("model"), "model");
        Map<String, Object> train = Json.asObject(config.get("train"), "train");
        assertEquals("8", model.get("hidden"), "a given option wins");
        assertEquals(1 - 1.0 / 25, Double.parseDouble((String) model.get("alpha")), 1e-6, "alpha = 1 - 1/T at the given delay 5");
        assertEquals(2L, Json.asLong(train.get("steps"), "steps"));
        assertEquals("cosine", train.get("lr_schedule"));
        assertEquals(0.6, Json.asDouble(train.get("lr_hold"), "lr_hold"), 1e-12);
        assertEquals(1.0, Json.asDouble(train.get("clip_norm"), "clip_norm"), 1e-12);
    }

    @Test
    void aBaselineTakesTheBudgetWithoutTheMixAndAGivenOptionItsGroup(@TempDir Path tmp) throws IOException {
        Path data = CliTest.tinyMnist(tmp.resolve("mnist"), 40, 10);
        Path run = tmp.resolve("lstm");
        CliTest.Result r = roaf("train", "--recipe", "psmnist-10-epochs", "--model", "lstm", "--hidden", "6", "--batch", "8",
                "--data-dir", data.toString(), "--device", "cpu", "--out", run.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("without --alpha-scale 1 --beta 0.03 (lstm has no filter)"), r.err());
        Map<String, Object> config = Json.asObject(Json.parse(Files.readString(run.resolve("config.json"))), "config");
        Map<String, Object> train = Json.asObject(config.get("train"), "train");
        assertEquals(50L, Json.asLong(train.get("steps"), "steps"), "ten epochs of 40 digits at batch 8");
        assertEquals("adamw", train.get("optimizer"));
        assertEquals(0.01, Json.asDouble(train.get("weight_decay"), "weight_decay"), 1e-7);

        Path adam = tmp.resolve("adam");
        CliTest.Result a = roaf("train", "--recipe", "psmnist-10-epochs", "--optimizer", "adam", "--steps", "1", "--hidden", "6",
                "--batch", "8", "--data-dir", data.toString(), "--device", "cpu", "--out", adam.toString());
        assertEquals(0, a.code(), a.err());
        Map<String, Object> adamTrain = Json.asObject(Json.asObject(Json.parse(Files.readString(adam.resolve("config.json"))), "c")
                .get("train"), "train");
        assertEquals("adam", adamTrain.get("optimizer"));
        assertEquals(0.0, Json.asDouble(adamTrain.get("weight_decay"), "weight_decay"), 0, "--optimizer keeps the recipe's AdamW decay out");
        assertEquals(1L, Json.asLong(adamTrain.get("steps"), "steps"), "--steps replaces the recipe's --epochs");
        assertEquals(0.5, Json.asDouble(adamTrain.get("clip_norm"), "clip_norm"), 1e-7, "the rest of the recipe applies");
    }

    @Test
    void namesAreCheckedAndListed(@TempDir Path tmp) {
        CliTest.Result unknown = roaf("train", "--recipe", "psmnist-2-epochs", "--device", "cpu", "--out", tmp.resolve("x").toString());
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("no recipe called 'psmnist-2-epochs'") && unknown.err().contains("psmnist-10-epochs"), unknown.err());
        assertFalse(Files.exists(tmp.resolve("x")), "nothing is written for a bad name");

        CliTest.Result all = roaf("recipes");
        assertEquals(0, all.code(), all.err());
        for (Recipe r : Recipe.ALL) {
            assertTrue(all.out().contains("roaf train --recipe " + r.name() + "   is   roaf train " + String.join(" ", r.args())), all.out());
            assertTrue(all.out().contains(r.record()), all.out());
        }
        CliTest.Result help = roaf("train", "--help");
        assertTrue(help.out().replaceAll("\\s+", " ").contains(String.join(", ", Recipe.ALL.stream().map(Recipe::name).toList())),
                "--recipe's help names every recipe: " + help.out());
        CliTest.Result one = roaf("recipes", "copy-1000");
        assertEquals(0, one.code(), one.err());
        assertTrue(one.out().startsWith("copy-1000: ") && !one.out().contains("mlp-50000"), one.out());
        assertEquals(2, roaf("recipes", "nope").code());

        CliTest.Result resumed = roaf("train", "--resume", tmp.toString(), "--recipe", "copy-1000");
        assertEquals(2, resumed.code());
        assertTrue(resumed.err().contains("leave --recipe out"), resumed.err());
        assertNull(Recipe.ALL.stream().filter(r -> r.args().size() % 2 != 0).findAny().orElse(null), "options come in name-value pairs");
    }
}
