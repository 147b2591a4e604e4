package dev.roaf.train;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A progress reporter for a training loop, writing to a {@link PrintStream} (stderr in the CLI).
 *
 * <p>In <em>interactive</em> mode one status line is redrawn in place with {@code '\r'}, at most about
 * ten times a second:
 * <pre>[#########.........]  412/800  loss 0.8123  acc 0.71  12.3 step/s  ETA 0:31</pre>
 * Otherwise a plain line is printed every {@link #interval(Duration) interval} (10 s by default) or at
 * every further 10% of the total, whichever comes first, and always for the last step:
 * <pre>step 412/800 (51%) loss 0.8123 acc 0.71 12.3 step/s eta 0:31</pre>
 * With an unknown total ({@code totalSteps <= 0}) there is no bar, percentage or ETA.
 *
 * <p>The rate is an exponential moving average over time (about 5 s memory), so the ETA follows
 * speed changes without jumping on every step. All timing comes from the injected clock, which keeps
 * the class testable. Methods are synchronized, so a data-loading thread may call {@link #message}
 * while the training thread calls {@link #update}. Calls after {@link #finish()} are ignored.
 */
public final class Progress implements AutoCloseable {

    /** Minimum time between interactive redraws: ~10 per second is smooth and cheap. */
    private static final long REDRAW_NANOS = 100_000_000L;
    /** Minimum time between rate samples, so that quick steps do not make the average noisy. */
    private static final long RATE_SAMPLE_NANOS = 200_000_000L;
    /** Time constant of the rate average. */
    private static final double RATE_TAU_SECONDS = 5.0;
    private static final int BAR_WIDTH = 24;

    private final PrintStream out;
    private final long total;
    private final boolean interactive;
    private final LongSupplier nanoTime;
    private final long startNanos;
    private long intervalNanos = 10_000_000_000L;

    private long step;
    /** The latest metrics as "key value" parts; joined with two spaces on the bar, one in plain lines. */
    private List<String> metrics = List.of();
    private boolean seen;
    private boolean finished;

    private double rate = Double.NaN;
    private long rateNanos;
    private long rateStep;

    private long lastDrawNanos;
    private boolean drawnOnce;
    /** Length of the bar line currently on screen, 0 when none (interactive only). */
    private int shownLength;
    private long lastPrintNanos;
    private long lastPrintedStep = -1;
    private long lastDecile;

    /**
     * Creates a reporter.
     *
     * @param out         where to write; flushed after each write
     * @param totalSteps  the number of steps the loop will run, or {@code <= 0} if unknown
     * @param interactive true to redraw one line with {@code '\r'} (a terminal), false for plain log lines
     * @param nanoTime    a monotonic clock in nanoseconds, e.g. {@code System::nanoTime}
     */
    public Progress(PrintStream out, long totalSteps, boolean interactive, LongSupplier nanoTime) {
        this.out = Objects.requireNonNull(out, "out");
        this.total = Math.max(0, totalSteps);
        this.interactive = interactive;
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.startNanos = nanoTime.getAsLong();
        this.rateNanos = startNanos;
        this.lastPrintNanos = startNanos;
    }

    /**
     * Creates a reporter on {@code System.err} with the system clock, interactive when
     * {@link #stderrLooksInteractive()} says so.
     *
     * @param totalSteps the number of steps, or {@code <= 0} if unknown
     * @return the reporter
     */
    public static Progress forStderr(long totalSteps) {
        return new Progress(System.err, totalSteps, stderrLooksInteractive(), System::nanoTime);
    }

    /**
     * Returns whether stderr is probably a terminal that understands {@code '\r'} redraws.
     *
     * <p>Java cannot tell directly whether stderr itself is a terminal, so this is a heuristic:
     * {@code System.console() != null} (on Java 17, stdin and stdout are both a terminal), the
     * environment variable {@code TERM} is set and not {@code dumb}, and {@code CI} is not set
     * (CI logs keep every {@code '\r'} frame). Redirecting only stderr to a file therefore still
     * counts as interactive; pass {@code interactive} explicitly to the constructor if that matters.
     *
     * @return true if the heuristic says interactive
     */
    public static boolean stderrLooksInteractive() {
        return looksInteractive(System.console() != null, System.getenv());
    }

    /** The heuristic of {@link #stderrLooksInteractive()} on explicit inputs, for tests. */
    static boolean looksInteractive(boolean hasConsole, Map<String, String> env) {
        String term = env.get("TERM");
        return hasConsole && term != null && !term.isBlank() && !term.equals("dumb") && env.get("CI") == null;
    }

    /**
     * Sets the time between plain (non-interactive) lines; the 10% rule still applies as well.
     *
     * @param every the interval, positive
     * @return this reporter
     */
    public synchronized Progress interval(Duration every) {
        if (every.isNegative() || every.isZero()) {
            throw new IllegalArgumentException("interval must be positive, got " + every);
        }
        this.intervalNanos = every.toNanos();
        return this;
    }

    /**
     * Reports that {@code step} steps are done, with metrics shown as {@code key value} pairs in the
     * map's iteration order (use a {@code LinkedHashMap} to fix it).
     *
     * @param step    the number of completed steps (1-based count, so {@code total} means done)
     * @param metrics metric names to already formatted values; may be empty
     */
    public synchronized void update(long step, Map<String, String> metrics) {
        List<String> parts = new ArrayList<>(metrics.size());
        for (Map.Entry<String, String> e : metrics.entrySet()) {
            parts.add(e.getKey() + " " + e.getValue());
        }
        record(step, parts);
    }

    /**
     * Reports that {@code step} steps are done, with the loss (4 decimals) and free text such as {@code "acc 0.71"}.
     *
     * @param step  the number of completed steps
     * @param loss  the current loss; NaN is shown as {@code NaN}
     * @param extra more text to show after the loss, or {@code null}
     */
    public synchronized void update(long step, double loss, String extra) {
        List<String> parts = new ArrayList<>(2);
        parts.add("loss " + String.format(Locale.ROOT, "%.4f", loss));
        if (extra != null && !extra.isBlank()) {
            parts.add(extra.strip());
        }
        record(step, parts);
    }

    /**
     * Prints a full line of text without breaking the progress display: an interactive bar is cleared
     * first and redrawn after the line.
     *
     * @param line the text, without a trailing newline
     */
    public synchronized void message(String line) {
        if (interactive && shownLength > 0) {
            out.print("\r" + " ".repeat(shownLength) + "\r");
            shownLength = 0;
            out.println(line);
            if (!finished && seen) {
                draw(nanoTime.getAsLong());
            }
        } else {
            out.println(line);
        }
        out.flush();
    }

    /**
     * Ends the progress display: shows the latest state, ends the bar line (interactive), and prints
     * {@code done: 800 steps in 1:05 (12.3 step/s)}. Later calls do nothing.
     */
    public synchronized void finish() {
        if (finished) {
            return;
        }
        long now = nanoTime.getAsLong();
        if (interactive) {
            if (seen) {
                draw(now); // the latest update may have been skipped by the rate limit
            }
            if (shownLength > 0) {
                out.println();
                shownLength = 0;
            }
        } else if (seen && lastPrintedStep != step) {
            printPlain(now);
        }
        finished = true;
        double secs = (now - startNanos) / 1e9;
        String steps = total > 0 && step < total ? step + "/" + total : Long.toString(step);
        double avg = secs > 0 ? step / secs : Double.NaN;
        out.println("done: " + steps + " steps in " + clock(secs) + " (" + rateText(avg) + ")");
        out.flush();
    }

    /** Same as {@link #finish()}, for try-with-resources. */
    @Override
    public void close() {
        finish();
    }

    private void record(long step, List<String> metrics) {
        if (finished) {
            return;
        }
        long now = nanoTime.getAsLong();
        this.step = step;
        this.metrics = metrics;
        this.seen = true;
        sampleRate(now);
        boolean last = total > 0 && step >= total;
        if (interactive) {
            if (!drawnOnce || last || now - lastDrawNanos >= REDRAW_NANOS) {
                draw(now);
            }
        } else {
            long decile = total > 0 ? Math.min(10, step * 10 / total) : 0;
            boolean due = now - lastPrintNanos >= intervalNanos || decile > lastDecile || last;
            if (due && step != lastPrintedStep) {
                printPlain(now);
            }
        }
    }

    private void sampleRate(long now) {
        long dt = now - rateNanos;
        if (dt < RATE_SAMPLE_NANOS) {
            return;
        }
        double secs = dt / 1e9;
        double inst = (step - rateStep) / secs;
        if (Double.isNaN(rate)) {
            rate = inst;
        } else {
            // Time-weighted EMA: a sample spanning a long time counts more than a short one.
            double alpha = 1 - Math.exp(-secs / RATE_TAU_SECONDS);
            rate += alpha * (inst - rate);
        }
        rateNanos = now;
        rateStep = step;
    }

    /** The smoothed rate, or the plain average before the first sample window has passed. */
    private double currentRate(long now) {
        if (!Double.isNaN(rate)) {
            return rate;
        }
        double secs = (now - startNanos) / 1e9;
        return secs > 0 ? step / secs : Double.NaN;
    }

    private void draw(long now) {
        StringBuilder sb = new StringBuilder();
        if (total > 0) {
            int filled = (int) Math.min(BAR_WIDTH, Math.max(0, step) * BAR_WIDTH / total);
            sb.append('[').append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("]  ");
            String t = Long.toString(total);
            String s = Long.toString(step);
            // Right-align the step so the rest of the line does not shift as digits are added.
            sb.append(" ".repeat(Math.max(0, t.length() - s.length()))).append(s).append('/').append(t);
        } else {
            sb.append("step ").append(step);
        }
        if (!metrics.isEmpty()) {
            sb.append("  ").append(String.join("  ", metrics));
        }
        double r = currentRate(now);
        sb.append("  ").append(rateText(r));
        if (total > 0) {
            sb.append("  ETA ").append(eta(r));
        }
        String line = sb.toString();
        int pad = Math.max(0, shownLength - line.length());
        out.print("\r" + line + " ".repeat(pad));
        out.flush();
        shownLength = line.length();
        lastDrawNanos = now;
        drawnOnce = true;
    }

    private void printPlain(long now) {
        StringBuilder sb = new StringBuilder("step ").append(step);
        if (total > 0) {
            sb.append('/').append(total).append(" (").append(Math.min(100, Math.max(0, step) * 100 / total))
                    .append("%)");
        }
        if (!metrics.isEmpty()) {
            sb.append(' ').append(String.join(" ", metrics));
        }
        double r = currentRate(now);
        sb.append(' ').append(rateText(r));
        if (total > 0) {
            sb.append(" eta ").append(eta(r));
        }
        out.println(sb);
        out.flush();
        lastPrintNanos = now;
        lastPrintedStep = step;
        if (total > 0) {
            lastDecile = Math.min(10, Math.max(0, step) * 10 / total);
        }
    }

    private String eta(double r) {
        long left = total - step;
        if (left <= 0) {
            return clock(0);
        }
        if (!(r > 0) || Double.isInfinite(r)) {
            return "?";
        }
        return clock(left / r);
    }

    /** Formats a rate, switching to seconds per step when slower than one step a second. */
    static String rateText(double r) {
        if (!(r > 0) || Double.isInfinite(r)) {
            return "- step/s";
        }
        if (r >= 100) {
            return String.format(Locale.ROOT, "%.0f step/s", r);
        }
        if (r >= 1) {
            return String.format(Locale.ROOT, "%.1f step/s", r);
        }
        return String.format(Locale.ROOT, "%.1f s/step", 1 / r);
    }

    /** Formats seconds as {@code m:ss}, or {@code h:mm:ss} from one hour on. */
    static String clock(double seconds) {
        long s = Math.round(Math.max(0, seconds));
        long h = s / 3600;
        long m = (s % 3600) / 60;
        long sec = s % 60;
        return h > 0
                ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec)
                : String.format(Locale.ROOT, "%d:%02d", m, sec);
    }
}
