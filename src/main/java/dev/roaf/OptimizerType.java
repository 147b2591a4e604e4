package dev.roaf;

import dev.roaf.train.Optimizer;

/** The update rule a {@link Trainer} uses. */
public enum OptimizerType {
    /**
     * Adam as {@code torch.optim.Adam} (beta1 0.9, beta2 0.999, eps 1e-8); a weight decay is added to the
     * gradient (L2; default none); the default optimizer.
     */
    ADAM(Optimizer.Kind.ADAM),
    /**
     * AdamW as {@code torch.optim.AdamW}: Adam with decoupled weight decay, each step shrinking the
     * parameters by {@code 1 - lr * weightDecay} (default weight decay 0.01, as torch).
     */
    ADAMW(Optimizer.Kind.ADAMW),
    /** SGD as {@code torch.optim.SGD}: plain, or with (non-Nesterov) momentum; weight decay as L2 (default none). */
    SGD(Optimizer.Kind.SGD);

    private final Optimizer.Kind kind;

    OptimizerType(Optimizer.Kind kind) {
        this.kind = kind;
    }

    /**
     * Parses {@code adam}, {@code adamw} or {@code sgd}.
     *
     * @param name the name
     * @return the optimizer type
     * @throws IllegalArgumentException for any other name
     */
    public static OptimizerType parse(String name) {
        return switch (name) {
            case "adam" -> ADAM;
            case "adamw" -> ADAMW;
            case "sgd" -> SGD;
            default -> throw new IllegalArgumentException("unknown optimizer '" + name + "'; expected adam, adamw or sgd");
        };
    }

    Optimizer.Kind kind() {
        return kind;
    }

    /**
     * The weight decay this optimizer uses when none is set: 0.01 for AdamW (as {@code torch.optim.AdamW}),
     * 0 for Adam and SGD.
     *
     * @return the default weight decay
     */
    public double defaultWeightDecay() {
        return kind.defaultWeightDecay();
    }

    /**
     * The lower-case name, as {@link #parse} accepts it.
     *
     * @return {@code adam}, {@code adamw} or {@code sgd}
     */
    @Override
    public String toString() {
        return kind.toString();
    }
}
