package dev.roaf.diag;

import java.util.Locale;

/**
 * The singular-value bounds of roaf-math.md section 2 for a stack
 * {@code x_{l+1} = alpha O_l x_l + beta tanh(W_l x_l + b_l)} of L layers with
 * {@code w >= max_l ||W_l||_2}: per layer {@code alpha - beta w <= sigma(J_l) <= alpha + beta w} and
 * end to end {@code (alpha - beta w)^L <= sigma(J_{L-1} .. J_0) <= (alpha + beta w)^L}. The lower
 * bounds hold when {@code alpha > beta w}; otherwise the lower bound is 0. A plain MLP is alpha = 0,
 * beta = 1; a residual MLP alpha = beta = 1 (O = I). The upper bound always holds since
 * {@code 0 < tanh' <= 1}.
 *
 * <p>End-to-end values are kept as base-10 logarithms, since {@code (1 + w)^50000} overflows a double.
 */
public record Bounds(double alpha, double beta, double w, int layers) {

    /** Whether the lower bounds are guaranteed ({@code alpha > beta w}). */
    public boolean guaranteed() {
        return alpha > beta * w;
    }

    /** {@code max(0, alpha - beta w)}. */
    public double perLayerLow() {
        return Math.max(0, alpha - beta * w);
    }

    /** {@code alpha + beta w}. */
    public double perLayerHigh() {
        return alpha + beta * w;
    }

    /** {@code log10((alpha - beta w)^L)}, minus infinity when the lower bound is 0. */
    public double log10EndLow() {
        double low = perLayerLow();
        return low == 0 ? Double.NEGATIVE_INFINITY : layers * Math.log10(low);
    }

    /** {@code log10((alpha + beta w)^L)}. */
    public double log10EndHigh() {
        return layers * Math.log10(perLayerHigh());
    }

    /** A number given by its base-10 logarithm: plain when a double holds it, else {@code 10^x}. */
    public static String formatLog10(double log10) {
        if (log10 == Double.NEGATIVE_INFINITY) {
            return "0";
        }
        if (Math.abs(log10) < 300) {
            return String.format(Locale.ROOT, "%.4g", Math.pow(10, log10));
        }
        return String.format(Locale.ROOT, "10^%.1f", log10);
    }
}
