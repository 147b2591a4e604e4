package dev.roaf.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Downloads MNIST or Fashion-MNIST (the four {@code .gz} IDX files) from a mirror and verifies them.
 *
 * <p>Each file goes to a temporary file in the target folder and is moved into place (atomically where the file
 * system allows) only after its SHA-256 matches the expected value and it parses as IDX with the expected shape; a
 * file that fails is deleted. Files already present with the right hash are not downloaded again.
 *
 * <p>Known SHA-256 values (of the {@code .gz} files as served):
 * <ul>
 *   <li>Fashion-MNIST: established offline. Debian's {@code dataset-fashion-mnist} ships upstream's files with the
 *       gzip header's file name and modification time stripped; putting them back (times 1504176606 and 1504176627,
 *       i.e. 2017-08-31) rebuilds files whose sizes (26421880, 29515, 4422102, 5148), MD5 (those in upstream's
 *       README) and SHA-256 (those listed in tensorflow/datasets {@code url_checksums/fashion_mnist.txt}) all match
 *       upstream's.</li>
 *   <li>MNIST: from tensorflow/datasets {@code url_checksums/mnist.txt} (sizes 9912422, 28881, 1648877, 4542), the
 *       same values several independent projects use for the LeCun, Google (cvdf) and ossci mirrors; not checked
 *       against a download here (no network). A mismatch fails loudly, and the IDX shape check below applies in any
 *       case.</li>
 * </ul>
 */
public final class DataFetch {
    /** The default MNIST mirror (the one torchvision uses). */
    public static final URI MNIST_MIRROR = URI.create("https://ossci-datasets.s3.amazonaws.com/mnist/");
    /** The default Fashion-MNIST mirror (upstream's). */
    public static final URI FASHION_MIRROR = URI.create("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/");

