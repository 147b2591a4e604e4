package dev.roaf.model;

import dev.roaf.engine.DType;
import dev.roaf.engine.Engine;
import dev.roaf.engine.Tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's tensors, by the names they carry in a safetensors file: trainable parameters packed in
 * one flat tensor (so an optimizer updates all of them in a single fused operation) with a gradient
 * tensor of the same layout, plus fixed buffers (the orthogonal filters), which are never trained.
 * Owns its device memory; {@link #close()} releases it.
 */
public final class Parameters implements AutoCloseable {

    /** Declares tensors before allocation. */
    public static final class Layout {
        private final LinkedHashMap<String, int[]> trainable = new LinkedHashMap<>();
        private final LinkedHashMap<String, int[]> fixedF32 = new LinkedHashMap<>();
        private final LinkedHashMap<String, int[]> fixedI32 = new LinkedHashMap<>();

        /** A trainable F32 parameter. */
        public Layout param(String name, int... shape) {
            trainable.put(name, shape);
            return this;
        }

        /** A fixed F32 buffer (not trained, no gradient). */
        public Layout buffer(String name, int... shape) {
            fixedF32.put(name, shape);
            return this;
        }

        /** A fixed I32 buffer (permutation indices). */
        public Layout indexBuffer(String name, int... shape) {
            fixedI32.put(name, shape);
            return this;
        }
    }

    private final Tensor values;
    private final Tensor grads;
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Tensor> gradViews = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final long count;

    /** Allocates every tensor of {@code layout} on {@code engine}, zero-filled. */
    public Parameters(Engine engine, Layout layout) {
        long total = 0;
        for (int[] s : layout.trainable.values()) {
            total += numel(s);
        }
        this.count = total;
        if (total > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("model has " + total + " parameters; the engines address at most 2^31 per tensor");
        }
        Tensor v = null, g = null;
        try {
            v = engine.zeros((int) total);
            g = engine.zeros((int) total);
            long offset = 0;
            for (Map.Entry<String, int[]> e : layout.trainable.entrySet()) {
                params.put(e.getKey(), v.view(offset, e.getValue()));
                gradViews.put(e.getKey(), g.view(offset, e.getValue()));
                offset += numel(e.getValue());
            }
            for (Map.Entry<String, int[]> e : layout.fixedF32.entrySet()) {
                buffers.put(e.getKey(), engine.zeros(DType.F32, e.getValue()));
            }
            for (Map.Entry<String, int[]> e : layout.fixedI32.entrySet()) {
                buffers.put(e.getKey(), engine.zeros(DType.I32, e.getValue()));
            }
        } catch (RuntimeException | Error e) {
            if (v != null) {
                v.close();
            }
            if (g != null) {
                g.close();
            }
            buffers.values().forEach(Tensor::close);
            throw e;
        }
        this.values = v;
        this.grads = g;
    }

    private static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** All trainable values as one flat tensor. */
    public Tensor values() {
        return values;
    }

    /** All gradients as one flat tensor, laid out like {@link #values()}. */
    public Tensor grads() {
        return grads;
    }

    /** Number of trainable scalars. */
    public long count() {
        return count;
    }

    /** The trainable parameter called {@code name} (a view into {@link #values()}). */
    public Tensor param(String name) {
        return lookup(params, name, "parameter");
    }

    /** The gradient of parameter {@code name} (a view into {@link #grads()}). */
    public Tensor grad(String name) {
        return lookup(gradViews, name, "parameter");
    }

    /** The fixed buffer called {@code name}. */
    public Tensor buffer(String name) {
        return lookup(buffers, name, "buffer");
    }

    /** Trainable parameters by name, in layout order. */
    public Map<String, Tensor> params() {
        return Collections.unmodifiableMap(params);
    }

    /** Fixed buffers by name, in layout order. */
    public Map<String, Tensor> buffers() {
        return Collections.unmodifiableMap(buffers);
    }

    private static Tensor lookup(Map<String, Tensor> m, String name, String what) {
        Tensor t = m.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no " + what + " named '" + name + "'; have " + m.keySet());
        }
        return t;
    }

    @Override
    public void close() {
        values.close();
        grads.close();
        buffers.values().forEach(Tensor::close);
    }
}
