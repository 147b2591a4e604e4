package dev.roaf.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * The suites of {@code roaf bench}: training comparisons (every model of a comparison gets the same
 * data, budget of updates, batch, learning rate and seeds) and a speed grid (time per update across
 * T, N, B).
 */
record BenchSuite(String name, String description, List<Comparison> comparisons, Speed speed) {

    /** The names {@link #named} knows, in the order {@code --help} lists them. */
    static final List<String> NAMES = List.of("quick", "paper", "speed", "tiny");

    /** The recurrent models compared in most benchmarks; the first one compared is ROAF. */
    static final List<String> RECURRENT = List.of("roaf-rnn", "lstm", "rnn");
    static final List<String> MLPS = List.of("roaf-mlp", "mlp", "resmlp");

    /**
     * One comparison: every model in {@code models} trained on {@code task} with the same settings.
     *
     * @param benchmark  the comparison's name (file names of its plots)
     * @param task       a built-in task name
     * @param length     T of adding / delay of copy (0: the task's default)
     * @param models     the models compared
     * @param reference  the model the others' peer rows are divided by
     * @param hidden     N
     * @param depth      L of MLP models (ignored by recurrent ones)
     * @param batch      examples per update
     * @param steps      the budget of updates
     * @param lr         Adam's learning rate
     * @param evalEvery  updates between evaluations
     * @param evalSize   test examples per intermediate evaluation (the final one uses the whole test set)
     * @param seeds      seeds 1..seeds (model initialisation and data order; overridden by --seeds)
     */
    record Comparison(String benchmark, String task, int length, List<String> models, String reference, int hidden,
                      int depth, int batch, long steps, double lr, long evalEvery, int evalSize, int seeds) {
    }

    /**
     * The speed grid: each model at each (T, N, B) on the adding task's shapes, {@code warmup}
     * untimed updates then {@code timed} timed ones (the median is reported).
     */
    record Speed(List<String> models, List<Integer> lengths, List<Integer> hidden, List<Integer> batches, int warmup,
                 int timed) {
        List<int[]> grid() {
            List<int[]> out = new ArrayList<>();
            for (int t : lengths) {
                for (int n : hidden) {
                    for (int b : batches) {
                        out.add(new int[] {t, n, b});
                    }
                }
            }
            return out;
        }
    }

    /**
     * A suite by name.
     *
     * @param name one of {@link #NAMES}
     * @param gpu  whether it runs on a GPU (the speed grid is larger there)
     */
    static BenchSuite named(String name, boolean gpu) {
        double lr = 0.005;
        return switch (name) {
            case "tiny" -> new BenchSuite("tiny", "for tests: seconds on a CPU",
                    List.of(new Comparison("adding-T10", "adding", 10, RECURRENT, "lstm", 8, 0, 8, 20, lr, 10, 100, 1)),
                    new Speed(RECURRENT, List.of(10), List.of(8), List.of(4), 1, 3));
            case "quick" -> new BenchSuite("quick", "CPU, a few minutes: adding T=50, copy delay 20, psMNIST (a slice)",
                    List.of(new Comparison("adding-T50", "adding", 50, RECURRENT, "lstm", 64, 0, 50, 1500, lr, 150, 1000, 1),
                            new Comparison("copy-T20", "copy", 20, RECURRENT, "lstm", 64, 0, 50, 1500, lr, 150, 1000, 1),
                            new Comparison("psmnist-small", "psmnist", 0, RECURRENT, "lstm", 32, 0, 32, 300, lr, 60, 500, 1)),
                    null);
            case "paper" -> new BenchSuite("paper", "GPU, hours: psMNIST, psFashion, adding and copy at T=1,000 and 10,000,"
                    + " a 1,000-layer MLP",
                    List.of(new Comparison("psmnist", "psmnist", 0, RECURRENT, "lstm", 128, 0, 100, 6000, lr, 600, 1000, 3),
                            new Comparison("psfashion", "psfashion", 0, RECURRENT, "lstm", 128, 0, 100, 6000, lr, 600, 1000, 3),
                            new Comparison("adding-T1000", "adding", 1000, RECURRENT, "lstm", 128, 0, 50, 2000, lr, 200, 1000, 3),
                            new Comparison("adding-T10000", "adding", 10000, RECURRENT, "lstm", 128, 0, 50, 1000, lr, 100, 1000, 3),
                            new Comparison("copy-T1000", "copy", 1000, RECURRENT, "lstm", 128, 0, 50, 2000, lr, 200, 1000, 3),
                            new Comparison("copy-T10000", "copy", 10000, RECURRENT, "lstm", 128, 0, 50, 1000, lr, 100, 1000, 3),
                            new Comparison("mnist-mlp-L1000", "mnist", 0, MLPS, "resmlp", 128, 1000, 128, 2000, lr, 200, 1000, 3)),
                    null);
            case "speed" -> new BenchSuite("speed", "time per update across T, N, B (a small grid on a CPU, a large one on a GPU)",
                    List.of(),
                    gpu ? new Speed(RECURRENT, List.of(1000, 10000), List.of(128, 512), List.of(64, 256), 3, 10)
                            : new Speed(RECURRENT, List.of(100, 400), List.of(64, 128), List.of(16, 64), 2, 5));
            default -> throw new IllegalArgumentException("unknown --suite '" + name + "'; expected " + String.join(", ", NAMES));
        };
    }
}
