package dev.roaf.cli;

import dev.roaf.data.Task;
import dev.roaf.data.TaskOptions;
import dev.roaf.data.Tasks;
import dev.roaf.engine.Engine;
import dev.roaf.engine.Engines;
import dev.roaf.io.Json;
import dev.roaf.io.Safetensors;
import dev.roaf.model.Model;
import dev.roaf.model.StepStats;
import dev.roaf.train.Trainer;
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
    @Option(names = "--device", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE})")
    String device = "auto";
    @Option(names = "--threads", description = "CPU threads (default: all processors)")
    int threads = 0;

    @Override
    public Integer call() throws Exception {
        Map<String, String> meta = Safetensors.read(modelFile).metadata();
        String taskName = task != null ? task : meta.get("task");
        if (taskName == null) {
            throw new IllegalArgumentException(modelFile + " does not record its task; pass --task");
        }
        int len = length != null ? length : parseInt(meta.get("length"));
        long perm = permSeed != null ? permSeed : parseLong(meta.get("perm_seed"));
        Task t = Tasks.create(taskName, TaskOptions.defaults().withLength(isSequenceOnlyLength(taskName) ? len : 0)
                .withPermSeed(perm).withDataDir(dataDir));
        try (Engine engine = Engines.open(device, threads, spec.commandLine().getErr()::println);
             Model m = Model.load(engine, modelFile)) {
            StepStats s = Trainer.evaluate(m, t, evalSize, 100);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", modelFile.toString());
            out.put("task", t.name());
            out.put("test_loss", s.meanLoss());
            out.put("test_acc", Double.isNaN(s.accuracy()) ? null : s.accuracy());
            out.put("test_examples", evalSize == 0 ? t.testSize() : Math.min(evalSize, t.testSize()));
            out.put("device", engine.deviceName());
            spec.commandLine().getOut().println(Json.write(out));
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
