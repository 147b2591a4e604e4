package dev.roaf.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.Stroke;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * A small PNG line-chart writer built on {@code java.awt} for training curves.
 *
 * <p>A chart is one or more {@link Panel}s laid out side by side (up to three) or in a grid (four or
 * more), under an optional title. Rendering draws only into an off-screen {@link BufferedImage}, so
 * it works in a headless JVM ({@code -Djava.awt.headless=true}) and changes no global state.
 *
 * <p>Data handling: points whose x or y is NaN or infinite are skipped and break the line there, as
 * do non-positive y values on a log-scaled panel; a run of one isolated point is drawn as a marker.
 * Each series is <em>sorted by x</em> (stably) when added, so unsorted or decreasing x is allowed and
 * is drawn left to right. Output is deterministic for the same input on the same JDK and fonts.
 *
 * <pre>{@code
 * LineChart.Panel acc = new LineChart.Panel("test accuracy", "step", "accuracy");
 * acc.series("roaf-rnn", steps, accuracy).hline("chance", 0.1);
 * LineChart.write(Path.of("acc.png"), 1200, 450, "psMNIST", loss, acc);
 * }</pre>
 */
public final class LineChart {

    /**
     * The series colours: the Okabe-Ito palette, which stays distinguishable under the common forms
     * of colour blindness. Yellow is last because it is the hardest to see on white.
     */
    private static final Color[] PALETTE = {
        new Color(0x0072B2), // blue
        new Color(0xD55E00), // vermillion
        new Color(0x009E73), // bluish green
        new Color(0xE69F00), // orange
        new Color(0xCC79A7), // reddish purple
        new Color(0x56B4E9), // sky blue
        new Color(0x000000), // black
        new Color(0xF0E442), // yellow
    };
    /** Dash patterns used once the palette wraps around, so the 9th series differs from the 1st. */
    private static final float[][] DASHES = {null, {10f, 5f}, {3f, 4f}, {12f, 4f, 3f, 4f}};

    private static final Color BACKGROUND = Color.WHITE;
    private static final Color TEXT = new Color(0x222222);
    private static final Color AXIS = new Color(0x555555);
    private static final Color GRID = new Color(0xE3E3E3);
    private static final Color REFERENCE = new Color(0x777777);

    private static final int TITLE_PX = 22;
    private static final int PANEL_TITLE_PX = 17;
    private static final int LABEL_PX = 15;
    private static final int TICK_PX = 14;
    private static final int LEGEND_PX = 14;
    private static final int PAD = 12;

    private LineChart() {
    }

