package dev.roaf.engine.cpu;

import dev.roaf.engine.DType;
import dev.roaf.engine.Engine;
import dev.roaf.engine.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Test operands that are views into larger tensors: each tensor handed out is a view starting a few
 * elements into its own storage, with sentinel-filled elements before and after it, so every
 * operation runs on a non-zero offset and {@link #assertPaddingIntact} can check that nothing
 * outside the view was written. Also random-data helpers and error norms.
 */
final class Arena implements AutoCloseable {
    static final float SENTINEL = -12345.678f;
    static final int SENTINEL_INT = -987654;
    private static final int PRE = 3;
    private static final int POST = 5;

    private final Engine engine;
    private final List<Tensor> owners = new ArrayList<>();
    private final List<String> names = new ArrayList<>();

    Arena(Engine engine) {
        this.engine = engine;
    }

    private static int size(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** An F32 view of {@code shape} holding {@code data}, inside sentinel padding. */
    Tensor f32(String name, float[] data, int... shape) {
        int n = size(shape);
        if (data.length != n) {
            throw new IllegalArgumentException(name + ": " + data.length + " values for shape " + Arrays.toString(shape));
        }
        Tensor owner = engine.zeros(PRE + n + POST);
        engine.fill(owner, SENTINEL);
        owners.add(owner);
        names.add(name);
        Tensor view = owner.view(PRE, shape);
        engine.upload(data, view);
        return view;
    }

    /** An F32 view filled with NaN (an output whose old contents must be ignored). */
    Tensor nan(String name, int... shape) {
        float[] v = new float[size(shape)];
        Arrays.fill(v, Float.NaN);
        return f32(name, v, shape);
    }

    /** An I32 view holding {@code data}, inside sentinel padding. */
    Tensor i32(String name, int[] data, int... shape) {
        int n = size(shape);
        int[] all = new int[PRE + n + POST];
        Arrays.fill(all, SENTINEL_INT);
        System.arraycopy(data, 0, all, PRE, n);
        Tensor owner = engine.zeros(DType.I32, all.length);
        engine.upload(all, owner);
        owners.add(owner);
        names.add(name);
        return owner.view(PRE, shape);
    }

    float[] get(Tensor t) {
        return engine.toHost(t);
    }

    int[] getInts(Tensor t) {
        int[] v = new int[(int) t.size()];
        engine.download(t, v);
        return v;
    }

    /** Fails naming the operand whose padding (elements outside its view) changed. */
    void assertPaddingIntact(String context) {
        for (int k = 0; k < owners.size(); k++) {
            Tensor o = owners.get(k);
            if (o.dtype() == DType.F32) {
                float[] all = engine.toHost(o);
                for (int i = 0; i < all.length; i++) {
                    if ((i < PRE || i >= all.length - POST) && Float.floatToRawIntBits(all[i]) != Float.floatToRawIntBits(SENTINEL)) {
                        fail(context + ": " + names.get(k) + " was written outside its view at storage element " + i + " (" + all[i] + ")");
                    }
                }
            } else {
                int[] all = new int[(int) o.size()];
                engine.download(o, all);
                for (int i = 0; i < all.length; i++) {
                    if ((i < PRE || i >= all.length - POST) && all[i] != SENTINEL_INT) {
                        fail(context + ": " + names.get(k) + " was written outside its view at storage element " + i);
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        owners.forEach(Tensor::close);
        owners.clear();
        names.clear();
    }

    // ----------------------------------------------------------------------------- helpers

    static float[] uniform(SplittableRandom rng, int n, double bound) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return v;
    }

    static float[] gaussian(SplittableRandom rng, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextGaussian() * std);
        }
        return v;
    }

    static double[] d(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

    /** {@code ||a - ref|| / ||ref||} ({@code ||a||} when ref is zero). */
    static double relNorm(float[] a, double[] ref) {
        if (a.length != ref.length) {
            throw new IllegalArgumentException("lengths " + a.length + " and " + ref.length);
        }
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            double e = a[i] - ref[i];
            num += e * e;
            den += ref[i] * ref[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /** {@code relNorm} over the slice {@code [from, to)} of both arrays. */
    static double relNorm(float[] a, double[] ref, int from, int to) {
        return relNorm(Arrays.copyOfRange(a, from, to), Arrays.copyOfRange(ref, from, to));
    }
}
