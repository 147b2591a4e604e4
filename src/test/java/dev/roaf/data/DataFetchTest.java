package dev.roaf.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataFetchTest {
    private HttpServer server;
    private URI base;
    private final Map<String, byte[]> served = new HashMap<>();
    private final Map<String, String> hashes = new HashMap<>();
    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private final PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);

    @BeforeEach
    void start(@TempDir Path source) throws Exception {
        // Serve a small valid dataset (5 train / 3 test) and record its hashes.
        TestData.writeMnistDir(source, 5, 3, true);
        for (String name : MnistFiles.FILE_NAMES) {
            byte[] bytes = Files.readAllBytes(source.resolve(name + ".gz"));
            served.put("/mirror/" + name + ".gz", bytes);
            hashes.put(name + ".gz", MnistFiles.sha256(bytes));
        }
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = served.get(exchange.getRequestURI().getPath());
            try (OutputStream os = exchange.getResponseBody()) {
                if (body == null) {
                    exchange.sendResponseHeaders(404, -1);
                } else {
                    exchange.sendResponseHeaders(200, body.length);
                    os.write(body);
                }
            }
        });
        server.start();
        base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mirror");
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private DataFetch fetcher() {
        return new DataFetch(HttpClient.newHttpClient(), Map.of("mnist", Map.copyOf(hashes)), false);
    }

    private static List<String> listing(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void downloadsAndVerifies(@TempDir Path target) throws Exception {
        Path dir = target.resolve("new/mnist");
        List<Path> files = fetcher().fetch("mnist", dir, base, log);
        assertEquals(4, files.size());
        for (int i = 0; i < 4; i++) {
            String name = MnistFiles.FILE_NAMES.get(i) + ".gz";
            assertEquals(dir.resolve(name), files.get(i));
            assertArrayEquals(served.get("/mirror/" + name), Files.readAllBytes(files.get(i)));
        }
        assertEquals(4, listing(dir).size(), "no temporary files left");
        // The fetched folder is found by the loader.
        MnistData data = new MnistFiles(target.resolve("new"), Map.of("HOME", target.toString()), null, false)
                .load(MnistFiles.Dataset.MNIST);
        assertEquals(5, data.trainCount());
        // A second fetch finds the files in place and downloads nothing.
        server.removeContext("/");
        fetcher().fetch("mnist", dir, base, log);
        assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("already present"));
    }

    @Test
    void rejectsAWrongHashAndLeavesNoFile(@TempDir Path target) throws Exception {
        served.put("/mirror/t10k-images-idx3-ubyte.gz", TestData.gzip(TestData.idx(new int[] {3, 28, 28},
                new byte[3 * 784])));
        DataException e = assertThrows(DataException.class, () -> fetcher().fetch("mnist", target, base, log));
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte.gz: SHA-256 mismatch: expected "
                + hashes.get("t10k-images-idx3-ubyte.gz")), e.getMessage());
        assertFalse(Files.exists(target.resolve("t10k-images-idx3-ubyte.gz")));
        assertEquals(List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"), listing(target),
                "earlier verified files stay, nothing else");
    }

    @Test
    void reportsHttpErrors(@TempDir Path target) throws Exception {
        served.remove("/mirror/train-labels-idx1-ubyte.gz");
        DataException e = assertThrows(DataException.class, () -> fetcher().fetch("mnist", target, base, log));
        assertTrue(e.getMessage().contains("/mirror/train-labels-idx1-ubyte.gz: HTTP 404 (expected 200)"),
                e.getMessage());
        assertEquals(List.of("train-images-idx3-ubyte.gz"), listing(target));
    }

    @Test
    void checksShapesAndSizes(@TempDir Path target) {
        DataFetch strict = new DataFetch(HttpClient.newHttpClient(), Map.of("mnist", Map.copyOf(hashes)), true);
        DataException e = assertThrows(DataException.class, () -> strict.fetch("mnist", target, base, log));
        assertTrue(e.getMessage().contains("expected 60000 train / 10000 test examples, found 5 / 3"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> fetcher().fetch("cifar", target, base, log));
        DataException none = assertThrows(DataException.class, () -> fetcher().fetch("fashion", target, base, log));
        assertTrue(none.getMessage().contains("no SHA-256"), none.getMessage());
    }

    @Test
    void knowsAllEightUpstreamHashes() {
        for (String ds : List.of("mnist", "fashion")) {
            Map<String, String> known = DataFetch.KNOWN_SHA256.get(ds);
            for (String name : MnistFiles.FILE_NAMES) {
                assertTrue(known.get(name + ".gz").matches("[0-9a-f]{64}"), ds + " " + name);
            }
        }
        assertEquals(DataFetch.MNIST_MIRROR, DataFetch.defaultMirror("mnist"));
        assertEquals(DataFetch.FASHION_MIRROR, DataFetch.defaultMirror("fashion"));
    }
}
