package dev.roaf;

import dev.roaf.data.DataException;
import dev.roaf.data.DataFetch;
import dev.roaf.data.MnistFiles;
import dev.roaf.data.TaskOptions;
import dev.roaf.data.Tasks;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * roaf's built-in tasks as {@link Dataset}s: the (permuted) pixel-by-pixel MNIST and Fashion-MNIST
 * tasks, their vector forms for MLPs, and the synthetic adding and copy problems.
 */
public final class Datasets {
    /** The names {@link #builtIn(String, Options)} accepts. */
    public static final List<String> NAMES = Tasks.NAMES;

    private Datasets() {
    }

    /**
     * A built-in task with default options (see {@link Options#defaults()}).
     *
     * @param name one of {@link #NAMES}
     * @return the dataset
     * @throws IllegalArgumentException for an unknown name (the message lists the valid ones), or when
     *                                  a dataset's files are missing or malformed (the message names them)
     */
    public static Dataset builtIn(String name) {
        return builtIn(name, Options.defaults());
    }

    /**
     * A built-in task.
     * <ul>
     *   <li>{@code smnist}, {@code sfashion}: 784 steps of 1 pixel (byte/255), 10 classes read at the end;</li>
     *   <li>{@code psmnist}, {@code psfashion}: the same with a fixed pixel permutation drawn from
     *       {@link Options#withPermSeed the permutation seed};</li>
     *   <li>{@code mnist}, {@code fashion}: vectors of 784 pixels, for MLPs;</li>
     *   <li>{@code adding}: T steps of 2 features, one real target (default T = 1000);</li>
     *   <li>{@code copy}: recall 10 symbols after a delay T (default 100), a class per step.</li>
     * </ul>
     * Image tasks load their data now: from {@link Options#withDataDir the data folder},
     * {@code $ROAF_DATA}, the per-user folder, and for MNIST, last, a 10,000-digit sample bundled in
     * the jar ({@link Dataset#describe()} says when it was used).
     *
     * @param name    one of {@link #NAMES}
     * @param options the task options
     * @return the dataset
     * @throws IllegalArgumentException for an unknown name (the message lists the valid ones), a bad
     *                                  option, or when a dataset's files are missing or malformed
     */
    public static Dataset builtIn(String name, Options options) {
        Objects.requireNonNull(options, "options");
        try {
            return new Dataset(Tasks.create(name, options.internal()));
        } catch (DataException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * The folder {@link #fetch} puts a downloadable dataset in by default, where the image tasks
     * find it later: {@code $ROAF_DATA/<name>} when {@code ROAF_DATA} is set, else the per-user
     * folder's {@code <name>} ({@code $XDG_DATA_HOME/roaf} or {@code ~/.local/share/roaf}).
     *
     * @param name {@code mnist} or {@code fashion} (case-insensitive)
     * @return the folder (it may not exist yet)
     * @throws IllegalArgumentException for any other name
     */
    public static Path defaultFetchDir(String name) {
        Objects.requireNonNull(name, "name");
        return new MnistFiles(null, TaskOptions.defaults().env()).fetchDir(MnistFiles.Dataset.of(name));
    }

    /**
     * The display title of a downloadable dataset: {@code MNIST} or {@code Fashion-MNIST}.
     *
     * @param name {@code mnist} or {@code fashion} (case-insensitive)
     * @return the title
     * @throws IllegalArgumentException for any other name
     */
    public static String title(String name) {
        Objects.requireNonNull(name, "name");
        return MnistFiles.Dataset.of(name).title();
    }

    /**
     * Downloads the four IDX files ({@code .gz}) of MNIST or Fashion-MNIST into a folder and
     * verifies each against its known SHA-256 and the official sizes; files already present and
     * verified are kept. No unverified file is left at its final name.
     *
     * @param name   {@code mnist} or {@code fashion} (case-insensitive)
     * @param dir    the target folder, created if needed; null for {@link #defaultFetchDir(String)}
     * @param mirror the base URL the file names are appended to; null for the dataset's usual mirror
     * @param log    receives one line per step (download, verification); null for none
     * @return the folder the files are in
     * @throws IllegalArgumentException for an unknown name, or when a download fails (HTTP or network
     *                                  error), a hash does not match or a file is malformed; the
     *                                  message names the file or URL
     */
    public static Path fetch(String name, Path dir, URI mirror, Consumer<String> log) {
        Objects.requireNonNull(name, "name");
        Path target = dir != null ? dir : defaultFetchDir(name);
        URI from = mirror != null ? mirror : DataFetch.defaultMirror(name);
        try (PrintStream out = lines(log)) {
            new DataFetch().fetch(name, target, from, out);
        } catch (DataException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return target;
    }

    /** A print stream that hands each completed line to {@code sink}. */
    private static PrintStream lines(Consumer<String> sink) {
        OutputStream o = new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public void write(int b) {
                if (b == '\n') {
                    String s = line.toString(StandardCharsets.UTF_8);
                    line.reset();
                    if (s.endsWith("\r")) {
                        s = s.substring(0, s.length() - 1);
                    }
                    if (sink != null) {
                        sink.accept(s);
                    }
                } else {
                    line.write(b);
                }
            }
        };
        return new PrintStream(o, true, StandardCharsets.UTF_8);
    }

    /**
     * Options of the built-in tasks; immutable. Start from {@link #defaults()} and change what you
     * need with the {@code with...} methods.
     */
    public static final class Options {
        private final TaskOptions options;

        private Options(TaskOptions options) {
            this.options = options;
        }

        /**
         * The defaults: each task's own length, permutation seed 0, no explicit data folder, 1,000
         * synthetic test examples from a fixed seed, and the process environment.
         *
         * @return the default options
         */
        public static Options defaults() {
            return new Options(TaskOptions.defaults());
        }

        /**
         * A copy with T set: the sequence length of {@code adding}, the delay of {@code copy}
         * (sequences of T + 20 steps); ignored by the image tasks.
         *
         * @param length T in steps, at least 2 for adding and 1 for copy; 0 restores the task's default
         * @return the changed options
         */
        public Options withLength(int length) {
            return new Options(options.withLength(length));
        }

        /**
         * A copy with the seed of the fixed pixel permutation of {@code psmnist} and {@code psfashion}.
         *
         * @param permSeed the seed (default 0)
         * @return the changed options
         */
        public Options withPermSeed(long permSeed) {
            return new Options(options.withPermSeed(permSeed));
        }

        /**
         * A copy with a folder holding the MNIST / Fashion-MNIST IDX files, searched first.
         *
         * @param dataDir the folder, or null for none
         * @return the changed options
         */
        public Options withDataDir(Path dataDir) {
            return new Options(options.withDataDir(dataDir));
        }

        /**
         * A copy with the size of the synthetic tasks' fixed test set (ignored by image tasks).
         *
         * @param testSize test examples, at least 1 (default 1,000)
         * @return the changed options
         */
        public Options withTestSize(int testSize) {
            return new Options(options.withTestSize(testSize));
        }

        /**
         * A copy with the seed of the synthetic tasks' test set (fixed by default, so that every run
         * is scored on the same examples).
         *
         * @param testSeed the seed
         * @return the changed options
         */
        public Options withTestSeed(long testSeed) {
            return new Options(options.withTestSeed(testSeed));
        }

        /**
         * A copy that reads {@code env} instead of the process environment for {@code ROAF_DATA},
         * {@code XDG_DATA_HOME} and {@code HOME}.
         *
         * @param env the environment variables
         * @return the changed options
         */
        public Options withEnv(Map<String, String> env) {
            return new Options(options.withEnv(env));
        }

        /**
         * T as set by {@link #withLength}.
         *
         * @return T, or 0 for the task's default
         */
        public int length() {
            return options.length();
        }

        /**
         * The pixel permutation seed.
         *
         * @return the seed
         */
        public long permSeed() {
            return options.permSeed();
        }

        TaskOptions internal() {
            return options;
        }
    }
}
