package dev.roaf.cli;

import dev.roaf.Dataset;
import dev.roaf.Datasets;
import dev.roaf.Device;
import dev.roaf.Evaluation;
import dev.roaf.JsonText;
import dev.roaf.Model;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code roaf eval}: evaluates a saved model on a task's test set and prints one JSON object.
 * The task, its length and permutation seed default to those recorded in the model file by
 * {@code roaf train}.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluate a saved model on a task's test set; prints one JSON object with the metrics.")
final class EvalCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "A model.safetensors written by roaf train")
    Path modelFile;
    @Option(names = "--task", description = "Task (default: the one recorded in the model file)")
    String task;
    @Option(names = "--length", description = "T for adding/copy (default: recorded in the file)")
    Integer length;
    @Option(names = "--perm-seed", description = "Permutation seed of ps* tasks (default: recorded in the file)")
    Long permSeed;
    @Option(names = "--data-dir", description = "Folder with MNIST / Fashion-MNIST IDX files")
    Path dataDir;
    @Option(names = "--eval-size", description = "Test examples to use (default: all)")
    int evalSize = 0;
    @CommandLine.Mixin
    DeviceOptions devices = new DeviceOptions();

    @Override
    public Integer call() throws Exception {
        devices.validate();
        Map<String, String> meta = Model.readMetadata(modelFile);
        String taskName = task != null ? task : meta.get("task");
        if (taskName == null) {
            throw new IllegalArgumentException(modelFile + " does not record its task; pass --task");
        }
        int len = length != null ? length : parseInt(meta.get("length"));
        long perm = permSeed != null ? permSeed : parseLong(meta.get("perm_seed"));
        Dataset t = Datasets.builtIn(taskName, Datasets.Options.defaults().withLength(isSequenceOnlyLength(taskName) ? len : 0)
                .withPermSeed(perm).withDataDir(dataDir));
        Model loaded;
        try {
            loaded = Model.load(modelFile, devices.open(spec.commandLine().getErr()::println));
        } catch (IllegalArgumentException e) {
            throw devices.asTyped(e);
        }
        try (Model m = loaded) {
            Evaluation s = m.evaluate(t, evalSize);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", modelFile.toString());
            out.put("task", t.name());
            out.put("test_loss", s.loss());
            out.put("test_acc", Double.isNaN(s.accuracy()) ? null : s.accuracy());
            out.put("test_examples", s.examples());
            out.put("device", m.deviceName());
            spec.commandLine().getOut().println(JsonText.write(out));
        }
        return 0;
    }

    private static boolean isSequenceOnlyLength(String task) {
        return task.equals("adding") || task.equals("copy");
    }

    private static int parseInt(String s) {
        return s == null ? 0 : Integer.parseInt(s);
    }

    private static long parseLong(String s) {
        return s == null ? 0 : Long.parseLong(s);
    }
}
