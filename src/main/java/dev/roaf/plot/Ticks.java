package dev.roaf.plot;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Axis tick generation for {@link LineChart}: "nice" 1-2-5 steps on linear axes and decades on log axes.
 *
 * <p>Every method is pure; the chart uses {@link #fit} to pick the densest set of ticks whose labels
 * still fit along the axis without overlapping.
 */
public final class Ticks {

    /** The tick values, ascending, all inside the requested range. */
    private final double[] values;
    /** The label drawn for each value, same order. */
    private final String[] labels;

    private Ticks(double[] values, String[] labels) {
        this.values = values;
        this.labels = labels;
    }

    /**
     * Returns the tick values, ascending.
     *
     * @return a fresh copy of the values
     */
    public double[] values() {
        return values.clone();
    }

    /**
     * Returns the tick labels, in the order of {@link #values()}.
     *
     * @return a fresh copy of the labels
     */
    public String[] labels() {
        return labels.clone();
    }

    /**
     * Returns the number of ticks.
     *
     * @return the count, possibly 0 for a degenerate range
     */
    public int size() {
        return values.length;
    }

    /**
     * Computes linear ticks at multiples of a 1, 2 or 5 times 10^k step inside {@code [lo, hi]}.
     *
     * <p>The step is the smallest nice step that gives at most {@code maxTicks + 1} ticks, so
     * {@code linear(0, 0.87, 5)} gives 0, 0.2, 0.4, 0.6, 0.8.
     *
     * @param lo       lower end of the range, finite
     * @param hi       upper end, finite and greater than {@code lo}
     * @param maxTicks the target number of intervals, at least 1
     * @return the ticks; labels use as many decimals as the step needs
     * @throws IllegalArgumentException if the range is not finite and increasing or {@code maxTicks < 1}
     */
    public static Ticks linear(double lo, double hi, int maxTicks) {
        checkRange(lo, hi);
        if (maxTicks < 1) {
            throw new IllegalArgumentException("maxTicks must be >= 1, got " + maxTicks);
        }
        double raw = (hi - lo) / maxTicks;
        int exp = (int) Math.floor(Math.log10(raw));
        double norm = raw / Math.pow(10, exp);
        int mant;
        if (norm <= 1) {
            mant = 1;
        } else if (norm <= 2) {
            mant = 2;
        } else if (norm <= 5) {
            mant = 5;
        } else {
            mant = 1;
            exp++;
        }
        double step = scaled(mant, exp);
        long first = (long) Math.ceil(lo / step - 1e-9);
        long last = (long) Math.floor(hi / step + 1e-9);
        List<Double> vals = new ArrayList<>();
        for (long k = first; k <= last && vals.size() < 1000; k++) {
            // k * mant * 10^exp computed so that the double is the one nearest the decimal value.
            double v = scaled(k * mant, exp);
            vals.add(v == 0 ? 0.0 : v); // no "-0"
        }
        double maxAbs = Math.max(Math.abs(lo), Math.abs(hi));
        boolean sci = maxAbs >= 1e6 || exp < -4;
        double[] v = toArray(vals);
        String[] l = new String[v.length];
        for (int i = 0; i < v.length; i++) {
            l[i] = sci ? scientific(v[i]) : String.format(Locale.ROOT, "%." + Math.max(0, -exp) + "f", v[i]);
        }
        return new Ticks(v, l);
    }

    /**
     * Computes ticks for a log-scaled axis over the positive range {@code [lo, hi]}.
     *
     * <p>Ranges with fewer than three decade values get 1-2-5 ticks (0.05, 0.1, 0.2, ...) when that
     * gives between 2 and {@code maxTicks + 1} ticks. Otherwise decades (1, 10, 100, ...) are used,
     * thinned to every n-th decade so at most {@code maxTicks + 1} remain; a range too narrow for
     * either falls back to {@link #linear} values. Labels are plain
     * decimals from 0.0001 to 10000 and {@code 1e-5} style outside that.
     *
     * @param lo       lower end, positive and finite
     * @param hi       upper end, finite and greater than {@code lo}
     * @param maxTicks the target number of intervals, at least 1
     * @return the ticks, ascending
     * @throws IllegalArgumentException if {@code lo <= 0}, the range is not increasing, or {@code maxTicks < 1}
     */
    public static Ticks log(double lo, double hi, int maxTicks) {
        checkRange(lo, hi);
        if (lo <= 0) {
            throw new IllegalArgumentException("log axis needs a positive range, got lo=" + lo);
        }
        if (maxTicks < 1) {
            throw new IllegalArgumentException("maxTicks must be >= 1, got " + maxTicks);
        }
        // Small slack so that a range ending exactly on a decade (computed via pow/log) includes it.
        int d0 = (int) Math.ceil(Math.log10(lo) - 1e-9);
        int d1 = (int) Math.floor(Math.log10(hi) + 1e-9);
        int decades = d1 - d0 + 1;
        List<Double> vals = new ArrayList<>();
        if (decades < 3) {
            // Up to two decade lines leave a bare axis, so prefer 1-2-5 ticks within each decade.
            vals = oneTwoFive(lo, hi, d0, d1);
            if (vals.size() < 2 || vals.size() > maxTicks + 1) {
                vals.clear();
            }
        }
        if (vals.isEmpty() && decades >= 2) {
            int every = 1;
            while ((d1 - d0) / every + 1 > maxTicks + 1) {
                every++;
            }
            // Anchor on a multiple of `every` so thinned decades are 1, 100, 10^4 rather than arbitrary.
            int start = Math.floorDiv(d0 + every - 1, every) * every;
            for (int d = start; d <= d1; d += every) {
                vals.add(scaled(1, d));
            }
        }
        if (vals.size() < 2) {
            // Less than a decade and too few 1-2-5 values: plain linear values, placed on the log axis.
            Ticks lin = linear(lo, hi, Math.max(1, Math.min(maxTicks, 4)));
            vals.clear();
            for (double v : lin.values) {
                if (v > 0) {
                    vals.add(v);
                }
            }
            double[] v = toArray(vals);
            String[] l = new String[v.length];
            // Reuse the linear labels, which know the decimals the step needs.
            int off = lin.values.length - v.length;
            System.arraycopy(lin.labels, off, l, 0, v.length);
            return new Ticks(v, l);
        }
        double[] v = toArray(vals);
        String[] l = new String[v.length];
        for (int i = 0; i < v.length; i++) {
            l[i] = (v[i] >= 1e-4 && v[i] < 1e5) ? plain(v[i]) : scientific(v[i]);
        }
        return new Ticks(v, l);
    }

    /**
     * Picks the densest ticks whose labels fit along an axis of the given length without overlapping.
     *
     * @param lo          lower end of the axis range
     * @param hi          upper end of the axis range
     * @param logScale    whether the axis is log-scaled (then {@code lo} must be positive)
     * @param axisPixels  the axis length in pixels
     * @param labelExtent the space one label takes along the axis (its width on an x axis, its height
     *                    on a y axis), in pixels
     * @param gap         the minimum free space between neighbouring labels, in pixels
     * @return ticks with at most 10 intervals whose labels do not overlap at that length
     */
    public static Ticks fit(double lo, double hi, boolean logScale, double axisPixels,
                            ToDoubleFunction<String> labelExtent, double gap) {
        Ticks best = null;
        for (int n = 10; n >= 1; n--) {
            Ticks t = logScale ? log(lo, hi, n) : linear(lo, hi, n);
            best = t;
            if (fits(t, lo, hi, logScale, axisPixels, labelExtent, gap)) {
                return t;
            }
        }
        return best;
    }

    /** Whether the centred labels of {@code t} leave at least {@code gap} pixels between neighbours. */
    private static boolean fits(Ticks t, double lo, double hi, boolean logScale, double axisPixels,
                                ToDoubleFunction<String> labelExtent, double gap) {
        double a = logScale ? Math.log10(lo) : lo;
        double b = logScale ? Math.log10(hi) : hi;
        double prevEnd = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < t.values.length; i++) {
            double u = logScale ? Math.log10(t.values[i]) : t.values[i];
            double pos = (u - a) / (b - a) * axisPixels;
            double half = labelExtent.applyAsDouble(t.labels[i]) / 2;
            if (pos - half < prevEnd + gap) {
                return false;
            }
            prevEnd = pos + half;
        }
        return true;
    }

    /** The values 1, 2 and 5 times 10^d inside {@code [lo, hi]}, for decades around {@code d0..d1}. */
    private static List<Double> oneTwoFive(double lo, double hi, int d0, int d1) {
        List<Double> vals = new ArrayList<>();
        for (int d = d0 - 1; d <= d1; d++) {
            for (int m : new int[] {1, 2, 5}) {
                double v = scaled(m, d);
                if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) {
                    vals.add(v);
                }
            }
        }
        return vals;
    }

    /** Returns {@code m * 10^e} as the double nearest to that decimal (division by an exact power of ten). */
    private static double scaled(long m, int e) {
        return e >= 0 ? m * Math.pow(10, e) : m / Math.pow(10, -e);
    }

    private static String plain(double v) {
        return rounded(v).toPlainString();
    }

    /**
     * {@code v} to 12 significant digits: tick values made by pow/multiplication carry binary noise
     * in the 17th digit (10^-28 is 1.0000000000000001E-28 as a double), which must not reach a label.
     */
    private static BigDecimal rounded(double v) {
        return new BigDecimal(Double.toString(v)).round(new java.math.MathContext(12)).stripTrailingZeros();
    }

    /** Formats e.g. 0.00015 as {@code 1.5e-4}; zero stays {@code 0}. */
    private static String scientific(double v) {
        if (v == 0) {
            return "0";
        }
        BigDecimal bd = rounded(v);
        int exp = bd.precision() - bd.scale() - 1;
        return bd.movePointLeft(exp).toPlainString() + "e" + exp;
    }

    private static double[] toArray(List<Double> vals) {
        double[] out = new double[vals.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = vals.get(i);
        }
        return out;
    }

    private static void checkRange(double lo, double hi) {
        if (!Double.isFinite(lo) || !Double.isFinite(hi) || !(hi > lo)) {
            throw new IllegalArgumentException("need finite lo < hi, got [" + lo + ", " + hi + "]");
        }
    }
}
