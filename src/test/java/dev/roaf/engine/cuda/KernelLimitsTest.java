package dev.roaf.engine.cuda;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs in the CPU build: the limits the host-side layouts assume are the ones the kernels are compiled with. Each
 * {@code #define} below sizes a register array, a shared-memory array or a launch bound in {@code kernels/}; the Java
 * constant beside it decides which layouts and grids the engine launches. A kernel edited without its Java twin would
 * read past a thread's weight slice or launch more threads than its bound, which only a GPU would notice.
 */
class KernelLimitsTest {
    private static final Pattern DEFINE = Pattern.compile("^#define\\s+(ROAF_[A-Z0-9_]+)\\s+(\\d+)\\b", Pattern.MULTILINE);

    @Test
    void javaLayoutsUseTheKernelsLimits() throws IOException {
        // Every value each name is defined with (a name defined under #if branches may have several: such names are not
        // limits, and the limits below must have exactly one).
        Map<String, Set<Integer>> defines = new TreeMap<>();
        try (Stream<Path> files = Files.list(Path.of("kernels"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cu") || p.toString().endsWith(".cuh")).toList()) {
                Matcher m = DEFINE.matcher(Files.readString(f));
                while (m.find()) {
                    defines.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(Integer.parseInt(m.group(2)));
                }
            }
        }
        Map<String, Integer> java = Map.ofEntries(
                Map.entry("ROAF_REC_THREADS", RecurrenceLayout.MAX_THREADS),
                Map.entry("ROAF_REC_CHUNKS", RecurrenceLayout.MAX_CHUNKS),
                Map.entry("ROAF_REC_ROWS", RecurrenceLayout.MAX_ROWS),
                Map.entry("ROAF_REC_ITEMS", RecurrenceLayout.MAX_ITEMS),
                Map.entry("ROAF_MLP_THREADS", MlpStackLayout.MAX_THREADS),
                Map.entry("ROAF_MLP_CHUNKS", MlpStackLayout.MAX_CHUNKS),
                Map.entry("ROAF_MLP_ROWS", MlpStackLayout.MAX_ROWS),
                Map.entry("ROAF_MLP_ITEMS", MlpStackLayout.MAX_ITEMS),
                Map.entry("ROAF_THIN", GemmPlan.THIN),
                Map.entry("ROAF_THIN_ROWS", GemmPlan.THIN_ROWS),
                Map.entry("ROAF_THIN_STREAMS", GemmPlan.THIN_STREAMS));
        for (Map.Entry<String, Integer> e : java.entrySet()) {
            assertTrue(defines.containsKey(e.getKey()), e.getKey() + " is no longer defined in kernels/ (found " + defines.keySet() + ")");
            assertEquals(Set.of(e.getValue()), defines.get(e.getKey()), e.getKey() + " in kernels/ and its Java twin differ");
        }
    }
}
