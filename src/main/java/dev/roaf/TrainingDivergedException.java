package dev.roaf;

/**
 * Thrown by {@link Trainer#fit()} when a step's loss or gradient is not finite: training stops
 * before the parameters are touched, so the model keeps the parameters of the step before.
 */
public class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The 1-based step whose loss or gradient was not finite. */
    private final long step;

    /**
     * A divergence at {@code step}.
     *
     * @param step    the 1-based step whose loss or gradient was not finite
     * @param message what happened and what to try (a smaller learning rate, gradient clipping)
     * @param cause   the underlying exception, or null
     */
    public TrainingDivergedException(long step, String message, Throwable cause) {
        super(message, cause);
        this.step = step;
    }

    /**
     * The 1-based step whose loss or gradient was not finite.
     *
     * @return the step
     */
    public long step() {
        return step;
    }
}
