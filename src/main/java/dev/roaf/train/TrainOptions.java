package dev.roaf.train;

/**
 * Hyperparameters of a training run.
 *
 * @param steps      optimizer steps to take (at least 1)
 * @param batchSize  examples per step
 * @param lr         learning rate
 * @param optimizer  update rule
 * @param momentum   SGD momentum (0 = plain SGD); ignored by Adam
 * @param seed       seeds the order of training examples (the model's initialisation has its own seed)
 * @param evalEvery  evaluate every this many steps (0 = only at the end)
 * @param evalSize   test examples used by intermediate evaluations (0 = the whole test set); the final
 *                   evaluation always uses the whole test set
 * @param clipNorm   if > 0, rescale the gradient to this L2 norm when it is larger; 0 = no clipping
 * @param schedule   how the learning rate changes over the {@code steps} (the step s uses {@link #lrAt})
 * @param lrHold     the fraction of the steps that keep the full rate before the schedule's decay starts, in [0, 1)
 * @param lrWarmup   the first this many steps multiply the rate by {@code step / lrWarmup} (0 = no warmup)
 * @param weightDecay weight decay (>= 0): L2 for Adam and SGD, decoupled for AdamW (see {@link Optimizer#create})
 */
public record TrainOptions(long steps, int batchSize, float lr, Optimizer.Kind optimizer, float momentum, long seed,
                           long evalEvery, int evalSize, float clipNorm, LrSchedule schedule, double lrHold, long lrWarmup,
                           float weightDecay) {

    /** Validates every field; messages name the command-line option. */
    public TrainOptions {
        if (steps < 1) {
            throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch must be at least 1, got " + batchSize);
        }
        if (!(lr > 0f) || Float.isInfinite(lr)) {
            throw new IllegalArgumentException("--lr must be a positive number, got " + lr);
        }
        if (optimizer == null) {
            throw new IllegalArgumentException("--optimizer is required");
        }
        if (!(momentum >= 0f && momentum < 1f)) {
            throw new IllegalArgumentException("--momentum must be in [0, 1), got " + momentum);
        }
        if (evalEvery < 0) {
            throw new IllegalArgumentException("--eval-every must be >= 0, got " + evalEvery);
        }
        if (evalSize < 0) {
            throw new IllegalArgumentException("--eval-size must be >= 0, got " + evalSize);
        }
        if (!(clipNorm >= 0f) || Float.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("--clip-norm must be >= 0, got " + clipNorm);
        }
        if (schedule == null) {
            throw new IllegalArgumentException("--lr-schedule is required");
        }
        LrSchedule.checkHold(lrHold);
        LrSchedule.checkWarmup(lrWarmup);
        if (!(weightDecay >= 0f) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("--weight-decay must be a finite number >= 0, got " + weightDecay);
        }
    }

    /** The options without weight decay. */
    public TrainOptions(long steps, int batchSize, float lr, Optimizer.Kind optimizer, float momentum, long seed,
                        long evalEvery, int evalSize, float clipNorm, LrSchedule schedule, double lrHold, long lrWarmup) {
        this(steps, batchSize, lr, optimizer, momentum, seed, evalEvery, evalSize, clipNorm, schedule, lrHold, lrWarmup, 0f);
    }

    /** The rate of step {@code step} (1-based): {@code lr} times the warmup and schedule factors. */
    public double lrAt(long step) {
        return lr * LrSchedule.warmupFactor(step, lrWarmup) * schedule.factor(step, steps, lrHold);
    }

    /** The options with no hold, no warmup and no weight decay: the schedule's decay, if any, starts at the first step. */
    public TrainOptions(long steps, int batchSize, float lr, Optimizer.Kind optimizer, float momentum, long seed,
                        long evalEvery, int evalSize, float clipNorm, LrSchedule schedule) {
        this(steps, batchSize, lr, optimizer, momentum, seed, evalEvery, evalSize, clipNorm, schedule, 0, 0);
    }
}
