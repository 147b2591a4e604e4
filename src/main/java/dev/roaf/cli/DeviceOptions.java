package dev.roaf.cli;

import dev.roaf.Device;
import picocli.CommandLine.Option;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The {@code --device} and {@code --threads} options of every command that computes (train, eval,
 * diagnose, bench), mixed in with picocli's {@code @Mixin}, and the device they name.
 */
final class DeviceOptions {
    @Option(names = "--device", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE})")
    String device = "auto";
    @Option(names = "--threads", description = "CPU threads (default: all processors)")
    int threads = 0;

    /**
     * Checks both options without opening anything; commands call it before any work, so that a
     * bad value is the one-line error and nothing is printed or written first.
     */
    void validate() {
        parse();
    }

    /**
     * The device named by {@code --device} with {@code --threads}, sending its notices (the CPU
     * fallback of {@code auto}) to {@code notices}; an unknown name is reported as {@code --device}'s error.
     */
    Device open(Consumer<String> notices) {
        return parse().withNotices(notices);
    }

    private Device parse() {
        if (threads < 0) {
            throw new IllegalArgumentException("--threads must be >= 0 (0 = all processors), got " + threads);
        }
        try {
            return Device.parse(device, threads);
        } catch (IllegalArgumentException e) {
            if (device.equals("cuda") || device.startsWith("cuda:")) {
                throw new IllegalArgumentException("--device " + device + ": expected cuda or cuda:N with N a device number (0, 1, ...)", e);
            }
            throw new IllegalArgumentException("unknown --device '" + device + "'; expected auto, cpu, cuda or cuda:N", e);
        }
    }

    /**
     * Runs {@code action}; when it fails to open {@code --device cuda}, the message names the device
     * as given ({@code cuda}), not as the API resolved it ({@code cuda:0}).
     */
    <T> T asTyped(Supplier<T> action) {
        try {
            return action.get();
        } catch (IllegalArgumentException e) {
            throw asTyped(e);
        }
    }

    /** {@code e}, with {@code --device cuda:0} named {@code --device cuda} when that is what was given. */
    IllegalArgumentException asTyped(IllegalArgumentException e) {
        String m = e.getMessage();
        if (device.equals("cuda") && m != null && m.startsWith("--device cuda:0:")) {
            return new IllegalArgumentException("--device cuda:" + m.substring("--device cuda:0:".length()), e);
        }
        return e;
    }
}
