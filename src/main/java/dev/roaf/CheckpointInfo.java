package dev.roaf;

import java.util.Map;

/**
 * What a training checkpoint records about its run, as {@link Trainer#readCheckpoint(java.nio.file.Path)}
 * reads it without restoring anything.
 *
 * @param step         the optimizer steps the checkpoint was written after (training resumes at
 *                     {@code step + 1})
 * @param skippedSteps steps skipped so far for a non-finite loss or gradient
 * @param metadata     the file's {@code __metadata__}: roaf's own keys and those given to
 *                     {@link Trainer.Builder#optCheckpoints}; an unmodifiable map
 */
public record CheckpointInfo(long step, long skippedSteps, Map<String, String> metadata) {
    /**
     * Checks the values and copies the metadata.
     *
     * @param step         the step reached, at least 0
     * @param skippedSteps the skipped steps, at least 0
     * @param metadata     the metadata
     */
    public CheckpointInfo {
        if (step < 0 || skippedSteps < 0) {
            throw new IllegalArgumentException("step and skippedSteps must be >= 0, got " + step + " and " + skippedSteps);
        }
        metadata = Map.copyOf(metadata);
    }
}
