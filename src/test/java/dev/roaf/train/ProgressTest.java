package dev.roaf.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

class ProgressTest {

    /** A manual clock in nanoseconds. */
    private static final class FakeClock implements LongSupplier {
        long now = 1_000_000_000L; // arbitrary non-zero origin, as System.nanoTime has

        @Override
        public long getAsLong() {
            return now;
        }

        void advanceMillis(long ms) {
            now += ms * 1_000_000L;
        }
    }

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final FakeClock clock = new FakeClock();

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void interactiveRedrawsWithBarRateAndEta() {
        Progress p = new Progress(out, 800, true, clock);
        for (int step = 1; step <= 400; step++) {
            clock.advanceMillis(100); // 10 step/s
            p.update(step, 0.8123, "acc 0.71");
        }
        String s = text();
        assertTrue(s.contains("\r["), s);
        String last = s.substring(s.lastIndexOf('\r') + 1);
        assertTrue(last.startsWith("[############............]  400/800  loss 0.8123  acc 0.71  10.0 step/s  ETA 0:40"),
                last);
        assertFalse(s.contains("\n"), "no newline before finish");
    }

    @Test
    void interactiveRateLimitsRedraws() {
        Progress p = new Progress(out, 10_000, true, clock);
        for (int step = 1; step <= 1000; step++) {
            clock.advanceMillis(1); // 1000 step/s for one second
            p.update(step, Map.of("loss", "1.0"));
        }
        int redraws = count(text(), "\r");
        // One second at 10 redraws per second, plus the first one.
        assertTrue(redraws >= 9 && redraws <= 12, "redraws: " + redraws);
    }

    @Test
    void interactivePadsShorterLinesAndAlwaysDrawsLastStep() {
        Progress p = new Progress(out, 3, true, clock);
        p.update(1, Map.of("note", "a long piece of text"));
        p.update(2, Map.of()); // rate-limited: same instant
        p.update(3, Map.of()); // the last step is always drawn
        String[] frames = text().split("\r", -1);
        assertEquals(3, frames.length, text()); // "", frame 1, frame 3
        assertTrue(frames[2].startsWith("[########################]  3/3"), frames[2]);
        assertTrue(frames[2].length() >= frames[1].length(), "previous frame not erased");
        assertTrue(frames[2].endsWith("  "), "padding expected");
    }

    @Test
    void messageKeepsBarIntact() {
        Progress p = new Progress(out, 100, true, clock);
        clock.advanceMillis(500);
        p.update(10, 1.5, null);
        p.message("checkpoint saved to /tmp/x");
        String s = text();
        assertTrue(s.contains("\rcheckpoint saved to /tmp/x\n"), s);
        // After the message the bar is drawn again.
        String after = s.substring(s.indexOf("/tmp/x\n") + 7);
        assertTrue(after.startsWith("\r[##"), after);
        assertTrue(after.contains("10/100"));
    }

    @Test
    void finishEndsLineAndPrintsSummary() {
        Progress p = new Progress(out, 800, true, clock);
        for (int step = 1; step <= 800; step++) {
            clock.advanceMillis(81); // 65 s in all
            p.update(step, 0.5, null);
        }
        p.finish();
        p.finish(); // idempotent
        p.update(801, 0.1, null); // ignored after finish
        String s = text();
        assertTrue(s.endsWith("\ndone: 800 steps in 1:05 (12.3 step/s)\n"), s);
        assertEquals(1, count(s, "done:"));
    }

    @Test
    void plainLinesAtIntervalAndTenPercentAndEnd() {
        Progress p = new Progress(out, 1000, false, clock).interval(Duration.ofSeconds(10));
        for (int step = 1; step <= 1000; step++) {
            clock.advanceMillis(5); // 5 s in all: only the 10% rule fires
            Map<String, String> m = new LinkedHashMap<>();
            m.put("loss", "0.8123");
            m.put("acc", "0.71");
            p.update(step, m);
        }
        String s = text();
        assertFalse(s.contains("\r"));
        String[] lines = s.split("\n");
        assertEquals(10, lines.length, s);
        assertTrue(lines[0].matches("step 100/1000 \\(10%\\) loss 0\\.8123 acc 0\\.71 200 step/s eta 0:0[45]"), lines[0]);
        assertTrue(lines[9].startsWith("step 1000/1000 (100%)"), lines[9]);
        p.finish();
        assertTrue(text().endsWith("step/s eta 0:00\ndone: 1000 steps in 0:05 (200 step/s)\n"), text());
    }

    @Test
    void plainLinesByTimeWhenSlow() {
        Progress p = new Progress(out, 1000, false, clock);
        for (int step = 1; step <= 50; step++) {
            clock.advanceMillis(1000); // 1 step/s: 50 s, well under 10%
            p.update(step, 2.0, null);
        }
        List<String> lines = new ArrayList<>(List.of(text().split("\n")));
        assertEquals(5, lines.size(), text());
        assertTrue(lines.get(0).startsWith("step 10/1000 (1%) loss 2.0000 1.0 step/s eta 16:30"), lines.get(0));
        p.message("evaluating");
        p.finish();
        String s = text();
        assertTrue(s.contains("\nevaluating\n"));
        assertTrue(s.endsWith("done: 50/1000 steps in 0:50 (1.0 step/s)\n"), s);
    }

    @Test
    void unknownTotalHasNoBarNorEta() {
        Progress p = new Progress(out, 0, true, clock);
        clock.advanceMillis(2000);
        p.update(40, 0.25, null);
        String s = text();
        assertEquals("\rstep 40  loss 0.2500  20.0 step/s", s);
        Progress q = new Progress(out, -1, false, clock);
        clock.advanceMillis(10_000);
        q.update(90, Map.of());
        assertTrue(text().endsWith("step 90 9.0 step/s\n"), text());
    }

    @Test
    void slowRateShowsSecondsPerStepAndHours() {
        assertEquals("4.0 s/step", Progress.rateText(0.25));
        assertEquals("- step/s", Progress.rateText(Double.NaN));
        assertEquals("1:01:01", Progress.clock(3661));
        assertEquals("0:09", Progress.clock(9.4));
    }

    @Test
    void interactiveHeuristic() {
        assertTrue(Progress.looksInteractive(true, Map.of("TERM", "xterm-256color")));
        assertFalse(Progress.looksInteractive(false, Map.of("TERM", "xterm-256color")));
        assertFalse(Progress.looksInteractive(true, Map.of("TERM", "dumb")));
        assertFalse(Progress.looksInteractive(true, Map.of()));
        assertFalse(Progress.looksInteractive(true, Map.of("TERM", "xterm", "CI", "true")));
    }
}
