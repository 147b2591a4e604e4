package dev.roaf.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The products and the activation functions of {@link MatKernels} written with the JDK's Vector API
 * (incubator module {@code jdk.incubator.vector}): used when the JVM was started with
 * {@code --add-modules jdk.incubator.vector}, otherwise the auto-vectorised scalar loops run.
 *
 * <p>Why: C2's auto-vectorisation of the scalar loops loads and stores every accumulator element
 * once per two products, so those loops are bound by memory operations. Here a tile of 4 rows x
 * {@code TILE} vectors of accumulators stays in registers through the whole k loop; each step of
 * k loads {@code TILE} vectors of b, broadcasts 4 values of a and issues {@code 4 x TILE} fused
 * multiply-adds. Measured on this project's 2-core AMD EPYC VM (AVX-512, one thread,
 * 2026-12-07): 85 GFLOP/s against 47 for the scalar loops at 100 x 128 times 128 x 256.
 *
 * <p>The activations: {@link MatKernels#tanh} and {@link MatKernels#exp} are scalar code with
 * branches, which C2 does not vectorise; they were 23% of a psMNIST roaf-rnn training step once the
 * products ran here. Below, every lane computes every branch's formula and a mask picks one. The
 * elementwise rest of a step (the ROAF mix, the tanh gradient, the LSTM cell and its gradients) is
 * here for the same reason: {@link MatKernels#flush} is a conditional, and C2 (JDK 17) left those loops
 * scalar; here it is a mask. Measured (JMH, alternating runs, 2026-12-08): a ROAF recurrence forward+backward
 * 1.06-1.15x faster with these, an LSTM sequence forward+backward 1.6x.
 *
 * <p>All of them give the scalar code's bits: every accumulator element gets exactly the scalar
 * loops' operations in the same order ({@code acc = fma(a[q,k], b[k][j], acc)} for k ascending),
 * and every activation the same float operations (Java never contracts {@code a * b + c} into a
 * fused multiply-add, and the Vector API's {@code mul}/{@code add}/{@code div} round like the
 * scalar ones). {@code VectorKernelsTest} checks every one of them.
 *
 * <p>Load this class only after {@link MatKernels#VECTOR} has said the module is there: without it, its
 * first use throws {@link NoClassDefFoundError}.
 */
final class VectorKernels {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /**
     * Vectors per tile row: 4 where vectors have 16 lanes (AVX-512, 32 vector registers: 16
     * accumulators, 4 of b, 1 broadcast), else 2 (AVX2 has 16 registers; a 4 x 4 tile spills there,
     * measured 53 against 60 GFLOP/s for 4 x 2 with -XX:UseAVX=2).
     */
    private static final int TILE = LANES >= 16 ? 4 : 2;
    private static final FloatVector ONE = FloatVector.broadcast(SPECIES, 1f);
    /**
     * 1.5 x 2^23: w + MAGIC - MAGIC rounds w to an integer, and the low bits of fn + MAGIC are that
     * integer (|w| < 2^22). Why not a float-to-int conversion: in JDK 17, with 16 lanes, it is not
     * compiled to vector instructions (measured 2.5 ns per element, 20x a vector add).
     */
    private static final float MAGIC = 12582912f;
    private static final int MAGIC_BITS = 0x4B400000;

    private VectorKernels() {
    }

    /** Float lanes per vector on this machine (16 with AVX-512, 8 with AVX2, 4 with NEON or SSE). */
    static int lanes() {
        return LANES;
    }

    /**
     * {@link MatKernels#scalarAccumulate4} when {@code zero} is false; when true, the accumulators start at
     * zero instead of at acc's values ({@link MatKernels#product}).
     */
    static void product4(float[] a, int aOff, int lda, int kDim, float[][] b, int bRow, int n,
                         float[] acc0, float[] acc1, float[] acc2, float[] acc3, boolean zero) {
        int a0 = aOff, a1 = aOff + lda, a2 = aOff + 2 * lda, a3 = aOff + 3 * lda;
        int j = 0;
        if (TILE == 4) {
            for (; j + 4 * LANES <= n; j += 4 * LANES) {
                tile4x4(a, a0, a1, a2, a3, kDim, b, bRow, j, acc0, acc1, acc2, acc3, zero);
            }
        }
        for (; j + 2 * LANES <= n; j += 2 * LANES) {
            tile4x2(a, a0, a1, a2, a3, kDim, b, bRow, j, acc0, acc1, acc2, acc3, zero);
        }
        for (; j + LANES <= n; j += LANES) {
            tile4x1(a, a0, a1, a2, a3, kDim, b, bRow, j, acc0, acc1, acc2, acc3, zero);
        }
        if (j < n) {
            if (zero) {
                Arrays.fill(acc0, j, n, 0f);
                Arrays.fill(acc1, j, n, 0f);
                Arrays.fill(acc2, j, n, 0f);
                Arrays.fill(acc3, j, n, 0f);
            }
            for (int k = 0; k < kDim; k++) {
                float x0 = a[a0 + k], x1 = a[a1 + k], x2 = a[a2 + k], x3 = a[a3 + k];
                float[] row = b[bRow + k];
                for (int jj = j; jj < n; jj++) {
                    float u = row[jj];
                    acc0[jj] = Math.fma(x0, u, acc0[jj]);
                    acc1[jj] = Math.fma(x1, u, acc1[jj]);
                    acc2[jj] = Math.fma(x2, u, acc2[jj]);
                    acc3[jj] = Math.fma(x3, u, acc3[jj]);
                }
            }
        }
    }

    /** {@link MatKernels#scalarAccumulate1}, or (zero true) {@link MatKernels#product} of one row. */
    static void product1(float[] a, int aOff, int kDim, float[][] b, int bRow, int n, float[] acc, boolean zero) {
        int j = 0;
        for (; j + 4 * LANES <= n; j += 4 * LANES) {
            int j1 = j + LANES, j2 = j + 2 * LANES, j3 = j + 3 * LANES;
            FloatVector s0 = start(acc, j, zero), s1 = start(acc, j1, zero);
            FloatVector s2 = start(acc, j2, zero), s3 = start(acc, j3, zero);
            for (int k = 0; k < kDim; k++) {
                float[] row = b[bRow + k];
                FloatVector x = FloatVector.broadcast(SPECIES, a[aOff + k]);
                s0 = x.fma(FloatVector.fromArray(SPECIES, row, j), s0);
                s1 = x.fma(FloatVector.fromArray(SPECIES, row, j1), s1);
                s2 = x.fma(FloatVector.fromArray(SPECIES, row, j2), s2);
                s3 = x.fma(FloatVector.fromArray(SPECIES, row, j3), s3);
            }
            s0.intoArray(acc, j);
            s1.intoArray(acc, j1);
            s2.intoArray(acc, j2);
            s3.intoArray(acc, j3);
        }
        for (; j + LANES <= n; j += LANES) {
            FloatVector s = start(acc, j, zero);
            for (int k = 0; k < kDim; k++) {
                s = FloatVector.broadcast(SPECIES, a[aOff + k]).fma(FloatVector.fromArray(SPECIES, b[bRow + k], j), s);
            }
            s.intoArray(acc, j);
        }
        if (j < n) {
            if (zero) {
                Arrays.fill(acc, j, n, 0f);
            }
            for (int k = 0; k < kDim; k++) {
                float x = a[aOff + k];
                float[] row = b[bRow + k];
                for (int jj = j; jj < n; jj++) {
                    acc[jj] = Math.fma(x, row[jj], acc[jj]);
                }
            }
        }
    }

    /** {@code out[outOff + j] = tanh(x[xOff + j] + add[addOff + j])} for j < n ({@code add} may be null: no sum); out may be x. */
    static void tanhOfSum(float[] x, int xOff, float[] add, int addOff, float[] out, int outOff, int n) {
        int j = 0;
        for (; j + LANES <= n; j += LANES) {
            FloatVector v = FloatVector.fromArray(SPECIES, x, xOff + j);
            if (add != null) {
                v = v.add(FloatVector.fromArray(SPECIES, add, addOff + j));
            }
            // MatKernels.tanh's three branches on every lane, then masks pick one per lane.
            FloatVector ax = v.abs();
            FloatVector f = v.mul(2f);
            FloatVector em1 = f.mul(f.mul(f.mul(f.mul(f.mul(f.mul(1f / 720).add(1f / 120)).add(1f / 24)).add(1f / 6)).add(0.5f)).add(1f));
            FloatVector small = em1.div(em1.add(2f));
            FloatVector e = exp(v.mul(2f));
            FloatVector mid = e.sub(1f).div(e.add(1f));
            FloatVector sign = ONE.blend(-1f, v.compare(VectorOperators.LT, 0f));
            mid.blend(small, ax.compare(VectorOperators.LT, 0.17f)).blend(sign, ax.compare(VectorOperators.GT, 9.1f))
                    .intoArray(out, outOff + j);
        }
        for (; j < n; j++) {
            out[outOff + j] = MatKernels.tanh(add != null ? x[xOff + j] + add[addOff + j] : x[xOff + j]);
        }
    }

    /** {@code out[outOff + j] = sigmoid(x[xOff + j] + add[addOff + j])} for j < n; out may be x. */
    static void sigmoidOfSum(float[] x, int xOff, float[] add, int addOff, float[] out, int outOff, int n) {
        int j = 0;
        for (; j + LANES <= n; j += LANES) {
            FloatVector e = exp(FloatVector.fromArray(SPECIES, x, xOff + j).add(FloatVector.fromArray(SPECIES, add, addOff + j)).neg());
            ONE.div(ONE.add(e)).intoArray(out, outOff + j);
        }
        for (; j < n; j++) {
            out[outOff + j] = MatKernels.sigmoid(x[xOff + j] + add[addOff + j]);
        }
    }

    // The elementwise kernels below do the whole vectors of a row and return where they stopped; the
    // MatKernels method that called them finishes the row with its scalar loop, the one copy of each formula.

    /** {@link MatKernels#mix}: the same multiplies and add per lane, and the flush as a mask. */
    static int mix(float alpha, float[] filtered, int fOff, float beta, float[] z, int zOff, float[] out, int outOff, int n) {
        int j = 0;
        for (; j + LANES <= n; j += LANES) {
            FloatVector v = FloatVector.fromArray(SPECIES, z, zOff + j).mul(beta);
            if (filtered != null) {
                v = FloatVector.fromArray(SPECIES, filtered, fOff + j).mul(alpha).add(v);
            }
            flushed(v).intoArray(out, outOff + j);
        }
        return j;
    }

    /** {@link MatKernels#tanhGradient}: {@code (beta * (1 - z*z)) * g} in the scalar order, flushed by a mask. */
    static int tanhGradient(float beta, float[] z, int zOff, float[] g, int gOff, float[] d, int dOff, float[] copy,
                            int copyOff, int n) {
        int j = 0;
        for (; j + LANES <= n; j += LANES) {
            FloatVector zv = FloatVector.fromArray(SPECIES, z, zOff + j);
            FloatVector dv = flushed(ONE.sub(zv.mul(zv)).mul(beta).mul(FloatVector.fromArray(SPECIES, g, gOff + j)));
            dv.intoArray(d, dOff + j);
            if (copy != null) {
                dv.intoArray(copy, copyOff + j);
            }
        }
        return j;
    }

    /** {@link MatKernels#lstmCellState}: {@code f * cPrev + i * g} in the scalar order. */
    static int lstmCellState(float[] act, float[] cPrev, int cPrevOff, float[] c, int cOff, float[] raw, int n) {
        int j = 0;
        for (; j + LANES <= n; j += LANES) {
            FloatVector cv = FloatVector.fromArray(SPECIES, act, n + j).mul(FloatVector.fromArray(SPECIES, cPrev, cPrevOff + j))
                    .add(FloatVector.fromArray(SPECIES, act, j).mul(FloatVector.fromArray(SPECIES, act, 2 * n + j)));
            flushed(cv).intoArray(c, cOff + j);
            cv.intoArray(raw, j);
        }
        return j;
    }

    /** {@link MatKernels#productFlushed}. */
    static int productFlushed(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n) {
        int j = 0;
        for (; j + LANES <= n; j += LANES) {
            flushed(FloatVector.fromArray(SPECIES, x, xOff + j).mul(FloatVector.fromArray(SPECIES, y, yOff + j)))
                    .intoArray(out, outOff + j);
        }
        return j;
    }

    /** {@link MatKernels#lstmGateGradients}: every product in the scalar code's left-to-right order. */
    static int lstmGateGradients(float[] gates, int gOff, float[] cPrev, int cPrevOff, float[] tanhC, float[] dhCarry,
                                 float[] dcCarry, int carryOff, float[] gOut, int gOutOff, int n) {
        int j = 0;
        for (; j + LANES <= n; j += LANES) {
            // + 0 where there is no loss gradient, as the scalar code: it turns a -0 carry into +0.
            FloatVector dh = FloatVector.fromArray(SPECIES, dhCarry, carryOff + j)
                    .add(gOut != null ? FloatVector.fromArray(SPECIES, gOut, gOutOff + j) : FloatVector.zero(SPECIES));
            FloatVector iv = FloatVector.fromArray(SPECIES, gates, gOff + j);
            FloatVector fv = FloatVector.fromArray(SPECIES, gates, gOff + n + j);
            FloatVector gv = FloatVector.fromArray(SPECIES, gates, gOff + 2 * n + j);
            FloatVector ov = FloatVector.fromArray(SPECIES, gates, gOff + 3 * n + j);
            FloatVector tcv = FloatVector.fromArray(SPECIES, tanhC, j);
            FloatVector dc = FloatVector.fromArray(SPECIES, dcCarry, carryOff + j).add(dh.mul(ov).mul(ONE.sub(tcv.mul(tcv))));
            flushed(dc.mul(gv).mul(iv).mul(ONE.sub(iv))).intoArray(gates, gOff + j);
            flushed(dc.mul(FloatVector.fromArray(SPECIES, cPrev, cPrevOff + j)).mul(fv).mul(ONE.sub(fv)))
                    .intoArray(gates, gOff + n + j);
            flushed(dc.mul(iv).mul(ONE.sub(gv.mul(gv)))).intoArray(gates, gOff + 2 * n + j);
            flushed(dh.mul(tcv).mul(ov).mul(ONE.sub(ov))).intoArray(gates, gOff + 3 * n + j);
            flushed(dc.mul(fv)).intoArray(dcCarry, carryOff + j);
        }
        return j;
    }

    /** {@link MatKernels#scale}. */
    static int scale(float s, float[] x, int xOff, float[] out, int outOff, int n) {
        int j = 0;
        for (; j + LANES <= n; j += LANES) {
            FloatVector.fromArray(SPECIES, x, xOff + j).mul(s).intoArray(out, outOff + j);
        }
        return j;
    }

    /** {@link MatKernels#flushRow}. */
    static int flushRow(float[] x, int xOff, float[] out, int outOff, int n) {
        int j = 0;
        for (; j + LANES <= n; j += LANES) {
            flushed(FloatVector.fromArray(SPECIES, x, xOff + j)).intoArray(out, outOff + j);
        }
        return j;
    }

    /** {@link MatKernels#flush} on every lane: 0 where |v| < TINY (NaN compares false and stays). */
    private static FloatVector flushed(FloatVector v) {
        return v.blend(0f, v.abs().compare(VectorOperators.LT, MatKernels.TINY));
    }

    /**
     * {@link MatKernels#exp}, lane-wise: floor as round-to-integer less one where that rounded up,
     * then the scalar code's reduction, polynomial and clamps. In tanhOfSum the clamps act only on
     * lanes whose result the |x| > 9.1 branch replaces.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector w = x.mul(MatKernels.LOG2E).add(0.5f);
        FloatVector fn = w.add(MAGIC).sub(MAGIC);
        fn = fn.sub(1f, fn.compare(VectorOperators.GT, w));
        FloatVector r = x.sub(fn.mul(MatKernels.LN2_HI)).sub(fn.mul(MatKernels.LN2_LO));
        FloatVector p = r.mul(r.mul(r.mul(r.mul(r.mul(r.mul(r.mul(1f / 5040).add(1f / 720)).add(1f / 120)).add(1f / 24))
                .add(1f / 6)).add(0.5f)).add(1f)).add(1f);
        IntVector bits = fn.add(MAGIC).reinterpretAsInts().sub(MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        return p.mul((FloatVector) bits.reinterpretAsFloats())
                .blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GE, 88.7f))
                .blend(0f, x.compare(VectorOperators.LT, -87.3f));
    }

    /** The accumulator vector at acc[j]: zero, or loaded. */
    private static FloatVector start(float[] acc, int j, boolean zero) {
        return zero ? FloatVector.zero(SPECIES) : FloatVector.fromArray(SPECIES, acc, j);
    }

    // tile4x4, tile4x2 and tile4x1 are one loop written out per width so that the accumulators are
    // plain locals, which C2 keeps in registers through the k loop.
    private static void tile4x4(float[] a, int a0, int a1, int a2, int a3, int kDim, float[][] b, int bRow, int j,
                                float[] acc0, float[] acc1, float[] acc2, float[] acc3, boolean zero) {
        int j1 = j + LANES, j2 = j + 2 * LANES, j3 = j + 3 * LANES;
        FloatVector s00 = start(acc0, j, zero), s01 = start(acc0, j1, zero);
        FloatVector s02 = start(acc0, j2, zero), s03 = start(acc0, j3, zero);
        FloatVector s10 = start(acc1, j, zero), s11 = start(acc1, j1, zero);
        FloatVector s12 = start(acc1, j2, zero), s13 = start(acc1, j3, zero);
        FloatVector s20 = start(acc2, j, zero), s21 = start(acc2, j1, zero);
        FloatVector s22 = start(acc2, j2, zero), s23 = start(acc2, j3, zero);
        FloatVector s30 = start(acc3, j, zero), s31 = start(acc3, j1, zero);
        FloatVector s32 = start(acc3, j2, zero), s33 = start(acc3, j3, zero);
        for (int k = 0; k < kDim; k++) {
            float[] row = b[bRow + k];
            FloatVector u0 = FloatVector.fromArray(SPECIES, row, j), u1 = FloatVector.fromArray(SPECIES, row, j1);
            FloatVector u2 = FloatVector.fromArray(SPECIES, row, j2), u3 = FloatVector.fromArray(SPECIES, row, j3);
            FloatVector x = FloatVector.broadcast(SPECIES, a[a0 + k]);
            s00 = x.fma(u0, s00);
            s01 = x.fma(u1, s01);
            s02 = x.fma(u2, s02);
            s03 = x.fma(u3, s03);
            x = FloatVector.broadcast(SPECIES, a[a1 + k]);
            s10 = x.fma(u0, s10);
            s11 = x.fma(u1, s11);
            s12 = x.fma(u2, s12);
            s13 = x.fma(u3, s13);
            x = FloatVector.broadcast(SPECIES, a[a2 + k]);
            s20 = x.fma(u0, s20);
            s21 = x.fma(u1, s21);
            s22 = x.fma(u2, s22);
            s23 = x.fma(u3, s23);
            x = FloatVector.broadcast(SPECIES, a[a3 + k]);
            s30 = x.fma(u0, s30);
            s31 = x.fma(u1, s31);
            s32 = x.fma(u2, s32);
            s33 = x.fma(u3, s33);
        }
        s00.intoArray(acc0, j);
        s01.intoArray(acc0, j1);
        s02.intoArray(acc0, j2);
        s03.intoArray(acc0, j3);
        s10.intoArray(acc1, j);
        s11.intoArray(acc1, j1);
        s12.intoArray(acc1, j2);
        s13.intoArray(acc1, j3);
        s20.intoArray(acc2, j);
        s21.intoArray(acc2, j1);
        s22.intoArray(acc2, j2);
        s23.intoArray(acc2, j3);
        s30.intoArray(acc3, j);
        s31.intoArray(acc3, j1);
        s32.intoArray(acc3, j2);
        s33.intoArray(acc3, j3);
    }

    private static void tile4x2(float[] a, int a0, int a1, int a2, int a3, int kDim, float[][] b, int bRow, int j,
                                float[] acc0, float[] acc1, float[] acc2, float[] acc3, boolean zero) {
        int j1 = j + LANES;
        FloatVector s00 = start(acc0, j, zero), s01 = start(acc0, j1, zero);
        FloatVector s10 = start(acc1, j, zero), s11 = start(acc1, j1, zero);
        FloatVector s20 = start(acc2, j, zero), s21 = start(acc2, j1, zero);
        FloatVector s30 = start(acc3, j, zero), s31 = start(acc3, j1, zero);
        for (int k = 0; k < kDim; k++) {
            float[] row = b[bRow + k];
            FloatVector u0 = FloatVector.fromArray(SPECIES, row, j), u1 = FloatVector.fromArray(SPECIES, row, j1);
            FloatVector x = FloatVector.broadcast(SPECIES, a[a0 + k]);
            s00 = x.fma(u0, s00);
            s01 = x.fma(u1, s01);
            x = FloatVector.broadcast(SPECIES, a[a1 + k]);
            s10 = x.fma(u0, s10);
            s11 = x.fma(u1, s11);
            x = FloatVector.broadcast(SPECIES, a[a2 + k]);
            s20 = x.fma(u0, s20);
            s21 = x.fma(u1, s21);
            x = FloatVector.broadcast(SPECIES, a[a3 + k]);
            s30 = x.fma(u0, s30);
            s31 = x.fma(u1, s31);
        }
        s00.intoArray(acc0, j);
        s01.intoArray(acc0, j1);
        s10.intoArray(acc1, j);
        s11.intoArray(acc1, j1);
        s20.intoArray(acc2, j);
        s21.intoArray(acc2, j1);
        s30.intoArray(acc3, j);
        s31.intoArray(acc3, j1);
    }

    private static void tile4x1(float[] a, int a0, int a1, int a2, int a3, int kDim, float[][] b, int bRow, int j,
                                float[] acc0, float[] acc1, float[] acc2, float[] acc3, boolean zero) {
        FloatVector s0 = start(acc0, j, zero), s1 = start(acc1, j, zero);
        FloatVector s2 = start(acc2, j, zero), s3 = start(acc3, j, zero);
        for (int k = 0; k < kDim; k++) {
            FloatVector u = FloatVector.fromArray(SPECIES, b[bRow + k], j);
            s0 = FloatVector.broadcast(SPECIES, a[a0 + k]).fma(u, s0);
            s1 = FloatVector.broadcast(SPECIES, a[a1 + k]).fma(u, s1);
            s2 = FloatVector.broadcast(SPECIES, a[a2 + k]).fma(u, s2);
            s3 = FloatVector.broadcast(SPECIES, a[a3 + k]).fma(u, s3);
        }
        s0.intoArray(acc0, j);
        s1.intoArray(acc1, j);
        s2.intoArray(acc2, j);
        s3.intoArray(acc3, j);
    }
}
