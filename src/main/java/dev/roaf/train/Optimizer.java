package dev.roaf.train;

import dev.roaf.engine.Engine;
import dev.roaf.engine.Tensor;
import dev.roaf.model.Parameters;

/**
 * An optimizer over a model's flat parameter tensor: one fused engine operation per step, whatever
 * the number of parameter tensors. Owns its state tensors (moments, velocity); close it with the
 * model.
 */
public abstract class Optimizer implements AutoCloseable {
    protected final Engine engine;
    protected final Parameters params;
    private int steps;

    protected Optimizer(Engine engine, Parameters params) {
        this.engine = engine;
        this.params = params;
    }

    /** Which update rule. */
    public enum Kind {
        /** torch.optim.Adam; a weight decay is added to the gradient (L2). */
        ADAM,
        /** torch.optim.AdamW: Adam with decoupled weight decay (the parameters shrink by 1 - lr wd each step). */
        ADAMW,
        /** torch.optim.SGD: plain, or with (non-Nesterov) momentum; a weight decay is added to the gradient (L2). */
        SGD;

        /** Parses {@code adam}, {@code adamw} or {@code sgd}. */
        public static Kind parse(String s) {
            return switch (s) {
                case "adam" -> ADAM;
                case "adamw" -> ADAMW;
                case "sgd" -> SGD;
                default -> throw new IllegalArgumentException("unknown optimizer '" + s + "'; expected adam, adamw or sgd");
            };
        }

        /** The weight decay this rule uses when none is given: 0.01 for AdamW (as torch.optim.AdamW), else 0. */
        public double defaultWeightDecay() {
            return this == ADAMW ? 0.01 : 0.0;
        }

        /** Floats of state per parameter: 2 for Adam and AdamW (m, v), 1 for SGD with momentum, 0 without. */
        public int stateCopies(double momentum) {
            return this == SGD ? (momentum != 0 ? 1 : 0) : 2;
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A new optimizer of {@code kind} for {@code params}, without weight decay. {@code momentum} applies to SGD only. */
    public static Optimizer create(Kind kind, Engine engine, Parameters params, float momentum) {
        return create(kind, engine, params, momentum, 0f);
    }

    /**
     * A new optimizer of {@code kind} for {@code params}. {@code momentum} applies to SGD only;
     * {@code weightDecay} (>= 0) is L2 for Adam and SGD and decoupled for AdamW, as in torch.optim. It
     * applies to every trainable parameter, biases included (the fixed filters are not parameters).
     */
    public static Optimizer create(Kind kind, Engine engine, Parameters params, float momentum, float weightDecay) {
        if (!(weightDecay >= 0f) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be a finite number >= 0, got " + weightDecay);
        }
        return switch (kind) {
            case ADAM -> new Adam(engine, params, 0.9f, 0.999f, 1e-8f, weightDecay, false);
            case ADAMW -> new Adam(engine, params, 0.9f, 0.999f, 1e-8f, weightDecay, true);
            case SGD -> new Sgd(engine, params, momentum, weightDecay);
        };
    }

    /** Applies one update with learning rate {@code lr} using the gradients in {@link Parameters#grads()}. */
    public final void step(float lr) {
        steps++;
        apply(lr, steps);
    }

    /** Updates taken so far. */
    public int steps() {
        return steps;
    }

    protected abstract void apply(float lr, int t);

    /**
     * The optimizer's state tensors by name, copied to the host (Adam: {@code m}, {@code v}; SGD with
     * momentum: {@code velocity}; plain SGD: none). With {@link #steps()} this is everything needed to
     * continue bit for bit.
     */
    public final java.util.Map<String, float[]> exportState() {
        java.util.Map<String, float[]> out = new java.util.LinkedHashMap<>();
        stateTensors().forEach((name, t) -> out.put(name, engine.toHost(t)));
        return out;
    }

    /**
     * Restores the state written by {@link #exportState()} and the step count.
     *
     * @throws IllegalArgumentException if a tensor is missing, unexpected or of the wrong size
     */
    public final void importState(java.util.Map<String, float[]> state, int steps) {
        java.util.Map<String, Tensor> mine = stateTensors();
        if (!mine.keySet().equals(state.keySet())) {
            throw new IllegalArgumentException("optimizer state: expected tensors " + mine.keySet() + " for "
                    + getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT) + ", found " + state.keySet());
        }
        if (steps < 0) {
            throw new IllegalArgumentException("optimizer state: negative step count " + steps);
        }
        for (java.util.Map.Entry<String, Tensor> e : mine.entrySet()) {
            float[] v = state.get(e.getKey());
            if (v.length != e.getValue().size()) {
                throw new IllegalArgumentException("optimizer state " + e.getKey() + ": expected " + e.getValue().size()
                        + " values, found " + v.length);
            }
            engine.upload(v, e.getValue());
        }
        this.steps = steps;
    }

    /** The state tensors by name, in a fixed order. */
    protected abstract java.util.Map<String, Tensor> stateTensors();

    /** Adam (PyTorch's formulation, bias-corrected), with L2 or decoupled (AdamW) weight decay. */
    static final class Adam extends Optimizer {
        private final Tensor m;
        private final Tensor v;
        private final float beta1, beta2, eps, weightDecay;
        private final boolean decoupled;

        Adam(Engine engine, Parameters params, float beta1, float beta2, float eps, float weightDecay, boolean decoupled) {
            super(engine, params);
            int n = (int) params.count();
            this.m = engine.zeros(n);
            this.v = engine.zeros(n);
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.eps = eps;
            this.weightDecay = weightDecay;
            this.decoupled = decoupled;
        }

        @Override
        protected void apply(float lr, int t) {
            engine.adamStep(params.values(), params.grads(), m, v, lr, beta1, beta2, eps, t, weightDecay, decoupled);
        }

        @Override
        protected java.util.Map<String, Tensor> stateTensors() {
            java.util.Map<String, Tensor> s = new java.util.LinkedHashMap<>();
            s.put("m", m);
            s.put("v", v);
            return s;
        }

        @Override
        public void close() {
            m.close();
            v.close();
        }
    }

    /** SGD with optional momentum and L2 weight decay (PyTorch's formulation: v = mu v + g + wd p; p -= lr v). */
    static final class Sgd extends Optimizer {
        private final Tensor velocity;
        private final float momentum, weightDecay;

        Sgd(Engine engine, Parameters params, float momentum, float weightDecay) {
            super(engine, params);
            this.momentum = momentum;
            this.weightDecay = weightDecay;
            this.velocity = momentum != 0f ? engine.zeros((int) params.count()) : null;
        }

        @Override
        protected void apply(float lr, int t) {
            engine.sgdStep(params.values(), params.grads(), velocity, lr, momentum, weightDecay);
        }

        @Override
        protected java.util.Map<String, Tensor> stateTensors() {
            return velocity == null ? java.util.Map.of() : java.util.Map.of("velocity", velocity);
        }

        @Override
        public void close() {
            if (velocity != null) {
                velocity.close();
            }
        }
    }

    @Override
    public abstract void close();
}
