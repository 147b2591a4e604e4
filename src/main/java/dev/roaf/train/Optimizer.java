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
        /** torch.optim.Adam without weight decay. */
        ADAM,
        /** torch.optim.SGD: plain, or with (non-Nesterov) momentum. */
        SGD;

        /** Parses {@code adam} or {@code sgd}. */
        public static Kind parse(String s) {
            return switch (s) {
                case "adam" -> ADAM;
                case "sgd" -> SGD;
                default -> throw new IllegalArgumentException("unknown optimizer '" + s + "'; expected adam or sgd");
            };
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A new optimizer of {@code kind} for {@code params}. {@code momentum} applies to SGD only. */
    public static Optimizer create(Kind kind, Engine engine, Parameters params, float momentum) {
        return switch (kind) {
            case ADAM -> new Adam(engine, params, 0.9f, 0.999f, 1e-8f);
            case SGD -> new Sgd(engine, params, momentum);
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

    /** Adam (PyTorch's formulation, bias-corrected). */
    static final class Adam extends Optimizer {
        private final Tensor m;
        private final Tensor v;
        private final float beta1, beta2, eps;

        Adam(Engine engine, Parameters params, float beta1, float beta2, float eps) {
            super(engine, params);
            int n = (int) params.count();
            this.m = engine.zeros(n);
            this.v = engine.zeros(n);
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.eps = eps;
        }

        @Override
        protected void apply(float lr, int t) {
            engine.adamStep(params.values(), params.grads(), m, v, lr, beta1, beta2, eps, t);
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

    /** SGD with optional momentum (PyTorch's formulation: v = mu v + g; p -= lr v). */
    static final class Sgd extends Optimizer {
        private final Tensor velocity;
        private final float momentum;

        Sgd(Engine engine, Parameters params, float momentum) {
            super(engine, params);
            this.momentum = momentum;
            this.velocity = momentum != 0f ? engine.zeros((int) params.count()) : null;
        }

        @Override
        protected void apply(float lr, int t) {
            engine.sgdStep(params.values(), params.grads(), velocity, lr, momentum);
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
