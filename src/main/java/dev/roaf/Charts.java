package dev.roaf;

import dev.roaf.plot.LineChart;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * PNG line charts, as {@code roaf train} and {@code roaf bench} draw them: one or more panels (up
 * to three side by side, four or more in a grid) of named series under a title. Rendering needs no
 * display (it works in a headless JVM).
 *
 * <p>Points whose x or y is NaN or infinite are skipped and break the line there, as do
 * non-positive y values on a log-scaled panel. Each series is drawn in increasing x.
 *
 * <pre>{@code
 * Charts.Panel acc = new Charts.Panel("test accuracy", "updates", "accuracy")
 *         .series("roaf-rnn", steps, accuracy);
 * Charts.write(Path.of("acc.png"), 1200, 450, "psMNIST", acc);
 * }</pre>
 */
public final class Charts {
    private Charts() {
    }

    /**
     * Renders the panels and writes them as a PNG; the file is replaced atomically (a reader never
     * sees a partial file) and missing parent folders are created.
     *
     * @param png    the output file
     * @param width  image width in pixels, positive
     * @param height image height in pixels, positive
     * @param title  the chart title, or null or empty for none
     * @param panels one or more panels
     * @throws IOException              if the file cannot be written
     * @throws IllegalArgumentException if the size is not positive or no panel is given
     */
    public static void write(Path png, int width, int height, String title, Panel... panels) throws IOException {
        Objects.requireNonNull(png, "png");
        if (panels == null || panels.length == 0) {
            throw new IllegalArgumentException("need at least one panel");
        }
        LineChart.Panel[] inner = new LineChart.Panel[panels.length];
        for (int i = 0; i < panels.length; i++) {
            inner[i] = Objects.requireNonNull(panels[i], "panel").panel;
        }
        LineChart.write(png, width, height, title, inner);
    }

    /** One panel of a chart: axes with labels, named series and horizontal reference lines. */
    public static final class Panel {
        private final LineChart.Panel panel;

        /**
         * An empty panel.
         *
         * @param title  the panel title, or null for none
         * @param xLabel the x-axis label
         * @param yLabel the y-axis label
         */
        public Panel(String title, String xLabel, String yLabel) {
            this.panel = new LineChart.Panel(title, xLabel, yLabel);
        }

        /**
         * Sets a logarithmic y axis (non-positive values are then skipped).
         *
         * @param on true for a log scale
         * @return this panel
         */
        public Panel logY(boolean on) {
            panel.logY(on);
            return this;
        }

        /**
         * Lets the data choose the y axis when the chart is written: logarithmic if the positive y values
         * span more than two decades (a loss falling from 30 to 1e-4), linear otherwise.
         *
         * @return this panel
         */
        public Panel autoLogY() {
            panel.autoLogY();
            return this;
        }

        /**
         * Adds a line series; series take the colours of a colour-blind-safe palette in the order added.
         *
         * @param name the legend name
         * @param xs   x values
         * @param ys   y values, as many as {@code xs}
         * @return this panel
         * @throws IllegalArgumentException if the arrays differ in length
         */
        public Panel series(String name, double[] xs, double[] ys) {
            panel.series(name, xs, ys);
            return this;
        }

        /**
         * Adds a horizontal reference line (for example chance accuracy).
         *
         * @param label the line's label
         * @param y     its height
         * @return this panel
         */
        public Panel hline(String label, double y) {
            panel.hline(label, y);
            return this;
        }
    }
}
