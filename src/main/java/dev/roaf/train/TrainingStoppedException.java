package dev.roaf.train;

import java.nio.file.Path;

/** Thrown by {@link Trainer#fit()} when {@link Trainer#stop()} was called: the run ended early, on purpose. */
public class TrainingStoppedException extends RuntimeException {
    private final long step;
    private final transient Path checkpoint;

    /** A stop after {@code step} steps; {@code checkpoint} holds the run at that step, or is null (checkpointing off). */
    public TrainingStoppedException(long step, Path checkpoint) {
        super("training stopped after step " + step + (checkpoint == null ? " (no checkpoint: checkpointing is off)"
                : "; checkpoint " + checkpoint));
        this.step = step;
        this.checkpoint = checkpoint;
    }

    /** The last step done. */
    public long step() {
        return step;
    }

    /** The checkpoint that holds the run at {@link #step()}, or null. */
    public Path checkpoint() {
        return checkpoint;
    }
}