    /**
     * Returns the colour that the series at {@code index} (0-based, in insertion order) of a panel is drawn in.
     *
     * @param index the series index, non-negative; colours repeat after the palette size, with dashes added
     * @return the colour
     */
    public static Color seriesColor(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("index must be >= 0, got " + index);
        }
        return PALETTE[index % PALETTE.length];
    }

    /**
     * Renders the panels and writes them as a PNG, atomically: the image goes to a temporary file in the
     * target's directory which is then moved over {@code png}, so a reader never sees a partial file.
     *
     * @param png    the output file; missing parent directories are created
     * @param width  image width in pixels, positive
     * @param height image height in pixels, positive
     * @param title  chart title drawn on top, or {@code null}/empty for none
     * @param panels one or more panels; 1-3 are placed side by side, 4 or more in a near-square grid
     * @throws IOException if the file cannot be written
     * @throws IllegalArgumentException if the size is not positive or no panel is given
     */
    public static void write(Path png, int width, int height, String title, Panel... panels) throws IOException {
        Objects.requireNonNull(png, "png");
        BufferedImage image = render(width, height, title, panels);
        Path target = png.toAbsolutePath();
        Path dir = target.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            if (!ImageIO.write(image, "png", tmp.toFile())) {
                throw new IOException("no PNG writer available in this JDK");
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Renders the panels into a new RGB image without writing anything.
     *
     * @param width  image width in pixels, positive
     * @param height image height in pixels, positive
     * @param title  chart title drawn on top, or {@code null}/empty for none
     * @param panels one or more panels, laid out as in {@link #write}
     * @return the rendered image
     * @throws IllegalArgumentException if the size is not positive or no panel is given
     */
    public static BufferedImage render(int width, int height, String title, Panel... panels) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("size must be positive, got " + width + "x" + height);
        }
        if (panels == null || panels.length == 0) {
            throw new IllegalArgumentException("need at least one panel");
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.setColor(BACKGROUND);
            g.fillRect(0, 0, width, height);

            int top = PAD / 2;
            if (title != null && !title.isBlank()) {
                g.setFont(font(Font.BOLD, TITLE_PX));
                FontMetrics fm = g.getFontMetrics();
                g.setColor(TEXT);
                String t = ellipsize(title, fm, width - 2 * PAD);
                g.drawString(t, (width - fm.stringWidth(t)) / 2f, top + fm.getAscent() + 4);
                top += fm.getHeight() + 6;
            }
            int n = panels.length;
            int cols = n <= 3 ? n : (int) Math.ceil(Math.sqrt(n));
            int rows = (n + cols - 1) / cols;
            double cellW = (double) width / cols;
            double cellH = (double) (height - top) / rows;
            for (int i = 0; i < n; i++) {
                Panel p = Objects.requireNonNull(panels[i], "panel " + i);
                int r = i / cols;
                int c = i % cols;
                int x0 = (int) Math.round(c * cellW);
                int y0 = top + (int) Math.round(r * cellH);
                int x1 = (int) Math.round((c + 1) * cellW);
                int y1 = top + (int) Math.round((r + 1) * cellH);
                p.draw(g, x0, y0, x1 - x0, y1 - y0);
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    private static Font font(int style, int px) {
        // Logical font: always present, and maps to whatever the platform has (DejaVu on most Linux).
        return new Font(Font.SANS_SERIF, style, px);
    }

    /** Shortens {@code s} with a trailing ellipsis so that it fits in {@code maxWidth} pixels. */
    private static String ellipsize(String s, FontMetrics fm, int maxWidth) {
        if (fm.stringWidth(s) <= maxWidth) {
            return s;
        }
        for (int len = s.length() - 1; len > 0; len--) {
            String t = s.substring(0, len) + "\u2026";
            if (fm.stringWidth(t) <= maxWidth) {
                return t;
            }
        }
        return "";
    }

    /**
     * One plot area of a chart: a set of series, optional dashed reference lines, a title, axis labels
     * and a legend inside the plot.
     *
     * <p>Methods return {@code this} for chaining. A panel is not thread-safe; build it on one thread.
     */
    public static final class Panel {
        private final String title;
        private final String xLabel;
        private final String yLabel;
        private boolean logY;
        private boolean autoLogY;
        private boolean legend = true;
        private final List<Series> series = new ArrayList<>();
        private final List<RefLine> hlines = new ArrayList<>();

        /**
         * Creates an empty panel.
         *
         * @param title  the panel title, or {@code null} for none
         * @param xLabel the x-axis label, or {@code null} for none
         * @param yLabel the y-axis label, or {@code null} for none
         */
        public Panel(String title, String xLabel, String yLabel) {
            this.title = title;
            this.xLabel = xLabel;
            this.yLabel = yLabel;
        }

        /**
         * Sets whether the y axis is log-scaled (base 10, decade ticks); non-positive y values are then skipped.
         *
         * @param on true for a log axis
         * @return this panel
         */
        public Panel logY(boolean on) {
            this.logY = on;
            this.autoLogY = false;
            return this;
        }

        /**
         * Makes the y axis log-scaled when it is drawn if the positive finite y values then span more than
         * two decades (a loss that starts near 30 and ends near 1e-4 is unreadable on a linear axis),
         * linear otherwise.
         *
         * @return this panel
         */
        public Panel autoLogY() {
            this.autoLogY = true;
            return this;
        }

        /** Whether the positive finite y values of the series span more than two decades. */
        boolean spansTwoDecades() {
            double lo = Double.POSITIVE_INFINITY, hi = 0;
            for (Series s : series) {
                for (double v : s.ys) {
                    if (v > 0 && Double.isFinite(v)) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                }
            }
            return hi > 100 * lo;
        }

        /**
         * Sets whether the legend box is drawn (it is by default, when the panel has series).
         *
         * @param on false to hide the legend
         * @return this panel
         */
        public Panel legend(boolean on) {
            this.legend = on;
            return this;
        }

        /**
         * Adds a series drawn as a line, in the next palette colour; the arrays are copied and sorted by x.
         *
         * @param name the legend entry
         * @param xs   x values
         * @param ys   y values, same length as {@code xs}; NaN or infinite values leave a gap
         * @return this panel
         * @throws IllegalArgumentException if the lengths differ
         */
        public Panel series(String name, double[] xs, double[] ys) {
            series.add(new Series(name, xs, ys, false));
            return this;
        }

        /**
         * Adds a series drawn as markers only (no connecting line), in the next palette colour.
         *
         * @param name the legend entry
         * @param xs   x values
         * @param ys   y values, same length as {@code xs}; NaN or infinite values are skipped
         * @return this panel
         * @throws IllegalArgumentException if the lengths differ
         */
        public Panel scatter(String name, double[] xs, double[] ys) {
            series.add(new Series(name, xs, ys, true));
            return this;
        }

        /**
         * Adds a dashed horizontal reference line across the panel, labelled at its right end.
         *
         * @param label the text drawn by the line, or {@code null} for none
         * @param y     the y value; ignored when not finite (or not positive on a log axis)
         * @return this panel
         */
        public Panel hline(String label, double y) {
            hlines.add(new RefLine(label, y));
            return this;
        }

        /** Draws this panel into the cell at ({@code x}, {@code y}) of size {@code w} x {@code h}. */
        void draw(Graphics2D g, int x, int y, int w, int h) {
            if (autoLogY) {
                logY = spansTwoDecades();
            }
            Shape oldClip = g.getClip();
            g.clipRect(x, y, w, h);
            try {
                drawClipped(g, x, y, w, h);
            } finally {
                g.setClip(oldClip);
            }
        }

        private void drawClipped(Graphics2D g, int x, int y, int w, int h) {
            Font tickFont = font(Font.PLAIN, TICK_PX);
            Font labelFont = font(Font.PLAIN, LABEL_PX);
            FontMetrics tfm = g.getFontMetrics(tickFont);
            FontMetrics lfm = g.getFontMetrics(labelFont);

            int top = y + PAD;
            if (title != null && !title.isBlank()) {
                g.setFont(font(Font.BOLD, PANEL_TITLE_PX));
                FontMetrics fm = g.getFontMetrics();
                String t = ellipsize(title, fm, w - 2 * PAD);
                g.setColor(TEXT);
                g.drawString(t, x + (w - fm.stringWidth(t)) / 2f, top + fm.getAscent());
                top += fm.getHeight() + 6;
            } else {
                top += tfm.getAscent() / 2; // room for the top y tick label
            }
            int bottom = y + h - PAD - tfm.getHeight() - 4;
            if (xLabel != null && !xLabel.isBlank()) {
                bottom -= lfm.getHeight();
            }
            boolean hasYLabel = yLabel != null && !yLabel.isBlank();

            Range xr = xRange();
            Range yr = yRange();
            boolean empty = xr == null || yr == null;
            if (empty) {
                xr = new Range(0, 1);
                yr = logY ? new Range(0.1, 1) : new Range(0, 1);
            }
            // The y tick labels decide the left margin, and the plot height decides which y ticks fit;
            // the height does not depend on the margin, so one pass suffices.
            double plotH = Math.max(10, bottom - top);
            Ticks yt = empty ? null : Ticks.fit(yr.lo, yr.hi, logY, plotH, s -> tfm.getAscent(), 18);
            int yTickW = 0;
            if (yt != null) {
                for (String s : yt.labels()) {
                    yTickW = Math.max(yTickW, tfm.stringWidth(s));
                }
            }
            int left = x + PAD + (hasYLabel ? lfm.getHeight() + 6 : 0) + yTickW + 8;
            int right = x + w - PAD - 6;
            double plotW = Math.max(10, right - left);
            Ticks xt = empty ? null : Ticks.fit(xr.lo, xr.hi, false, plotW, s -> tfm.stringWidth(s), 16);
            if (xt != null && xt.size() > 0) {
                // A tick at the right edge has half its label outside the plot; make room for it.
                double[] v = xt.values();
                double lastPx = (v[v.length - 1] - xr.lo) / (xr.hi - xr.lo) * plotW;
                double overhang = lastPx + tfm.stringWidth(xt.labels()[v.length - 1]) / 2.0 - (x + w - PAD - left);
                if (overhang > 0) {
                    plotW = Math.max(10, plotW - overhang);
                    xt = Ticks.fit(xr.lo, xr.hi, false, plotW, s -> tfm.stringWidth(s), 16);
                }
            }
            Plot plot = new Plot(left, top, plotW, plotH, xr, yr, logY);

            // Grid and ticks.
            g.setFont(tickFont);
            g.setStroke(new BasicStroke(1f));
            if (yt != null) {
                double[] v = yt.values();
                String[] l = yt.labels();
                for (int i = 0; i < v.length; i++) {
                    double py = plot.py(v[i]);
                    g.setColor(GRID);
                    g.draw(new Line2D.Double(left, py, left + plotW, py));
                    g.setColor(TEXT);
                    g.drawString(l[i], (float) (left - 8 - tfm.stringWidth(l[i])),
                            (float) (py + tfm.getAscent() / 2.0 - 1));
                }
            }
            if (xt != null) {
                double[] v = xt.values();
                String[] l = xt.labels();
                for (int i = 0; i < v.length; i++) {
                    double px = plot.px(v[i]);
                    g.setColor(GRID);
                    g.draw(new Line2D.Double(px, top, px, top + plotH));
                    g.setColor(AXIS);
                    g.draw(new Line2D.Double(px, top + plotH, px, top + plotH + 4));
                    g.setColor(TEXT);
                    g.drawString(l[i], (float) (px - tfm.stringWidth(l[i]) / 2.0),
                            (float) (top + plotH + 5 + tfm.getAscent()));
                }
            }
            g.setColor(AXIS);
            g.draw(new Rectangle2D.Double(left, top, plotW, plotH));

            // Axis labels.
            g.setFont(labelFont);
            g.setColor(TEXT);
            if (xLabel != null && !xLabel.isBlank()) {
                String s = ellipsize(xLabel, lfm, (int) plotW);
                g.drawString(s, (float) (left + (plotW - lfm.stringWidth(s)) / 2),
                        (float) (top + plotH + 6 + tfm.getHeight() + lfm.getAscent()));
            }
            if (hasYLabel) {
                String s = ellipsize(yLabel, lfm, (int) plotH);
                AffineTransform saved = g.getTransform();
                g.translate(x + PAD + lfm.getAscent(), top + (plotH + lfm.stringWidth(s)) / 2);
                g.rotate(-Math.PI / 2);
                g.drawString(s, 0, 0);
                g.setTransform(saved);
            }

            if (empty) {
                g.setFont(font(Font.ITALIC, LABEL_PX + 2));
                FontMetrics fm = g.getFontMetrics();
                g.setColor(AXIS);
                String note = emptyNote();
                g.drawString(note, (float) (left + (plotW - fm.stringWidth(note)) / 2),
                        (float) (top + plotH / 2 + fm.getAscent() / 2.0));
                return;
            }

            Shape oldClip = g.getClip();
            // A little slack so markers and thick lines at the edge are not cut in half.
            g.clip(new Rectangle2D.Double(left - 1, top - 1, plotW + 2, plotH + 2));
            drawReferenceLines(g, plot);
            for (int i = 0; i < series.size(); i++) {
                drawSeries(g, plot, series.get(i), i);
            }
            g.setClip(oldClip);
            g.clip(new Rectangle2D.Double(left, top, plotW, plotH));
            drawReferenceLabels(g, plot);
            if (legend && !series.isEmpty()) {
                drawLegend(g, plot);
            }
            g.setClip(oldClip);
        }

        private void drawReferenceLines(Graphics2D g, Plot plot) {
            g.setColor(REFERENCE);
            g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                    new float[] {8f, 5f}, 0f));
            for (RefLine r : hlines) {
                if (plot.usable(r.y)) {
                    double py = plot.py(r.y);
                    g.draw(new Line2D.Double(plot.left, py, plot.left + plot.w, py));
                }
            }
        }

        private void drawReferenceLabels(Graphics2D g, Plot plot) {
            g.setFont(font(Font.PLAIN, LEGEND_PX));
            FontMetrics fm = g.getFontMetrics();
            for (RefLine r : hlines) {
                if (r.label == null || r.label.isBlank() || !plot.usable(r.y)) {
                    continue;
                }
                double py = plot.py(r.y);
                float tx = (float) (plot.left + plot.w - 6 - fm.stringWidth(r.label));
                // Above the line, unless that would leave the plot area.
                float ty = (float) (py - 4 >= plot.top + fm.getAscent() ? py - 4 : py + fm.getAscent() + 2);
                g.setColor(new Color(255, 255, 255, 200));
                g.fill(new Rectangle2D.Double(tx - 2, ty - fm.getAscent(), fm.stringWidth(r.label) + 4,
                        fm.getAscent() + fm.getDescent()));
                g.setColor(REFERENCE.darker());
                g.drawString(r.label, tx, ty);
            }
        }

        private void drawSeries(Graphics2D g, Plot plot, Series s, int index) {
            Color color = seriesColor(index);
            g.setColor(color);
            g.setStroke(stroke(index));
            Path2D.Double path = new Path2D.Double();
            int run = 0;
            double lastX = 0;
            double lastY = 0;
            List<double[]> lonely = new ArrayList<>();
            for (int i = 0; i <= s.xs.length; i++) {
                boolean ok = i < s.xs.length && Double.isFinite(s.ys[i]) && plot.usable(s.ys[i]);
                if (ok && !s.markers) {
                    double px = plot.px(s.xs[i]);
                    double py = plot.py(s.ys[i]);
                    if (run == 0) {
                        path.moveTo(px, py);
                    } else {
                        path.lineTo(px, py);
                    }
                    run++;
                    lastX = px;
                    lastY = py;
                } else if (ok) {
                    lonely.add(new double[] {plot.px(s.xs[i]), plot.py(s.ys[i])});
                } else {
                    if (run == 1) {
                        lonely.add(new double[] {lastX, lastY});
                    }
                    run = 0;
                }
            }
            g.draw(path);
            for (double[] p : lonely) {
                g.fill(marker(p[0], p[1]));
            }
        }

        private void drawLegend(Graphics2D g, Plot plot) {
            Font f = font(Font.PLAIN, LEGEND_PX);
            g.setFont(f);
            FontMetrics fm = g.getFontMetrics();
            int sample = 28;
            int rowH = fm.getHeight() + 2;
            int textW = 0;
            for (Series s : series) {
                textW = Math.max(textW, fm.stringWidth(s.name));
            }
            int maxText = (int) Math.max(40, plot.w * 0.6 - sample - 24);
            textW = Math.min(textW, maxText);
            double boxW = 8 + sample + 8 + textW + 10;
            double boxH = 6 + rowH * series.size() + 4;
            double inset = 10;
            // Candidate corners in order of preference; the one covering the fewest data points wins.
            double[][] corners = {
                {plot.left + plot.w - inset - boxW, plot.top + inset},
                {plot.left + inset, plot.top + inset},
                {plot.left + plot.w - inset - boxW, plot.top + plot.h - inset - boxH},
                {plot.left + inset, plot.top + plot.h - inset - boxH},
            };
            double[] best = corners[0];
            long bestCount = Long.MAX_VALUE;
            for (double[] c : corners) {
                long count = plot.pointsIn(series, c[0], c[1], boxW, boxH);
                if (count < bestCount) {
                    bestCount = count;
                    best = c;
                }
            }
            Rectangle2D box = new Rectangle2D.Double(best[0], best[1], boxW, boxH);
            g.setColor(new Color(255, 255, 255, 225));
            g.fill(box);
            g.setColor(new Color(0xAAAAAA));
            g.setStroke(new BasicStroke(1f));
            g.draw(box);
            for (int i = 0; i < series.size(); i++) {
                Series s = series.get(i);
                double cy = best[1] + 6 + rowH * i + rowH / 2.0;
                double sx = best[0] + 8;
                g.setColor(seriesColor(i));
                if (s.markers || s.usablePoints(logY) == 1) {
                    g.fill(marker(sx + sample / 2.0, cy));
                } else {
                    g.setStroke(stroke(i));
                    g.draw(new Line2D.Double(sx, Math.round(cy), sx + sample, Math.round(cy)));
                }
                g.setColor(TEXT);
                g.drawString(ellipsize(s.name, fm, maxText), (float) (sx + sample + 8),
                        (float) (cy + fm.getAscent() / 2.0 - 2));
            }
        }

        private static Stroke stroke(int index) {
            float[] dash = DASHES[(index / PALETTE.length) % DASHES.length];
            return dash == null
                    ? new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND)
                    : new BasicStroke(2.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, dash, 0f);
        }

        private static Shape marker(double cx, double cy) {
            double r = 4.5;
            return new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r);
        }

        /** The x range over all usable points, padded; null when there are none. */
        private Range xRange() {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (Series s : series) {
                for (int i = 0; i < s.xs.length; i++) {
                    if (pointUsable(s.ys[i])) {
                        lo = Math.min(lo, s.xs[i]);
                        hi = Math.max(hi, s.xs[i]);
                    }
                }
            }
            if (lo > hi) {
                return null;
            }
            if (lo == hi) {
                double d = lo == 0 ? 1 : Math.abs(lo) * 0.1;
                return new Range(lo - d, hi + d);
            }
            // Training curves usually start at step 0: keep the data flush with the left and right edges.
            return new Range(lo, hi);
        }

        /** The y range over all usable points and reference lines, padded; null when no series has data. */
        private Range yRange() {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (Series s : series) {
                for (double v : s.ys) {
                    if (pointUsable(v)) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                }
            }
            if (lo > hi) {
                return null;
            }
            for (RefLine r : hlines) {
                if (pointUsable(r.y)) {
                    lo = Math.min(lo, r.y);
                    hi = Math.max(hi, r.y);
                }
            }
            if (logY) {
                double a = Math.log10(lo);
                double b = Math.log10(hi);
                if (a == b) {
                    a -= 1;
                    b += 1;
                }
                double pad = (b - a) * 0.05;
                return new Range(Math.pow(10, a - pad), Math.pow(10, b + pad));
            }
            if (lo == hi) {
                // A flat curve: centre it in a band of +-10% (or +-1 around zero).
                double d = lo == 0 ? 1 : Math.abs(lo) * 0.1;
                return new Range(lo - d, hi + d);
            }
            double pad = (hi - lo) * 0.05;
            return new Range(lo - pad, hi + pad);
        }

        /**
         * Why an empty panel is empty: no points at all, or (on a log axis) points that are all zero or
         * negative, e.g. a gradient that vanished to exactly 0 in every layer: a reader must not take that
         * for missing data.
         */
        String emptyNote() {
            boolean anyFinite = false, allZero = true;
            for (Series s : series) {
                for (double y : s.ys) {
                    if (Double.isFinite(y)) {
                        anyFinite = true;
                        allZero &= y == 0;
                    }
                }
            }
            if (!logY || !anyFinite) {
                return "no data";
            }
            return allZero ? "every value is 0 (nothing to draw on a log scale)" : "no positive value (nothing to draw on a log scale)";
        }

        private boolean pointUsable(double y) {
            return Double.isFinite(y) && (!logY || y > 0);
        }
    }

    /** One data series, stored sorted by x with non-finite x dropped. */
    private static final class Series {
        final String name;
        final double[] xs;
        final double[] ys;
        final boolean markers;

        Series(String name, double[] xs, double[] ys, boolean markers) {
            Objects.requireNonNull(xs, "xs");
            Objects.requireNonNull(ys, "ys");
            if (xs.length != ys.length) {
                throw new IllegalArgumentException(
                        "series '" + name + "': xs has " + xs.length + " values but ys has " + ys.length);
            }
            this.name = name == null ? "" : name;
            this.markers = markers;
            List<Integer> idx = new ArrayList<>(xs.length);
            boolean sorted = true;
            double prev = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < xs.length; i++) {
                // A point without a finite x has no place on the axis, so it is dropped rather than a gap.
                if (Double.isFinite(xs[i])) {
                    idx.add(i);
                    sorted &= xs[i] >= prev;
                    prev = xs[i];
                }
            }
            if (!sorted) {
                Collections.sort(idx, (a, b) -> Double.compare(xs[a], xs[b])); // stable
            }
            this.xs = new double[idx.size()];
            this.ys = new double[idx.size()];
            for (int i = 0; i < idx.size(); i++) {
                this.xs[i] = xs[idx.get(i)];
                this.ys[i] = ys[idx.get(i)];
            }
        }

        /** Counts the points that are drawn: finite y, and positive y on a log axis. */
        int usablePoints(boolean log) {
            int n = 0;
            for (double y : ys) {
                if (Double.isFinite(y) && (!log || y > 0)) {
                    n++;
                }
            }
            return n;
        }
    }

    /** A dashed horizontal reference line. */
    private record RefLine(String label, double y) {
    }

    /** A closed value interval. */
    private record Range(double lo, double hi) {
    }

    /** Maps data coordinates to pixels for one plot area. */
    private static final class Plot {
        final double left;
        final double top;
        final double w;
        final double h;
        final Range xr;
        final double ylo;
        final double yhi;
        final boolean log;

        Plot(double left, double top, double w, double h, Range xr, Range yr, boolean log) {
            this.left = left;
            this.top = top;
            this.w = w;
            this.h = h;
            this.xr = xr;
            this.log = log;
            this.ylo = log ? Math.log10(yr.lo) : yr.lo;
            this.yhi = log ? Math.log10(yr.hi) : yr.hi;
        }

        double px(double x) {
            return left + (x - xr.lo) / (xr.hi - xr.lo) * w;
        }

        double py(double y) {
            double u = log ? Math.log10(y) : y;
            // Clamp far-away values so Java2D never sees huge coordinates (they can render as artefacts).
            double p = top + h - (u - ylo) / (yhi - ylo) * h;
            return Math.max(top - 10 * h, Math.min(top + 11 * h, p));
        }

        boolean usable(double y) {
            return Double.isFinite(y) && (!log || y > 0);
        }

        /** Counts data points, plus samples along line segments, that fall inside the given box. */
        long pointsIn(List<Series> series, double bx, double by, double bw, double bh) {
            Rectangle2D box = new Rectangle2D.Double(bx, by, bw, bh);
            long count = 0;
            for (Series s : series) {
                double lx = Double.NaN;
                double ly = Double.NaN;
                for (int i = 0; i < s.xs.length; i++) {
                    if (!usable(s.ys[i])) {
                        lx = Double.NaN;
                        continue;
                    }
                    double x = px(s.xs[i]);
                    double y = py(s.ys[i]);
                    if (box.contains(x, y)) {
                        count++;
                    } else if (!s.markers && !Double.isNaN(lx) && box.intersectsLine(lx, ly, x, y)) {
                        count++;
                    }
                    lx = x;
                    ly = y;
                }
            }
            return count;
        }
    }

    /** Exposed for tests: the palette size before colours repeat. */
    static int paletteSize() {
        return PALETTE.length;
    }

    /** Exposed for tests: a defensive copy of the palette. */
    static List<Color> palette() {
        return List.copyOf(Arrays.asList(PALETTE));
    }
}