    /** Expected SHA-256 of each {@code .gz} file, by dataset id ({@code mnist}, {@code fashion}) then file name. */
    public static final Map<String, Map<String, String>> KNOWN_SHA256 = Map.of(
            "mnist", Map.of(
                    "train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                    "train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                    "t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                    "t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
            "fashion", Map.of(
                    "train-images-idx3-ubyte.gz", "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                    "train-labels-idx1-ubyte.gz", "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                    "t10k-images-idx3-ubyte.gz", "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                    "t10k-labels-idx1-ubyte.gz", "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"));

    /** The official split sizes, checked after download by the default instance. */
    public static final int OFFICIAL_TRAIN = 60_000;
    /** The official test-set size. */
    public static final int OFFICIAL_TEST = 10_000;

    private final HttpClient http;
    private final Map<String, Map<String, String>> sha256;
    private final boolean officialSizes;

    /** A fetcher with the known hashes and the official split sizes. */
    public DataFetch() {
        this(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30))
                .followRedirects(HttpClient.Redirect.NORMAL).build(), KNOWN_SHA256, true);
    }

    /**
     * A fetcher with its own client and hash table (tests serve small files with their own hashes).
     *
     * @param sha256        expected SHA-256 (lowercase hex) by dataset id then {@code .gz} file name; every file
     *                      must have one
     * @param officialSizes whether to require 60,000 training and 10,000 test examples of 28x28 (otherwise any
     *                      consistent sizes of 28x28 images)
     */
    public DataFetch(HttpClient http, Map<String, Map<String, String>> sha256, boolean officialSizes) {
        this.http = Objects.requireNonNull(http, "http");
        this.sha256 = Objects.requireNonNull(sha256, "sha256");
        this.officialSizes = officialSizes;
    }

    /** The default mirror of {@code dataset} ({@code mnist} or {@code fashion}). */
    public static URI defaultMirror(String dataset) {
        return MnistFiles.Dataset.of(dataset) == MnistFiles.Dataset.MNIST ? MNIST_MIRROR : FASHION_MIRROR;
    }

    /**
     * Downloads the four {@code .gz} files of {@code dataset} into {@code targetDir} (created if needed), verifying
     * each, and returns their paths in the order of {@link MnistFiles#FILE_NAMES}.
     *
     * @param dataset   {@code mnist} or {@code fashion}
     * @param mirror    base URI the file names are appended to; null for {@link #defaultMirror}
     * @param log       progress messages, one line per step
     * @throws IllegalArgumentException for an unknown dataset
     * @throws DataException            on an HTTP error, a network error, a hash mismatch or a malformed file; no
     *                                  unverified file is left at its final name
     */
    public List<Path> fetch(String dataset, Path targetDir, URI mirror, PrintStream log) {
        MnistFiles.Dataset ds = MnistFiles.Dataset.of(dataset);
        Map<String, String> hashes = sha256.get(ds.id());
        if (hashes == null) {
            throw new DataException("no SHA-256 values known for " + ds.id() + "; refusing to download unverified files");
        }
        URI base = mirror == null ? defaultMirror(ds.id()) : mirror;
        if (!base.toString().endsWith("/")) {
            base = URI.create(base + "/");
        }
        try {
            Files.createDirectories(targetDir);
        } catch (IOException e) {
            throw new DataException(targetDir + ": cannot create folder (" + e.getMessage() + ")", e);
        }
        List<Path> out = new ArrayList<>();
        int[] counts = new int[MnistFiles.FILE_NAMES.size()];
        for (int i = 0; i < counts.length; i++) {
            String file = MnistFiles.FILE_NAMES.get(i) + ".gz";
            String expected = hashes.get(file);
            if (expected == null) {
                throw new DataException("no SHA-256 known for " + ds.id() + " " + file
                        + "; refusing to download an unverified file");
            }
            Path dest = targetDir.resolve(file);
            boolean images = i % 2 == 0;
            if (Files.isRegularFile(dest) && expected.equalsIgnoreCase(sha256Of(dest))) {
                counts[i] = checkShape(Idx.read(dest), dest.toString(), images);
                log.println(dest + ": already present, SHA-256 ok");
            } else {
                counts[i] = download(base.resolve(file), dest, expected, images, log);
            }
            out.add(dest);
        }
        checkCounts(ds, targetDir, counts);
        log.println(ds.title() + ": 4 files verified in " + targetDir);
        return List.copyOf(out);
    }

    /** Downloads {@code url} to {@code dest} via a temporary file, verified; returns the example count. */
    private int download(URI url, Path dest, String expected, boolean images, PrintStream log) {
        log.println("downloading " + url + " -> " + dest);
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dest.getParent(), "." + dest.getFileName() + ".", ".part");
            HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(2)).GET().build();
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            MessageDigest digest = newSha256();
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    throw new DataException(url + ": HTTP " + response.statusCode()
                            + " (expected 200); try another mirror with --mirror, or copy the files by hand and pass"
                            + " --data-dir");
                }
                try (InputStream in = new DigestInputStream(body, digest);
                     OutputStream os = Files.newOutputStream(tmp)) {
                    in.transferTo(os);
                }
            }
            String found = HexFormat.of().formatHex(digest.digest());
            if (!found.equalsIgnoreCase(expected)) {
                throw new DataException(url + ": SHA-256 mismatch: expected " + expected + ", found " + found
                        + "; the file was discarded");
            }
            int count = checkShape(Idx.parse(Files.readAllBytes(tmp), url.toString()), url.toString(), images);
            try {
                Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dest, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            log.println(dest + ": SHA-256 ok");
            return count;
        } catch (IOException e) {
            throw new DataException(url + ": download failed (" + e + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataException(url + ": download interrupted", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // Best effort: a stray ".part" file is harmless and never read as data.
                }
            }
        }
    }

    /** Returns the example count of a parsed file; images must be {@code [N, 28, 28]}, labels {@code [N]}. */
    private static int checkShape(IdxArray a, String file, boolean images) {
        boolean ok = images ? a.dims.length == 3 && a.dims[1] == 28 && a.dims[2] == 28 : a.dims.length == 1;
        if (!ok) {
            throw new DataException(file + ": expected dims " + (images ? "[N, 28, 28]" : "[N]") + ", found "
                    + Arrays.toString(a.dims));
        }
        return a.dims[0];
    }

    private void checkCounts(MnistFiles.Dataset ds, Path dir, int[] counts) {
        if (counts[0] != counts[1] || counts[2] != counts[3]) {
            throw new DataException(ds.title() + " in " + dir + ": images and labels disagree: train " + counts[0]
                    + " / " + counts[1] + ", test " + counts[2] + " / " + counts[3]);
        }
        if (officialSizes && (counts[0] != OFFICIAL_TRAIN || counts[2] != OFFICIAL_TEST)) {
            throw new DataException(ds.title() + " in " + dir + ": expected " + OFFICIAL_TRAIN + " train / "
                    + OFFICIAL_TEST + " test examples, found " + counts[0] + " / " + counts[2]);
        }
    }

    private static String sha256Of(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), newSha256())) {
            MessageDigest d = ((DigestInputStream) in).getMessageDigest();
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(d.digest());
        } catch (IOException e) {
            return "";
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
