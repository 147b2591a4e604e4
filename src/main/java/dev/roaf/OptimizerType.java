package dev.roaf;

import dev.roaf.train.Optimizer;

/** The update rule a {@link Trainer} uses. */
public enum OptimizerType {
    /** Adam as {@code torch.optim.Adam} (beta1 0.9, beta2 0.999, eps 1e-8, no weight decay); the default. */
    ADAM(Optimizer.Kind.ADAM),
    /** SGD as {@code torch.optim.SGD}: plain, or with (non-Nesterov) momentum. */
    SGD(Optimizer.Kind.SGD);

    private final Optimizer.Kind kind;

    OptimizerType(Optimizer.Kind kind) {
        this.kind = kind;
    }

    /**
     * Parses {@code adam} or {@code sgd}.
     *
     * @param name the name
     * @return the optimizer type
     * @throws IllegalArgumentException for any other name
     */
    public static OptimizerType parse(String name) {
        return switch (name) {
            case "adam" -> ADAM;
            case "sgd" -> SGD;
            default -> throw new IllegalArgumentException("unknown optimizer '" + name + "'; expected adam or sgd");
        };
    }

    Optimizer.Kind kind() {
        return kind;
    }

    /**
     * The lower-case name, as {@link #parse} accepts it.
     *
     * @return {@code adam} or {@code sgd}
     */
    @Override
    public String toString() {
        return kind.toString();
    }
}
