package dev.roaf.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Finds and loads MNIST and Fashion-MNIST: the four standard IDX files, each raw or {@code .gz}.
 *
 * <p>Look-up order, first complete set of four files wins:
 * <ol>
 *   <li>the explicit data folder (the {@code --data-dir} option): its {@code mnist/} or {@code fashion/} subfolder,
 *       then the folder itself (when it is the dataset's own folder);</li>
 *   <li>{@code $ROAF_DATA}/{@code mnist|fashion};</li>
 *   <li>the per-user folder {@code $XDG_DATA_HOME/roaf} or {@code ~/.local/share/roaf}, subfolder
 *       {@code mnist|fashion} (also where {@code roaf data fetch} puts files by default, see {@link #fetchDir});</li>
 *   <li>Fashion-MNIST only: {@code /usr/share/datasets/fashion-mnist}, where Debian's package
 *       {@code dataset-fashion-mnist} installs the four {@code .gz} files (checked with {@code dpkg -L}; its files
 *       are upstream's with the gzip header's file name and time stripped, so their SHA-256 differ from upstream's
 *       while their contents are the same);</li>
 *   <li>MNIST only: a 10,000-digit sample bundled in the jar ({@code dev/roaf/data/mnist-10k/}, 8,000 train / 2,000
 *       test), reported as such in the provenance so the CLI can tell the user.</li>
 * </ol>
 * The environment is read from an injected map, never from the process directly. Loaded datasets are cached in this
 * instance only.
 */
public final class MnistFiles {
    /** The two datasets in the MNIST layout. */
    public enum Dataset {
        /** LeCun et al.'s handwritten digits. */
        MNIST("mnist", "MNIST"),
        /** Zalando's Fashion-MNIST. */
        FASHION("fashion", "Fashion-MNIST");

        private final String id;
        private final String title;

        Dataset(String id, String title) {
            this.id = id;
            this.title = title;
        }

        /** The short name used for folders and commands: {@code mnist} or {@code fashion}. */
        public String id() {
            return id;
        }

        /** The display name. */
        public String title() {
            return title;
        }

        /**
         * The dataset named {@code id} ({@code mnist} or {@code fashion}, case-insensitive).
         *
         * @throws IllegalArgumentException for any other name
         */
        public static Dataset of(String id) {
            for (Dataset d : values()) {
                if (d.id.equalsIgnoreCase(id.trim())) {
                    return d;
                }
            }
            throw new IllegalArgumentException("unknown dataset '" + id + "': expected mnist or fashion");
        }
    }

    /** The four standard file names (without {@code .gz}): train images, train labels, test images, test labels. */
    public static final List<String> FILE_NAMES = List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");
    /** Where Debian's {@code dataset-fashion-mnist} package puts its files. */
    public static final Path DEBIAN_FASHION_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    /** The classpath folder of the bundled MNIST sample. */
    public static final String BUNDLED_SAMPLE = "/dev/roaf/data/mnist-10k/";
    private static final int SIDE = 28;

    private final Path dataDir;
    private final Map<String, String> env;
    private final Path debianFashionDir;
    private final boolean bundledSample;
    private final Map<Dataset, MnistData> cache = new EnumMap<>(Dataset.class);

    /** Where a complete set of files was found. */
    public record Location(String source, Path dir, boolean bundled) {
    }

    /**
     * The standard look-up: explicit folder, environment, per-user folder, Debian's Fashion-MNIST, bundled sample.
     *
     * @param dataDir the explicit folder, or null
     * @param env     the environment ({@code ROAF_DATA}, {@code XDG_DATA_HOME}, {@code HOME})
     */
    public MnistFiles(Path dataDir, Map<String, String> env) {
        this(dataDir, env, DEBIAN_FASHION_DIR, true);
    }

    /**
     * A look-up with the system folder and the bundled sample configurable (tests use this to be independent of the
     * machine).
     *
     * @param debianFashionDir the system Fashion-MNIST folder, or null to skip it
     * @param bundledSample    whether to fall back on the bundled MNIST sample
     */
    public MnistFiles(Path dataDir, Map<String, String> env, Path debianFashionDir, boolean bundledSample) {
        this.dataDir = dataDir;
        this.env = Objects.requireNonNull(env, "env");
        this.debianFashionDir = debianFashionDir;
        this.bundledSample = bundledSample;
    }

    /** The per-user data folder: {@code $XDG_DATA_HOME/roaf}, else {@code $HOME/.local/share/roaf}. */
    public Path userDir() {
        String xdg = env.get("XDG_DATA_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "roaf");
        }
        String home = env.get("HOME");
        if (home == null || home.isBlank()) {
            home = System.getProperty("user.home");
        }
        return Path.of(home, ".local", "share", "roaf");
    }

    /** The folders searched for {@code dataset}, in order (the bundled sample, a classpath resource, not included). */
    public List<Path> searchPath(Dataset dataset) {
        List<Path> dirs = new ArrayList<>();
        if (dataDir != null) {
            dirs.add(dataDir.resolve(dataset.id()));
            dirs.add(dataDir);
        }
        String roafData = env.get("ROAF_DATA");
        if (roafData != null && !roafData.isBlank()) {
            dirs.add(Path.of(roafData).resolve(dataset.id()));
        }
        dirs.add(userDir().resolve(dataset.id()));
        if (dataset == Dataset.FASHION && debianFashionDir != null) {
            dirs.add(debianFashionDir);
        }
        return dirs;
    }

    /**
     * Where {@code roaf data fetch} should put {@code dataset}: the explicit folder's subfolder, else
     * {@code $ROAF_DATA}'s, else the per-user folder's.
     */
    public Path fetchDir(Dataset dataset) {
        if (dataDir != null) {
            return dataDir.resolve(dataset.id());
        }
        String roafData = env.get("ROAF_DATA");
        if (roafData != null && !roafData.isBlank()) {
            return Path.of(roafData).resolve(dataset.id());
        }
        return userDir().resolve(dataset.id());
    }

    /**
     * Finds the first complete set of files for {@code dataset}.
     *
     * @throws DataException (one line, naming {@code roaf data fetch <dataset>} and {@code --data-dir}) if none
     */
    public Location locate(Dataset dataset) {
        List<String> looked = new ArrayList<>();
        for (Path dir : searchPath(dataset)) {
            List<String> missing = new ArrayList<>();
            for (String f : FILE_NAMES) {
                if (find(dir, f) == null) {
                    missing.add(f);
                }
            }
            if (missing.isEmpty()) {
                return new Location(dir.toString(), dir, false);
            }
            looked.add(missing.size() == FILE_NAMES.size() ? dir.toString()
                    : dir + " (incomplete: missing " + String.join(", ", missing) + ")");
        }
        if (dataset == Dataset.MNIST && bundledSample && MnistFiles.class.getResource(BUNDLED_SAMPLE
                + FILE_NAMES.get(0) + ".gz") != null) {
            return new Location("bundled", null, true);
        }
        throw new DataException(dataset.title() + " data not found (looked in: " + String.join("; ", looked)
                + "); run `roaf data fetch " + dataset.id() + "` to download it, or pass --data-dir DIR naming a "
                + "folder that holds " + String.join(", ", FILE_NAMES) + " (each optionally .gz) or its "
                + dataset.id() + "/ subfolder");
    }

    /** The file {@code name} or {@code name.gz} in {@code dir} (uncompressed first), or null. */
    private static Path find(Path dir, String name) {
        Path raw = dir.resolve(name);
        if (Files.isRegularFile(raw)) {
            return raw;
        }
        Path gz = dir.resolve(name + ".gz");
        return Files.isRegularFile(gz) ? gz : null;
    }

    /**
     * Loads {@code dataset} (cached in this instance): locates it, reads the four files, checks that images are
     * {@code [N, 28, 28]} and labels {@code [N]} in {@code 0..9}, and records each file's path (or resource name)
     * and the SHA-256 of its bytes as stored.
     *
     * @throws DataException if the data is missing or malformed
     */
    public synchronized MnistData load(Dataset dataset) {
        MnistData cached = cache.get(dataset);
        if (cached != null) {
            return cached;
        }
        Location where = locate(dataset);
        IdxArray[] arrays = new IdxArray[FILE_NAMES.size()];
        List<Map<String, Object>> files = new ArrayList<>();
        for (int i = 0; i < arrays.length; i++) {
            String name = FILE_NAMES.get(i);
            String label;
            byte[] bytes;
            if (where.bundled()) {
                label = "classpath:" + BUNDLED_SAMPLE.substring(1) + name + ".gz";
                bytes = resourceBytes(BUNDLED_SAMPLE + name + ".gz");
            } else {
                Path file = find(where.dir(), name);
                if (file == null) {
                    throw new DataException(where.dir().resolve(name) + ": file disappeared while loading");
                }
                label = file.toString();
                try {
                    bytes = Files.readAllBytes(file);
                } catch (IOException e) {
                    throw new DataException(file + ": cannot read (" + e.getMessage() + ")", e);
                }
            }
            arrays[i] = Idx.parse(bytes, label);
            boolean images = i % 2 == 0;
            int[] dims = arrays[i].dims;
            boolean ok = images ? dims.length == 3 && dims[1] == SIDE && dims[2] == SIDE : dims.length == 1;
            if (!ok) {
                throw new DataException(label + ": expected dims " + (images ? "[N, 28, 28]" : "[N]") + ", found "
                        + Arrays.toString(dims));
            }
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("name", name);
            f.put("path", label);
            f.put("bytes", (long) bytes.length);
            f.put("sha256", sha256(bytes));
            files.add(Collections.unmodifiableMap(f));
        }
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("dataset", dataset.id());
        int nTrain = arrays[0].dims[0];
        int nTest = arrays[2].dims[0];
        if (where.bundled()) {
            provenance.put("source", "bundled mnist-10k sample (" + nTrain + " train / " + nTest + " test)");
            provenance.put("sample", true);
            provenance.put("note", "a 10,000-digit subset of MNIST, not the full 60,000 / 10,000 split: results are"
                    + " a proxy; run `roaf data fetch mnist` for the full set");
        } else {
            provenance.put("source", where.source());
            provenance.put("sample", false);
        }
        provenance.put("files", List.copyOf(files));
        MnistData data;
        try {
            data = new MnistData(arrays[0], arrays[1], arrays[2], arrays[3], provenance);
        } catch (DataException e) {
            throw new DataException(dataset.title() + " at " + (where.bundled() ? "bundled sample" : where.dir())
                    + ": " + e.getMessage(), e);
        }
        cache.put(dataset, data);
        return data;
    }

    private static byte[] resourceBytes(String resource) {
        try (InputStream in = MnistFiles.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new DataException("classpath resource " + resource + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new DataException("classpath resource " + resource + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** The SHA-256 of {@code bytes} as lowercase hex. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    @Override
    public String toString() {
        return "MnistFiles[dataDir=" + dataDir + ", user=" + userDir() + "]";
    }
}
