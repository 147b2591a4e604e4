package dev.roaf;

import java.nio.file.Path;

/**
 * Thrown by {@link Trainer#fit()} when {@link Trainer#stop()} was called: the run ended early, on purpose, after a
 * whole step, and (when checkpointing) with a checkpoint of that step to resume from.
 */
public class TrainingStoppedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The last step done (0: stopped before the first). */
    private final long step;
    /** The checkpoint that holds the run at {@link #step}, or null. */
    private final transient Path checkpoint;

    /**
     * A stop after {@code step} steps.
     *
     * @param step       the last step done (0: stopped before the first)
     * @param checkpoint the checkpoint that holds the run at {@code step}, or null (checkpointing off)
     * @param cause      the underlying exception, or null
     */
    public TrainingStoppedException(long step, Path checkpoint, Throwable cause) {
        super("training stopped after step " + step + (checkpoint == null ? " (no checkpoint: checkpointing is off)"
                : "; resume from " + checkpoint), cause);
        this.step = step;
        this.checkpoint = checkpoint;
    }

    /**
     * The last step done.
     *
     * @return the step (0 when stopped before the first)
     */
    public long step() {
        return step;
    }

    /**
     * The checkpoint that holds the run at {@link #step()}.
     *
     * @return its path, or null when checkpointing was off
     */
    public Path checkpoint() {
        return checkpoint;
    }
}
