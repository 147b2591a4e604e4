package dev.roaf.train;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * When and where a {@link Trainer} writes its {@link Checkpoint}: after every {@code everySteps}
 * steps and/or whenever {@code everyMinutes} have passed since the previous one, and always after the
 * last step (and, when a step diverges, for the step before it). Each write replaces {@code file}
 * atomically.
 *
 * @param file         the checkpoint file, e.g. {@code <run>/checkpoint.safetensors}
 * @param everySteps   steps between checkpoints (0 = by time only)
 * @param everyMinutes minutes between checkpoints (0 = by steps only)
 * @param metadata     extra {@code __metadata__} strings stored in every checkpoint (e.g. the options)
 */
public record CheckpointPolicy(Path file, long everySteps, double everyMinutes, Map<String, String> metadata) {

    /** Validates; messages name the command-line options. */
    public CheckpointPolicy {
        Objects.requireNonNull(file, "file");
        if (everySteps < 0) {
            throw new IllegalArgumentException("--checkpoint-every must be at least 1 step, got " + everySteps);
        }
        if (!(everyMinutes >= 0) || Double.isInfinite(everyMinutes)) {
            throw new IllegalArgumentException("--checkpoint-minutes must be a positive number, got " + everyMinutes);
        }
        if (everySteps == 0 && everyMinutes == 0) {
            throw new IllegalArgumentException("give --checkpoint-every N (steps) or --checkpoint-minutes M");
        }
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }
}
