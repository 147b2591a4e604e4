package dev.roaf.train;

/** Thrown when a step's loss or gradient is not finite: training stops rather than corrupt the parameters. */
public class TrainingDivergedException extends RuntimeException {
    private final long step;

    /** A divergence at {@code step} with a message that says what to try. */
    public TrainingDivergedException(long step, String message) {
        super(message);
        this.step = step;
    }

    /** The 1-based step whose loss or gradient was not finite. */
    public long step() {
        return step;
    }
}
