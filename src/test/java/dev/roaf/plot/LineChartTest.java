package dev.roaf.plot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LineChartTest {

    @TempDir
    Path dir;

    /** Writes the chart, reads it back and checks the basics every chart must satisfy. */
    private BufferedImage writeAndRead(int w, int h, LineChart.Panel... panels) throws IOException {
        Path png = dir.resolve("chart.png");
        LineChart.write(png, w, h, "title", panels);
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "not a readable PNG");
        assertEquals(w, img.getWidth());
        assertEquals(h, img.getHeight());
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < h; y += 3) {
            for (int x = 0; x < w; x += 3) {
                colours.add(img.getRGB(x, y) & 0xFFFFFF);
            }
        }
        assertTrue(colours.size() > 2, "image is (nearly) one colour");
        return img;
    }

    /** Counts pixels within a small RGB distance of {@code c}, in the given column range. */
    private static int countNear(BufferedImage img, Color c, int x0, int x1) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = x0; x < x1; x++) {
                int rgb = img.getRGB(x, y);
                int dr = ((rgb >> 16) & 0xFF) - c.getRed();
                int dg = ((rgb >> 8) & 0xFF) - c.getGreen();
                int db = (rgb & 0xFF) - c.getBlue();
                if (dr * dr + dg * dg + db * db <= 30 * 30) {
                    n++;
                }
            }
        }
        return n;
    }

    private static int countNear(BufferedImage img, Color c) {
        return countNear(img, c, 0, img.getWidth());
    }

    private static double[] range(int n) {
        double[] xs = new double[n];
        for (int i = 0; i < n; i++) {
            xs[i] = i;
        }
        return xs;
    }

    @Test
    void linearTwoSeriesWithReferenceLine() throws IOException {
        double[] xs = range(200);
        double[] a = new double[200];
        double[] b = new double[200];
        for (int i = 0; i < 200; i++) {
            a[i] = 1 - Math.exp(-i / 40.0);
            b[i] = 0.8 * (1 - Math.exp(-i / 70.0));
        }
        LineChart.Panel p = new LineChart.Panel("accuracy", "step", "acc")
                .legend(false).series("a", xs, a).series("b", xs, b).hline("chance", 0.1);
        BufferedImage img = writeAndRead(800, 400, p);
        assertTrue(countNear(img, LineChart.seriesColor(0)) > 300);
        assertTrue(countNear(img, LineChart.seriesColor(1)) > 300);
    }

    @Test
    void seriesColoursAreDistinct() {
        Set<Color> seen = new HashSet<>();
        for (int i = 0; i < LineChart.paletteSize(); i++) {
            assertTrue(seen.add(LineChart.seriesColor(i)));
        }
        assertEquals(LineChart.seriesColor(0), LineChart.seriesColor(LineChart.paletteSize()));
    }

    @Test
    void logScaleSkipsNonPositiveValues() throws IOException {
        double[] xs = range(100);
        double[] loss = new double[100];
        for (int i = 0; i < 100; i++) {
            loss[i] = 2 * Math.exp(-i / 15.0);
        }
        loss[10] = 0;
        loss[20] = -1;
        LineChart.Panel p = new LineChart.Panel("loss", "step", "loss").logY(true).legend(false)
                .series("loss", xs, loss).hline("negative, ignored", -3);
        BufferedImage img = writeAndRead(600, 400, p);
        assertTrue(countNear(img, LineChart.seriesColor(0)) > 200);
    }

    @Test
    void nanGapStillDrawsBothSides() throws IOException {
        double[] xs = range(100);
        double[] ys = new double[100];
        for (int i = 0; i < 100; i++) {
            ys[i] = (i >= 40 && i < 60) ? Double.NaN : 0.5;
        }
        ys[5] = Double.POSITIVE_INFINITY;
        LineChart.Panel p = new LineChart.Panel("gap", "x", "y").legend(false).series("s", xs, ys);
        BufferedImage img = writeAndRead(600, 300, p);
        Color c = LineChart.seriesColor(0);
        int w = img.getWidth();
        assertTrue(countNear(img, c, 0, w * 2 / 5) > 100, "left part missing");
        assertTrue(countNear(img, c, w * 3 / 5 + 10, w) > 100, "right part missing");
        // The gap itself (x from 40 to 60 maps roughly to the middle fifth) has no line.
        assertEquals(0, countNear(img, c, w * 9 / 20 + 10, w * 11 / 20));
    }

    @Test
    void singlePointIsAMarker() throws IOException {
        LineChart.Panel p = new LineChart.Panel("one", "x", "y").legend(false)
                .series("s", new double[] {3}, new double[] {0.25});
        BufferedImage img = writeAndRead(400, 300, p);
        assertTrue(countNear(img, LineChart.seriesColor(0)) >= 30, "marker not drawn");
    }

    @Test
    void emptyPanelsSayNoData() throws IOException {
        LineChart.Panel empty = new LineChart.Panel("empty", "x", "y");
        LineChart.Panel allNaN = new LineChart.Panel("nan", "x", "y")
                .series("nan", new double[] {1, 2}, new double[] {Double.NaN, Double.NaN})
                .series("none", new double[0], new double[0]);
        LineChart.Panel logNonPositive = new LineChart.Panel("log", "x", "y").logY(true)
                .series("zeros", new double[] {1, 2}, new double[] {0, -1});
        writeAndRead(900, 300, empty, allNaN, logNonPositive);
        assertEquals("no data", empty.emptyNote());
        assertEquals("no data", allNaN.emptyNote());
        assertEquals("no positive value (nothing to draw on a log scale)", logNonPositive.emptyNote());
        // A gradient that vanished to exactly 0 in every layer is a result, not missing data.
        LineChart.Panel vanished = new LineChart.Panel("dW", "layer", "norm").logY(true)
                .series("roaf-mlp", new double[] {0, 1, 2}, new double[] {0, 0, 0});
        assertEquals("every value is 0 (nothing to draw on a log scale)", vanished.emptyNote());
    }

    @Test
    void autoLogYTurnsLogarithmicBeyondTwoDecades() throws IOException {
        double[] x3 = {1, 2, 3}, x2 = {1, 2};
        LineChart.Panel psmnist = new LineChart.Panel("a", "x", "y").autoLogY()
                .series("train", x3, new double[] {2.3, 1.1, 0.4}).series("test", new double[] {1}, new double[] {0.5});
        assertFalse(psmnist.spansTwoDecades(), "psMNIST-like: linear");
        LineChart.Panel copy = new LineChart.Panel("b", "x", "y").autoLogY()
                .series("train", x3, new double[] {32, 0.5, 0.001}).series("test", x2, new double[] {0.02, 0.0002});
        assertTrue(copy.spansTwoDecades(), "copy-like: log");
        LineChart.Panel either = new LineChart.Panel("c", "x", "y")
                .series("train", new double[] {1}, new double[] {2.0}).series("test", new double[] {1}, new double[] {0.01});
        assertTrue(either.spansTwoDecades(), "the decades may come from either series");
        LineChart.Panel odd = new LineChart.Panel("d", "x", "y")
                .series("s", new double[] {1, 2, 3, 4}, new double[] {0, -1, Double.NaN, 5});
        assertFalse(odd.spansTwoDecades(), "non-positive and NaN values are ignored");
        assertFalse(new LineChart.Panel("e", "x", "y").spansTwoDecades(), "no values");
        writeAndRead(900, 300, psmnist, copy);
    }

    @Test
    void constantSeriesGetsARange() throws IOException {
        double[] xs = range(50);
        double[] ys = new double[50];
        java.util.Arrays.fill(ys, 0.42);
        double[] zeros = new double[50];
        LineChart.Panel a = new LineChart.Panel("const", "x", "y").legend(false).series("c", xs, ys);
        LineChart.Panel b = new LineChart.Panel("zero", "x", "y").legend(false).series("z", xs, zeros);
        LineChart.Panel c = new LineChart.Panel("log const", "x", "y").legend(false).logY(true).series("c", xs, ys);
        BufferedImage img = writeAndRead(1200, 400, a, b, c);
        Color col = LineChart.seriesColor(0);
        assertTrue(countNear(img, col, 0, 400) > 200);
        assertTrue(countNear(img, col, 400, 800) > 200);
        assertTrue(countNear(img, col, 800, 1200) > 200);
    }

    @Test
    void unsortedInputIsSortedByX() {
        // A descending input must draw the same image as its ascending twin.
        double[] xs = range(30);
        double[] ys = new double[30];
        double[] rx = new double[30];
        double[] ry = new double[30];
        for (int i = 0; i < 30; i++) {
            ys[i] = Math.sin(i / 4.0);
            rx[29 - i] = xs[i];
            ry[29 - i] = ys[i];
        }
        BufferedImage sorted = LineChart.render(500, 300, null, new LineChart.Panel("t", "x", "y").series("s", xs, ys));
        BufferedImage reversed = LineChart.render(500, 300, null, new LineChart.Panel("t", "x", "y").series("s", rx, ry));
        assertArrayEquals(sorted.getRGB(0, 0, 500, 300, null, 0, 500), reversed.getRGB(0, 0, 500, 300, null, 0, 500));
    }

    @Test
    void gridLayoutAndLegendWithMarkers() throws IOException {
        LineChart.Panel[] panels = new LineChart.Panel[5];
        for (int i = 0; i < panels.length; i++) {
            panels[i] = new LineChart.Panel("panel " + i, "x", "y");
            for (int s = 0; s < 10; s++) {
                double[] ys = new double[20];
                for (int k = 0; k < 20; k++) {
                    ys[k] = s + Math.sin(k);
                }
                if (s % 3 == 0) {
                    panels[i].scatter("s" + s, range(20), ys);
                } else {
                    panels[i].series("series " + s, range(20), ys);
                }
            }
        }
        BufferedImage img = writeAndRead(1200, 800, panels);
        for (int s = 0; s < LineChart.paletteSize(); s++) {
            assertTrue(countNear(img, LineChart.seriesColor(s)) > 50, "colour " + s);
        }
    }

    @Test
    void writeIsAtomicAndOverwrites() throws IOException {
        Path png = dir.resolve("sub/dir/out.png");
        LineChart.Panel p = new LineChart.Panel("t", "x", "y").series("s", range(3), new double[] {1, 2, 3});
        LineChart.write(png, 300, 200, null, p);
        LineChart.write(png, 320, 200, null, p);
        assertEquals(320, ImageIO.read(png.toFile()).getWidth());
        try (Stream<Path> files = Files.list(png.getParent())) {
            List<String> names = files.map(f -> f.getFileName().toString()).collect(Collectors.toList());
            assertEquals(List.of("out.png"), names, "temporary files left behind");
        }
    }

    @Test
    void rejectsBadArguments() {
        LineChart.Panel p = new LineChart.Panel("t", "x", "y");
        assertThrows(IllegalArgumentException.class, () -> p.series("s", new double[2], new double[3]));
        assertThrows(IllegalArgumentException.class, () -> LineChart.render(0, 10, null, p));
        assertThrows(IllegalArgumentException.class, () -> LineChart.render(10, 10, null));
    }

    @Test
    void deterministic() {
        LineChart.Panel p = new LineChart.Panel("t", "x", "y").series("s", range(10), range(10)).hline("h", 3);
        BufferedImage a = LineChart.render(400, 300, "same", p);
        BufferedImage b = LineChart.render(400, 300, "same", p);
        assertArrayEquals(a.getRGB(0, 0, 400, 300, null, 0, 400), b.getRGB(0, 0, 400, 300, null, 0, 400));
    }
}
