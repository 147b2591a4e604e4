package dev.roaf.plot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TicksTest {

    @Test
    void linearZeroToPointEightySeven() {
        Ticks t = Ticks.linear(0, 0.87, 5);
        assertArrayEquals(new double[] {0, 0.2, 0.4, 0.6, 0.8}, t.values(), 0);
        assertArrayEquals(new String[] {"0.0", "0.2", "0.4", "0.6", "0.8"}, t.labels());
    }

    @Test
    void linearIntegersAndNegativeRanges() {
        assertArrayEquals(new double[] {0, 20, 40, 60, 80, 100}, Ticks.linear(0, 100, 5).values(), 0);
        assertArrayEquals(new String[] {"0", "20", "40", "60", "80", "100"}, Ticks.linear(0, 100, 5).labels());
        assertArrayEquals(new double[] {-1, -0.5, 0, 0.5, 1}, Ticks.linear(-1.1, 1.1, 5).values(), 0);
        // No "-0.0" and no binary noise such as 0.30000000000000004 in labels.
        for (String s : Ticks.linear(-0.05, 0.95, 10).labels()) {
            assertTrue(s.length() <= 4, s);
            assertFalse(s.startsWith("-0"), s);
        }
    }

    @Test
    void linearNarrowRangeFarFromZero() {
        Ticks t = Ticks.linear(0.7012, 0.7049, 4);
        assertTrue(t.size() >= 2, () -> java.util.Arrays.toString(t.values()));
        assertEquals("0.702", t.labels()[0]);
    }

    @Test
    void linearLargeAndTinyUseScientificLabels() {
        assertEquals("2e6", Ticks.linear(1e6, 5e6, 4).labels()[1]);
        assertEquals("2e-5", Ticks.linear(0, 1e-4, 5).labels()[1]);
    }

    @Test
    void logDecades() {
        Ticks t = Ticks.log(1e-3, 2, 5);
        assertArrayEquals(new double[] {0.001, 0.01, 0.1, 1}, t.values(), 0);
        assertArrayEquals(new String[] {"0.001", "0.01", "0.1", "1"}, t.labels());
        assertArrayEquals(new String[] {"1e-6", "1e-5", "0.0001", "0.001"},
                Ticks.log(1e-6, 1e-3, 5).labels());
    }

    @Test
    void tinyDecadesHaveCleanLabels() {
        // 1e-28 as a double prints as 1.0000000000000001E-28; the label must not show that noise.
        for (String label : Ticks.log(1e-30, 1e-20, 12).labels()) {
            assertTrue(label.matches("1e-\\d+"), label);
        }
    }

    @Test
    void logThinsManyDecades() {
        Ticks t = Ticks.log(1e-8, 1e8, 4);
        assertArrayEquals(new double[] {1e-8, 1e-4, 1, 1e4, 1e8}, t.values(), 0);
    }

    @Test
    void logNarrowRangeFallsBackTo125AndLinear() {
        assertArrayEquals(new double[] {2, 5, 10, 20}, Ticks.log(1.5, 30, 5).values(), 0);
        Ticks narrow = Ticks.log(0.3, 0.9, 5);
        assertArrayEquals(new double[] {0.4, 0.6, 0.8}, narrow.values(), 1e-12);
        assertArrayEquals(new String[] {"0.4", "0.6", "0.8"}, narrow.labels());
    }

    @Test
    void fitAvoidsOverlap() {
        // 10 px per character: six-digit labels along 300 px cannot take 10 ticks.
        Ticks t = Ticks.fit(0, 123456, false, 300, s -> 10.0 * s.length(), 12);
        double[] v = t.values();
        String[] l = t.labels();
        assertTrue(v.length >= 2);
        for (int i = 1; i < v.length; i++) {
            double gapPx = (v[i] - v[i - 1]) / 123456 * 300;
            assertTrue(gapPx >= 10.0 * (l[i].length() + l[i - 1].length()) / 2 + 12, "overlap at " + l[i]);
        }
        // With plenty of room it uses the dense setting.
        assertTrue(Ticks.fit(0, 1, false, 2000, s -> 10.0, 12).size() >= 10);
    }

    @Test
    void rejectsBadRanges() {
        assertThrows(IllegalArgumentException.class, () -> Ticks.linear(1, 1, 5));
        assertThrows(IllegalArgumentException.class, () -> Ticks.linear(0, Double.NaN, 5));
        assertThrows(IllegalArgumentException.class, () -> Ticks.log(0, 1, 5));
    }
}
