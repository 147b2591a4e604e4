package dev.roaf.train;

import java.util.Locale;

/**
 * How the learning rate changes over a run of a known number of steps: constant, or cosine decay to zero,
 * optionally after holding the full rate for a fraction of the steps.
 */
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
        return factor(step, steps, 0);
    }

    /**
     * The factor at {@code step} of {@code steps} when the first {@code floor(hold * steps)} steps keep the
     * full rate: CONSTANT is 1; COSINE is 1 up to that step, then the cosine decay over the remaining
     * steps, as {@link #factor(long, long)} over a run of that many steps. Holding most of a run at a
     * rate that learns and decaying only at the end is the "warmup-stable-decay" shape without warmup.
     *
     * @param step  the step about to be taken, 1 to {@code steps}
     * @param steps the run's total steps
     * @param hold  the fraction of the steps at the full rate, in [0, 1)
     * @return the factor, in (0, 1]
     */
    public double factor(long step, long steps, double hold) {
        checkHold(hold);
        if (this == CONSTANT) {
            return 1.0;
        }
        long held = (long) Math.floor(hold * steps);
        long s = Math.max(1, Math.min(step, steps));
        if (s <= held) {
            return 1.0;
        }
        return 0.5 * (1 + Math.cos(Math.PI * (double) (s - held - 1) / (steps - held)));
    }

    /**
     * The linear warmup factor at {@code step} (1-based): {@code step / warmupSteps} for the first
     * {@code warmupSteps} steps, then 1. It multiplies the schedule's factor, so that a run that starts
     * from trained weights with a fresh optimizer (whose first Adam updates move every parameter by the
     * full rate) does not knock them off their minimum.
     *
     * @param step        the step about to be taken, from 1
     * @param warmupSteps the steps of the warmup, 0 for none
     * @return the factor, in (0, 1]
     */
    public static double warmupFactor(long step, long warmupSteps) {
        checkWarmup(warmupSteps);
        if (warmupSteps == 0 || step >= warmupSteps) {
            return 1.0;
        }
        return (double) Math.max(1, step) / warmupSteps;
    }

    /**
     * Checks a warmup length.
     *
     * @param warmupSteps the steps of the warmup
     * @throws IllegalArgumentException if it is negative
     */
    public static void checkWarmup(long warmupSteps) {
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("--lr-warmup must be a number of steps >= 0, got " + warmupSteps);
        }
    }

    /**
     * Checks a hold fraction.
     *
     * @param hold the fraction of the steps at the full rate
     * @throws IllegalArgumentException unless {@code 0 <= hold < 1}
     */
    public static void checkHold(double hold) {
        if (!(hold >= 0 && hold < 1)) {
            throw new IllegalArgumentException("--lr-hold must be a fraction of the steps in [0, 1), got " + hold);
        }
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
