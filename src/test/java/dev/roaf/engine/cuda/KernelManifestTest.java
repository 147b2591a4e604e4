package dev.roaf.engine.cuda;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs in the CPU build (no nvcc, no GPU): the shipped fatbins must have been built from exactly the
 * sources in kernels/. Fails when a .cu/.cuh/build.sh changed without rerunning kernels/build.sh.
 */
class KernelManifestTest {
    private static final Path KERNELS = Path.of("kernels");
    private static final String FIX = "; rerun kernels/build.sh (needs nvcc) and commit src/main/resources/dev/roaf/kernels/";

    @Test
    void shippedKernelsMatchTheSources() throws IOException, NoSuchAlgorithmException {
        assertTrue(Files.isDirectory(KERNELS), "kernels/ not found from " + Path.of("").toAbsolutePath());
        Map<String, String> actual = new TreeMap<>();
        try (Stream<Path> files = Files.list(KERNELS)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (name.endsWith(".cu") || name.endsWith(".cuh") || name.equals("build.sh")) {
                    byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
                    actual.put(name, HexFormat.of().formatHex(digest));
                }
            }
        }
        Map<String, String> shipped = new TreeMap<>();
        try (InputStream in = getClass().getResourceAsStream("/dev/roaf/kernels/kernels.sha256")) {
            assertNotNull(in, "no kernels.sha256 in the resources" + FIX);
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.trim().split("\\s+", 2);
                shipped.put(parts[1], parts[0]);
            }
        }
        assertEquals(actual.keySet(), shipped.keySet(), "the kernel sources differ from those the fatbins were built from" + FIX);
        for (Map.Entry<String, String> e : actual.entrySet()) {
            assertEquals(e.getValue(), shipped.get(e.getKey()), "kernels/" + e.getKey() + " changed since the last build" + FIX);
        }
        for (String name : actual.keySet()) {
            if (name.endsWith(".cu")) {
                String res = "/dev/roaf/kernels/" + name.replace(".cu", ".fatbin.gz");
                assertNotNull(getClass().getResource(res), res + " is missing" + FIX);
            }
        }
    }
}
