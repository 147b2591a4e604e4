package dev.roaf.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Facts about the machine a command runs on, for run records and benchmark tables. */
final class Machine {
    private Machine() {
    }

    /**
     * The CPU's model name from /proc/cpuinfo (e.g. "Intel(R) Xeon(R) Processor"), or null where there is
     * none (not Linux, or the file lacks the field, as on some ARM kernels).
     */
    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim().replaceAll("\\s+", " ");
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }
}
