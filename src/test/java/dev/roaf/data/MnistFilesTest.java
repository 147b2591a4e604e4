package dev.roaf.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistFilesTest {
    private static final MnistFiles.Dataset MNIST = MnistFiles.Dataset.MNIST;
    private static final MnistFiles.Dataset FASHION = MnistFiles.Dataset.FASHION;

    @Test
    void searchesOptionThenEnvThenUserThenSystem(@TempDir Path tmp) {
        Path opt = tmp.resolve("opt");
        Path env = tmp.resolve("env");
        Path home = tmp.resolve("home");
        Path sys = tmp.resolve("sys");
        Map<String, String> vars = Map.of("ROAF_DATA", env.toString(), "HOME", home.toString());
        MnistFiles files = new MnistFiles(opt, vars, sys, false);
        assertEquals(List.of(opt.resolve("fashion"), opt, env.resolve("fashion"),
                home.resolve(".local/share/roaf/fashion"), sys), files.searchPath(FASHION));
        assertEquals(List.of(opt.resolve("mnist"), opt, env.resolve("mnist"), home.resolve(".local/share/roaf/mnist")),
                files.searchPath(MNIST));

        // Fill from the back and check that each earlier place wins once it holds the files.
        TestData.writeMnistDir(sys, 2, 1, true);
        assertEquals(sys, files.locate(FASHION).dir());
        TestData.writeMnistDir(home.resolve(".local/share/roaf/fashion"), 2, 1, false);
        assertEquals(home.resolve(".local/share/roaf/fashion"), files.locate(FASHION).dir());
        TestData.writeMnistDir(env.resolve("fashion"), 2, 1, true);
        assertEquals(env.resolve("fashion"), files.locate(FASHION).dir());
        TestData.writeMnistDir(opt, 2, 1, true);
        assertEquals(opt, files.locate(FASHION).dir(), "files directly in the option's folder");
        TestData.writeMnistDir(opt.resolve("fashion"), 2, 1, true);
        assertEquals(opt.resolve("fashion"), files.locate(FASHION).dir());
    }

    @Test
    void xdgDataHomeReplacesTheHomeFolder(@TempDir Path tmp) {
        MnistFiles files = new MnistFiles(null, Map.of("XDG_DATA_HOME", tmp.toString(), "HOME", "/nonexistent"));
        assertEquals(tmp.resolve("roaf"), files.userDir());
        assertEquals(tmp.resolve("roaf/mnist"), files.fetchDir(MNIST));
        assertEquals(tmp.resolve("x/fashion"), new MnistFiles(tmp.resolve("x"), Map.of()).fetchDir(FASHION));
    }

    @Test
    void missingDataNamesTheFetchCommandAndTheOption(@TempDir Path tmp) throws Exception {
        Path partial = tmp.resolve("d/fashion");
        TestData.writeMnistDir(partial, 2, 1, true);
        Files.delete(partial.resolve("t10k-labels-idx1-ubyte.gz"));
        MnistFiles files = new MnistFiles(tmp.resolve("d"), Map.of("HOME", tmp.toString()), null, false);
        DataException e = assertThrows(DataException.class, () -> files.load(FASHION));
        String m = e.getMessage();
        assertTrue(m.contains("roaf data fetch fashion"), m);
        assertTrue(m.contains("--data-dir"), m);
        assertTrue(m.contains("incomplete: missing t10k-labels-idx1-ubyte"), m);
        assertFalse(m.contains("\n"), "one line");
        DataException e2 = assertThrows(DataException.class, () -> files.load(MNIST));
        assertTrue(e2.getMessage().contains("roaf data fetch mnist"), e2.getMessage());
    }

    @Test
    void loadsAndRecordsHashes(@TempDir Path tmp) throws Exception {
        TestData.writeMnistDir(tmp.resolve("mnist"), 6, 4, true);
        MnistFiles files = new MnistFiles(null, Map.of("ROAF_DATA", tmp.toString(), "HOME", tmp.toString()),
                null, false);
        MnistData data = files.load(MNIST);
        assertEquals(6, data.trainCount());
        assertEquals(4, data.testCount());
        assertEquals(784, data.pixels());
        assertTrue(data == files.load(MNIST), "cached in the instance");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> recorded = (List<Map<String, Object>>) data.provenance().get("files");
        assertEquals(4, recorded.size());
        Path first = tmp.resolve("mnist/train-images-idx3-ubyte.gz");
        assertEquals(first.toString(), recorded.get(0).get("path"));
        assertEquals(MnistFiles.sha256(Files.readAllBytes(first)), recorded.get(0).get("sha256"));
        assertEquals(false, data.provenance().get("sample"));

        Task task = Tasks.create("psmnist", TaskOptions.defaults().withEnv(Map.of("HOME", tmp.toString()))
                .withDataDir(tmp).withPermSeed(3));
        assertEquals(784, task.steps());
        assertEquals(784, ((List<?>) task.describe().get("permutation")).size());
        assertEquals(recorded, task.describe().get("files"));
    }

    @Test
    void rejectsWrongImageSize(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("mnist");
        TestData.writeMnistDir(dir, 2, 1, false);
        Files.write(dir.resolve("train-images-idx3-ubyte"), TestData.idx(new int[] {2, 4, 4}, new byte[32]));
        MnistFiles files = new MnistFiles(tmp, Map.of("HOME", tmp.toString()), null, false);
        DataException e = assertThrows(DataException.class, () -> files.load(MNIST));
        assertTrue(e.getMessage().contains("expected dims [N, 28, 28], found [2, 4, 4]"), e.getMessage());
    }

    @Test
    void fallsBackOnTheBundledSample(@TempDir Path tmp) {
        MnistFiles files = new MnistFiles(null, Map.of("HOME", tmp.toString()), null, true);
        assertTrue(files.locate(MNIST).bundled());
        MnistData data = files.load(MNIST);
        assertEquals(8000, data.trainCount());
        assertEquals(2000, data.testCount());
        assertEquals("bundled mnist-10k sample (8000 train / 2000 test)", data.provenance().get("source"));
        assertEquals(true, data.provenance().get("sample"));
        assertThrows(DataException.class, () -> files.locate(FASHION), "no bundled Fashion-MNIST");
    }
}
