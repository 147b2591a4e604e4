package dev.roaf.train;

import java.util.Locale;

/** How the learning rate changes over a run of a known number of steps: constant, or cosine decay to zero. */
public enum LrSchedule {
    /** The same rate at every step. */
    CONSTANT,
    /**
     * Cosine decay from the full rate at step 1 towards zero after the last step, as PyTorch's
     * {@code CosineAnnealingLR(T_max = steps, eta_min = 0)} stepped after every update: step s of S uses
     * {@code lr * (1 + cos(pi * (s - 1) / S)) / 2}.
     */
    COSINE;

    /**
     * The factor that multiplies the base rate at {@code step} (1-based) of {@code steps}.
     *
     * @param step  the step about to be taken, 1 to {@code steps}
     * @param steps the run's total steps
     * @return 1 for CONSTANT; in (0, 1] for COSINE
     */
    public double factor(long step, long steps) {
        return switch (this) {
            case CONSTANT -> 1.0;
            case COSINE -> 0.5 * (1 + Math.cos(Math.PI * (double) (Math.max(1, Math.min(step, steps)) - 1) / steps));
        };
    }

    /** Parses {@code constant} or {@code cosine}. */
    public static LrSchedule parse(String s) {
        return switch (s) {
            case "constant" -> CONSTANT;
            case "cosine" -> COSINE;
            default -> throw new IllegalArgumentException("unknown learning-rate schedule '" + s + "'; expected constant or cosine");
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
