package dev.roaf.cli;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A published training recipe: the {@code roaf train} options that reproduced one of the paper's
 * claims here, with what they measured and where the run record is. {@code roaf train --recipe NAME}
 * takes its options for what the command line leaves out (so {@code --recipe psmnist-10-epochs --seed 2}
 * or {@code --model lstm} reruns it with one thing changed); {@code roaf recipes} lists them.
 *
 * <p>The measured figures are those of the records named here; a recipe changes only when a run
 * recorded in bench/results does better.
 *
 * @param name     what {@code --recipe} takes
 * @param claim    the paper's claim the recipe is for
 * @param args     the options, as on a command line
 * @param measured what the options gave, with the machine and the time
 * @param record   the run record, relative to the repository root
 * @param data     where the recipe's data comes from, when it is not bundled (null when it is)
 */
record Recipe(String name, String claim, List<String> args, String measured, String record, String data) {

    /**
     * Options whose values go together: a command line that gives one of a group keeps the recipe's
     * others out too (a given {@code --steps} replaces the recipe's {@code --epochs}, a given
     * {@code --optimizer adam} its AdamW weight decay, a given {@code --beta} its whole mix).
     */
    static final List<Set<String>> GROUPS = List.of(
            Set.of("--alpha", "--beta", "--beta-scale", "--alpha-scale"),
            Set.of("--lr-schedule", "--lr-hold"),
            Set.of("--steps", "--epochs"),
            Set.of("--optimizer", "--weight-decay", "--momentum"));

    /** The options of the mix between filter and nonlinearity, which only filtered models take. */
    static final Set<String> MIX = GROUPS.get(0);

    /** Where the psMNIST recipes' data comes from (they were measured on it; the bundled sample is smaller). */
    static final String FULL_MNIST = "the full MNIST (60,000 / 10,000 digits; --data-dir, or 'roaf data fetch mnist')";

    static final List<Recipe> ALL = List.of(
            new Recipe("psmnist-1-epoch", "psMNIST: over 94% of the test digits after one epoch",
                    List.of("--model", "roaf-rnn", "--task", "psmnist", "--epochs", "1", "--batch", "10", "--hidden", "256",
                            "--lr", "0.005", "--clip-norm", "0.5", "--lr-schedule", "cosine", "--alpha-scale", "1", "--beta", "0.03"),
                    "94.20% with seed 1; seeds 1-7: 94.20, 94.09, 94.10, 94.34, 91.21, 94.11, 93.99% (median 94.10%);"
                            + " 27-40 min each with one thread on a 2-core AMD EPYC",
                    "bench/results/paper-cpu/search/psfull1-n256-b10-lr005-a1-b003-cosine-clip05-seed1",
                    FULL_MNIST),
            new Recipe("psmnist-10-epochs", "psMNIST: over 98% of the test digits after ten epochs (not reached)",
                    List.of("--model", "roaf-rnn", "--task", "psmnist", "--epochs", "10", "--batch", "100", "--hidden", "384",
                            "--lr", "0.003", "--clip-norm", "0.5", "--lr-schedule", "cosine", "--alpha-scale", "1", "--beta", "0.03",
                            "--optimizer", "adamw", "--weight-decay", "0.01"),
                    "97.44% with seed 1 (97.53% after epoch 9; 99.57% of the training digits); 98 min with two threads on a"
                            + " 2-core AMD EPYC; at N = 256 with lr 0.005: 97.31% in 47 min",
                    "bench/results/paper-cpu/psmnist-full-search/roaf-rnn-a1-b003-n384-clip05-lr003-adamw001",
                    FULL_MNIST),
            new Recipe("copy-1000", "copy task, delay 1,000: over 99% of the symbols recalled",
                    List.of("--model", "roaf-rnn", "--task", "copy", "--length", "1000", "--hidden", "128", "--batch", "50",
                            "--steps", "3000", "--alpha-scale", "1", "--beta", "0.1", "--clip-norm", "1", "--lr-schedule", "cosine",
                            "--lr-hold", "0.6"),
                    "99.88% with seed 1; seeds 2-6: 99.86, 99.99, 99.93, 99.98, 99.93%; about 29 min with one thread on a"
                            + " 2-core AMD EPYC",
                    "bench/results/paper-cpu/copy-1000/roaf-rnn-beta01-seed1",
                    null),
            new Recipe("mlp-50000", "a 50,000-layer MLP trains by backpropagation",
                    List.of("--model", "roaf-mlp", "--depth", "50000", "--hidden", "16", "--task", "mnist", "--batch", "32",
                            "--steps", "400"),
                    "91.45% of the 2,000 test digits of the bundled MNIST sample with seed 1 (23 min with two threads on a"
                            + " 2-core CPU VM); with --task fashion and the full Fashion-MNIST, 79.69% (33 min)",
                    "bench/results/paper-cpu/mlp50k-mnist/roaf-mlp",
                    null));

    /** The recipe called {@code name}; an unknown name is an error that lists the known ones. */
    static Recipe named(String name) {
        for (Recipe r : ALL) {
            if (r.name.equals(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("--recipe: no recipe called '" + name + "'; there are "
                + ALL.stream().map(Recipe::name).collect(Collectors.joining(", ")) + " ('roaf recipes' says what each measured)");
    }

    /** The recipes' names, for picocli's {@code ${COMPLETION-CANDIDATES}} in the help of {@code --recipe}. */
    static final class Names implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return ALL.stream().map(Recipe::name).iterator();
        }
    }

    /** The recipe's options by name (in order), each with its value as written. */
    Map<String, String> options() {
        Map<String, String> o = new java.util.LinkedHashMap<>();
        for (int i = 0; i < args.size(); i += 2) {
            o.put(args.get(i), args.get(i + 1));
        }
        return o;
    }

    /**
     * Whether a command line that gives {@code given} keeps the recipe's {@code option} out: the same
     * option, one of its group, or the recipe's {@code --length} when another {@code --task} is given
     * (the length is the recipe task's; a given length alone keeps the recipe's task).
     */
    static boolean overrides(String given, String option) {
        return given.equals(option) || GROUPS.stream().anyMatch(g -> g.contains(given) && g.contains(option))
                || given.equals("--task") && option.equals("--length");
    }
}
