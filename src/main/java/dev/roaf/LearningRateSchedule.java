package dev.roaf;

import dev.roaf.train.LrSchedule;

/** How a {@link Trainer}'s learning rate changes over the run's steps. */
public enum LearningRateSchedule {
    /** The same rate at every step; the default. */
    CONSTANT(LrSchedule.CONSTANT),
    /**
     * Cosine decay from the full rate at the first step towards zero at the end of the run (the
     * run's steps, or its epochs converted to steps), as PyTorch's {@code CosineAnnealingLR} with
     * {@code T_max} the number of steps and {@code eta_min = 0}.
     */
    COSINE(LrSchedule.COSINE);

    private final LrSchedule schedule;

    LearningRateSchedule(LrSchedule schedule) {
        this.schedule = schedule;
    }

    /**
     * Parses {@code constant} or {@code cosine}.
     *
     * @param name the name
     * @return the schedule
     * @throws IllegalArgumentException for any other name
     */
    public static LearningRateSchedule parse(String name) {
        return valueOf(LrSchedule.parse(name).name());
    }

    LrSchedule schedule() {
        return schedule;
    }

    /**
     * The lower-case name, as {@link #parse} accepts it.
     *
     * @return {@code constant} or {@code cosine}
     */
    @Override
    public String toString() {
        return schedule.toString();
    }
}
