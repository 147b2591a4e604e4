package dev.roaf.cli;

import dev.roaf.JsonText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code roaf bench} on the tiny suite: the rows of results.json, the tables generated from it, the PNGs. */
class BenchCommandTest {
    private static final Set<String> FIELDS = Set.of("benchmark", "config", "device", "card", "metric", "value", "unit",
            "peer", "peer_value", "ratio", "command");

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    @SuppressWarnings("unchecked")
    void tinySuiteWritesRowsTablesAndPlots(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("bench");
        String[] r = run("bench", "--suite", "tiny", "--device", "cpu", "--threads", "2", "--out", out.toString(), "--peers", "none");
        assertEquals("0", r[0], r[2]);
        Map<String, Object> results = (Map<String, Object>) JsonText.parse(Files.readString(out.resolve("results.json")));
        assertEquals("tiny", results.get("suite"));
        assertTrue(results.get("command").toString().startsWith("roaf bench --suite tiny"), results.get("command").toString());
        List<Object> rows = (List<Object>) results.get("rows");
        // 3 models x (test_loss, step_time, wall_time) + 3 models x (roaf, pytorch) speed rows
        assertEquals(15, rows.size(), rows.toString());
        int peerRows = 0;
        for (Object o : rows) {
            Map<String, Object> row = (Map<String, Object>) o;
            assertTrue(row.keySet().containsAll(FIELDS), "missing fields in " + row.keySet());
            assertEquals("cpu", row.get("device"));
            assertTrue(row.get("card").toString().contains("cpu"), row.get("card").toString());
            Map<String, Object> config = (Map<String, Object>) row.get("config");
            assertNotNull(config.get("model"));
            if (row.get("benchmark").equals("speed-peer")) {
                assertNull(row.get("value"));
                assertEquals("not available: --peers none", row.get("note"));
                continue;
            }
            double value = ((Number) row.get("value")).doubleValue();
            assertTrue(value > 0 && Double.isFinite(value), row.toString());
            if (row.get("peer") != null) {
                peerRows++;
                assertEquals("lstm", row.get("peer"));
                double peer = ((Number) row.get("peer_value")).doubleValue();
                assertEquals(value / peer, ((Number) row.get("ratio")).doubleValue(), 1e-9 * value / peer);
            } else {
                assertEquals("lstm", config.get("model"));
                assertNull(row.get("ratio"));
            }
        }
        assertEquals(2 * 3 + 2, peerRows);
        // The tables are generated from results.json.
        List<String> pngs = List.of("adding-T10.png", "speed.png");
        String md = Files.readString(out.resolve("results.md"));
        assertEquals(BenchCommand.markdown(results, pngs), md);
        assertEquals(rows.size(), md.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| benchmark") && !l.startsWith("| ---")).count());
        String headline = Files.readString(out.resolve("headline.md"));
        assertEquals(BenchCommand.headline(results), headline);
        assertTrue(headline.contains("| adding-T10 (adding, T=10, N=8, B=8) | roaf-rnn | 20 | MSE "), headline);
        // The plots are PNGs.
        for (String png : pngs) {
            BufferedImage image = ImageIO.read(out.resolve(png).toFile());
            assertNotNull(image, png);
            assertEquals(1200, image.getWidth());
        }
        assertTrue(Files.isRegularFile(out.resolve("curves.json")));
    }

    @Test
    void paperSuiteListsItsEntriesWithoutRunning() {
        String[] r = run("bench", "--suite", "paper", "--device", "cuda", "--list");
        assertEquals("0", r[0], r[2]);
        for (String entry : List.of("psmnist:", "psfashion:", "adding-T1000:", "adding-T10000:", "copy-T1000:", "copy-T10000:",
                "mnist-mlp-L1000:", "roaf train --model roaf-mlp --task mnist --hidden 128 --depth 1000",
                // the bench trains at a constant rate: the copy entries' roaf-rnn command must not get the recipe's schedule
                "roaf train --model roaf-rnn --task copy --length 1000 --hidden 128 --batch 50 --steps 2000 --lr 0.005 --seed 1"
                        + " --eval-every 200 --eval-size 1000 --device cuda --lr-schedule constant")) {
            assertTrue(r[1].contains(entry), entry + " not in\n" + r[1]);
        }
    }

    @Test
    void unknownSuiteIsBadUsage() {
        String[] r = run("bench", "--suite", "nope", "--device", "cpu", "--list");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("unknown --suite 'nope'; expected quick, paper, speed, tiny"), r[2]);
    }
}
