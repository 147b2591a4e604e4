package dev.roaf.engine.cpu;

import dev.roaf.engine.DType;
import dev.roaf.engine.Engine;
import dev.roaf.engine.Filter;
import dev.roaf.engine.HostRandom;
import dev.roaf.engine.Shapes;
import dev.roaf.engine.Tensor;

import java.util.Arrays;

/**
 * The CPU engine: the reference implementation of every {@link Engine} operation, in float32,
 * multi-threaded.
 *
 * <p>How it is parallel: recurrences and layer stacks are independent across batch rows, so each
 * worker takes a fixed slice of the batch and runs the whole sequence (or the whole stack) on it
 * with no synchronisation per step; weight gradients are then single large products split across
 * workers. Products and activations go through {@link MatKernels}: the Vector API kernels of
 * {@link VectorKernels} when the JVM has the module {@code jdk.incubator.vector}, else loops in
 * "axpy" form over contiguous rows that HotSpot vectorises; the same bits either way. Scratch memory
 * is allocated once per operation, never per step.
 */
public final class CpuEngine implements Engine {
    /** Rows of C handled together by the 4-row kernel; also the grain of the row partitions. */
    private static final int ROW_BLOCK = 4;
    /** Depth of a packed panel of op(B): 256 rows of k. */
    private static final int KC = 256;
    /** Width of a packed panel of op(B): 512 columns (512 KB of panel, inside L2). */
    private static final int NC = 512;

    private final Parallel parallel;
    private volatile boolean closed;

    /** A CPU engine using every available processor. */
    public CpuEngine() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** A CPU engine using {@code threads} worker threads (at least 1). */
    public CpuEngine(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.parallel = new Parallel(threads);
    }

    /** The number of worker threads. */
    public int threads() {
        return parallel.threads();
    }

    @Override
    public String deviceName() {
        int lanes = MatKernels.vectorLanes();
        return "cpu (" + parallel.threads() + (parallel.threads() == 1 ? " thread" : " threads")
                + (lanes > 0 ? ", " + lanes + "-lane vector products)" : ")");
    }

    /**
     * Whether the matrix products run on the JDK's Vector API (the JVM was started with
     * {@code --add-modules jdk.incubator.vector}); otherwise they are loops that HotSpot
     * auto-vectorises, with the same results and about half the speed on AVX-512.
     */
    public static boolean vectorProducts() {
        return MatKernels.VECTOR;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the CPU engine was used after close()");
        }
    }

    private CpuTensor cpu(Tensor t, String name) {
        checkOpen();
        if (t == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (!(t instanceof CpuTensor c)) {
            throw new IllegalArgumentException(name + " lives on another engine: " + t);
        }
        if (!c.isOpen()) {
            throw new IllegalStateException(name + " was used after its storage was closed");
        }
        return c;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    // ----------------------------------------------------------------------------------- memory

    @Override
    public Tensor zeros(DType dtype, int... shape) {
        checkOpen();
        return CpuTensor.allocate(dtype, shape);
    }

    @Override
    public void upload(float[] src, Tensor dst) {
        CpuTensor d = cpu(dst, "dst");
        require(src.length == d.size(), "upload: " + src.length + " floats into " + d);
        System.arraycopy(src, 0, d.f(), d.off(), src.length);
    }

    @Override
    public void upload(int[] src, Tensor dst) {
        CpuTensor d = cpu(dst, "dst");
        require(src.length == d.size(), "upload: " + src.length + " ints into " + d);
        System.arraycopy(src, 0, d.i(), d.off(), src.length);
    }

    @Override
    public void download(Tensor src, float[] dst) {
        CpuTensor s = cpu(src, "src");
        require(dst.length == s.size(), "download: " + s + " into " + dst.length + " floats");
        System.arraycopy(s.f(), s.off(), dst, 0, dst.length);
    }

    @Override
    public void download(Tensor src, int[] dst) {
        CpuTensor s = cpu(src, "src");
        require(dst.length == s.size(), "download: " + s + " into " + dst.length + " ints");
        System.arraycopy(s.i(), s.off(), dst, 0, dst.length);
    }

    @Override
    public void fill(Tensor t, float value) {
        CpuTensor c = cpu(t, "t");
        Arrays.fill(c.f(), c.off(), c.off() + (int) c.size(), value);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        CpuTensor s = cpu(src, "src"), d = cpu(dst, "dst");
        require(s.size() == d.size() && s.dtype() == d.dtype(), "copy: " + s + " into " + d);
        if (s.dtype() == DType.F32) {
            System.arraycopy(s.f(), s.off(), d.f(), d.off(), (int) s.size());
        } else {
            System.arraycopy(s.i(), s.off(), d.i(), d.off(), (int) s.size());
        }
    }

    @Override
    public void scale(Tensor t, float factor) {
        CpuTensor c = cpu(t, "t");
        float[] a = c.f();
        int o = c.off();
        parallel.forRange((int) c.size(), 1 << 14, (p, from, to) -> {
            for (int i = from; i < to; i++) {
                a[o + i] *= factor;
            }
        });
    }

    @Override
    public double sumOfSquares(Tensor t) {
        CpuTensor c = cpu(t, "t");
        float[] a = c.f();
        int o = c.off();
        double[] partial = new double[parallel.threads()];
        parallel.forRange((int) c.size(), 1 << 14, (p, from, to) -> {
            double s = 0;
            for (int i = from; i < to; i++) {
                double v = a[o + i];
                s += v * v;
            }
            partial[p] = s;
        });
        double s = 0;
        for (double v : partial) {
            s += v;
        }
        return s;
    }

    // ---------------------------------------------------------------------------- random draws

    @Override
    public void randomNormal(Tensor t, float mean, float std, long seed) {
        Shapes.randomNormal(t, mean, std);
        draw(cpu(t, "t"), true, mean, std, seed);
    }

    @Override
    public void randomUniform(Tensor t, float lo, float hi, long seed) {
        Shapes.randomUniform(t, lo, hi);
        draw(cpu(t, "t"), false, lo, hi - lo, seed);
    }

    /** Fills {@code c} chunk by chunk (HostRandom's chunks, so the values do not depend on the thread count). */
    private void draw(CpuTensor c, boolean normal, float a, float b, long seed) {
        float[] arr = c.f();
        int off = c.off();
        long n = c.size();
        parallel.forRange(HostRandom.chunks(n), 1, (p, from, to) -> {
            for (int chunk = from; chunk < to; chunk++) {
                HostRandom.fillChunk(arr, off + chunk * HostRandom.CHUNK, n, chunk, normal, a, b, seed);
            }
        });
    }

    // ------------------------------------------------------------------------------- products

    @Override
    public void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        CpuTensor ta = cpu(a, "gemm A"), tb = cpu(b, "gemm B"), tc = cpu(c, "gemm C");
        int m = transA ? ta.cols() : ta.rows();
        int k = transA ? ta.rows() : ta.cols();
        int kb = transB ? tb.cols() : tb.rows();
        int n = transB ? tb.rows() : tb.cols();
        require(k == kb && tc.rows() == m && tc.cols() == n, "gemm: op(A) is [" + m + "," + k + "], op(B) is [" + kb + ","
                + n + "], C is [" + tc.rows() + "," + tc.cols() + "] (A " + ta + " transposed=" + transA + ", B " + tb
                + " transposed=" + transB + ")");
        float[] ca = tc.f();
        int co = tc.off();
        if (beta == 0f) {
            Arrays.fill(ca, co, co + m * n, 0f);
        } else if (beta != 1f) {
            for (int i = 0; i < m * n; i++) {
                ca[co + i] *= beta;
            }
        }
        if (k == 0 || alpha == 0f) {
            return;
        }
        gemmAccumulate(transA, transB, m, n, k, alpha, ta.f(), ta.off(), ta.cols(), tb.f(), tb.off(), tb.cols(), ca, co, n);
    }

    /**
     * {@code C += alpha op(A) op(B)} on raw row-major arrays; {@code lda}, {@code ldb}, {@code ldc}
     * are the row lengths of A, B, C as stored. Narrow outputs are computed transposed (the kernel
     * vectorises along the columns of C, so a C with a handful of columns would not vectorise).
     */
    private void gemmAccumulate(boolean tA, boolean tB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                                float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        if (n < 16 && m >= 4 * n) {
            float[] ct = new float[n * m];
            // C^T = op(B)^T op(A)^T
            gemmAccumulate(!tB, !tA, n, m, k, alpha, b, bOff, ldb, a, aOff, lda, ct, 0, m);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    c[cOff + i * ldc + j] += ct[j * m + i];
                }
            }
            return;
        }
        parallel.forRange(m, ROW_BLOCK, (part, m0, m1) ->
                gemmRows(tA, tB, m0, m1, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc));
    }

    /**
     * Rows {@code [m0, m1)} of {@code C += alpha op(A) op(B)} on the calling thread: op(B) is packed
     * in panels of {@code KC x NC} rows, op(A) in blocks of four rows, then {@link MatKernels}.
     */
    private static void gemmRows(boolean tA, boolean tB, int m0, int m1, int n, int k, float alpha, float[] a, int aOff,
                                 int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        int nc0 = Math.min(NC, n);
        int kc0 = Math.min(KC, k);
        float[][] bp = new float[kc0][nc0];
        float[] ap = new float[ROW_BLOCK * kc0];
        float[][] accs = new float[ROW_BLOCK][nc0];
        for (int k0 = 0; k0 < k; k0 += KC) {
            int kc = Math.min(KC, k - k0);
            for (int n0 = 0; n0 < n; n0 += NC) {
                int nc = Math.min(NC, n - n0);
                // Pack op(B)[k0:k0+kc, n0:n0+nc] k-major.
                for (int kk = 0; kk < kc; kk++) {
                    float[] dst = bp[kk];
                    if (!tB) {
                        System.arraycopy(b, bOff + (k0 + kk) * ldb + n0, dst, 0, nc);
                    } else {
                        for (int j = 0; j < nc; j++) {
                            dst[j] = b[bOff + (n0 + j) * ldb + k0 + kk];
                        }
                    }
                }
                for (int r = m0; r < m1; r += ROW_BLOCK) {
                    int rows = Math.min(ROW_BLOCK, m1 - r);
                    // Pack op(A)[r:r+rows, k0:k0+kc] row-major.
                    for (int q = 0; q < rows; q++) {
                        if (!tA) {
                            System.arraycopy(a, aOff + (r + q) * lda + k0, ap, q * kc, kc);
                        } else {
                            for (int kk = 0; kk < kc; kk++) {
                                ap[q * kc + kk] = a[aOff + (k0 + kk) * lda + r + q];
                            }
                        }
                    }
                    MatKernels.product(ap, 0, kc, kc, bp, 0, nc, rows, accs);
                    for (int q = 0; q < rows; q++) {
                        float[] acc = accs[q];
                        int cr = cOff + (r + q) * ldc + n0;
                        for (int j = 0; j < nc; j++) {
                            c[cr + j] += alpha * acc[j];
                        }
                    }
                }
            }
        }
    }

    @Override
    public void addRowVector(Tensor c, Tensor bias) {
        CpuTensor tc = cpu(c, "c"), tb = cpu(bias, "bias");
        int n = tc.cols();
        require(tb.size() == n, "addRowVector: bias " + tb + " does not match the columns of " + tc);
        float[] ca = tc.f(), ba = tb.f();
        int co = tc.off(), bo = tb.off();
        parallel.forRange(tc.rows(), 64, (p, r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = co + r * n;
                for (int j = 0; j < n; j++) {
                    ca[o + j] += ba[bo + j];
                }
            }
        });
    }

    @Override
    public void sumRows(Tensor src, float beta, Tensor dst) {
        CpuTensor ts = cpu(src, "src"), td = cpu(dst, "dst");
        int n = ts.cols(), m = ts.rows();
        require(td.size() == n, "sumRows: dst " + td + " does not match the columns of " + ts);
        float[] sa = ts.f();
        int so = ts.off();
        int parts = parallel.threads();
        double[][] partial = new double[parts][n];
        parallel.forRange(m, 64, (p, r0, r1) -> {
            double[] acc = partial[p];
            for (int r = r0; r < r1; r++) {
                int o = so + r * n;
                for (int j = 0; j < n; j++) {
                    acc[j] += sa[o + j];
                }
            }
        });
        float[] da = td.f();
        int dof = td.off();
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (double[] acc : partial) {
                s += acc[j];
            }
            da[dof + j] = (float) (beta == 0f ? s : beta * da[dof + j] + s);
        }
    }

    // ------------------------------------------------------------------------ filter helpers

    /**
     * Per-layer operands of a filter on raw arrays: the dense matrix (offset of layer l), or the
     * permutation (index/sign offsets), resolved once per operation.
     */
    private final class FilterArrays {
        final Filter.Kind kind;
        final float[] matrix;
        final int matrixOff;
        final int[] index;
        final int indexOff;
        final float[] sign;
        final int signOff;
        final boolean perLayer;
        final int n;

        FilterArrays(Filter o, int n, int layers, String op) {
            this.kind = o.kind();
            this.n = n;
            this.perLayer = o.perLayer();
            if (perLayer) {
                require(o.layers() == layers, op + ": " + o.layers() + " per-layer filters for " + layers + " layers");
            }
            switch (kind) {
                case DENSE -> {
                    CpuTensor m = cpu(o.matrix(), op + " filter");
                    require(m.dim(-1) == n, op + ": filter " + m + " does not match width " + n);
                    matrix = m.f();
                    matrixOff = m.off();
                    index = null;
                    indexOff = 0;
                    sign = null;
                    signOff = 0;
                }
                case SIGNED_PERMUTATION -> {
                    CpuTensor ix = cpu(o.index(), op + " filter index"), sg = cpu(o.sign(), op + " filter sign");
                    require(ix.dim(-1) == n, op + ": permutation " + ix + " does not match width " + n);
                    matrix = null;
                    matrixOff = 0;
                    index = ix.i();
                    indexOff = ix.off();
                    sign = sg.f();
                    signOff = sg.off();
                }
                default -> {
                    matrix = null;
                    matrixOff = 0;
                    index = null;
                    indexOff = 0;
                    sign = null;
                    signOff = 0;
                }
            }
        }

        /** Offset of layer l's matrix. */
        int mat(int l) {
            return matrixOff + (perLayer ? l * n * n : 0);
        }

        int idx(int l) {
            return indexOff + (perLayer ? l * n : 0);
        }

        int sgn(int l) {
            return signOff + (perLayer ? l * n : 0);
        }
    }

    /**
     * Builds {@code [W^T | O^T]} ({@code [N, width]} k-major) for the forward products: columns
     * {@code 0..N-1} give {@code W h}, columns {@code N..2N-1} (dense filters only) give {@code O h}.
     */
    private static void packForward(float[] w, int wOff, FilterArrays f, int layer, int n, float[][] dst) {
        MatKernels.transposeRows(w, wOff, n, n, dst, 0);
        if (f.kind == Filter.Kind.DENSE) {
            MatKernels.transposeRows(f.matrix, f.mat(layer), n, n, dst, n);
        }
    }

    /**
     * Builds {@code [W; O]} ({@code [width, N]} as rows) for the backward products
     * {@code d W + alpha g O}: rows {@code 0..N-1} are W's, rows {@code N..2N-1} (dense filters
     * only) are O's.
     */
    private static void packBackward(float[] w, int wOff, FilterArrays f, int layer, int n, float[][] dst) {
        MatKernels.copyRows(w, wOff, n, n, dst, 0);
        if (f.kind == Filter.Kind.DENSE) {
            MatKernels.copyRows(f.matrix, f.mat(layer), n, n, dst, n);
        }
    }

    private static int packedWidth(FilterArrays f, int n) {
        return f.kind == Filter.Kind.DENSE ? 2 * n : n;
    }

    /**
     * The forward epilogue for one row: {@code z = tanh(acc + add)}, {@code out = alpha O in + beta z}.
     *
     * @param acc   products for this row: {@code acc[0..N)} = W in (overwritten with z), {@code acc[N..2N)} = O in (dense)
     * @param add   bias or input projection for the row
     */
    private static void forwardEpilogue(float[] acc, float[] add, int addOff, float[] in, int inOff, FilterArrays f,
                                        int layer, float alpha, float beta, float[] out, int outOff, float[] z, int zOff,
                                        int n) {
        // z = tanh(W in + add) for the whole row first, in place of acc[0..N): one vectorisable pass.
        MatKernels.tanhOfSum(acc, 0, add, addOff, acc, 0, n);
        if (z != null) {
            System.arraycopy(acc, 0, z, zOff, n);
        }
        switch (f.kind) {
            case DENSE -> MatKernels.mix(alpha, acc, n, beta, acc, 0, out, outOff, n);
            case IDENTITY -> MatKernels.mix(alpha, in, inOff, beta, acc, 0, out, outOff, n);
            case SIGNED_PERMUTATION -> {
                int io = f.idx(layer), so = f.sgn(layer);
                for (int j = 0; j < n; j++) {
                    out[outOff + j] = MatKernels.flush(alpha * f.sign[so + j] * in[inOff + f.index[io + j]] + beta * acc[j]);
                }
            }
            case NONE -> MatKernels.mix(alpha, null, 0, beta, acc, 0, out, outOff, n);
        }
    }

    /**
     * One forward step for rows {@code [r0, r1)}: products of the input rows with the packed
     * {@code [W^T | O^T]} in blocks of four rows, then the fused epilogue per row.
     *
     * @param addStride 0 when {@code add} is one bias row shared by all rows, else N
     */
    private static void forwardRows(float[] in, int inBase, int r0, int r1, float[][] packed, int n, FilterArrays f,
                                    int layer, float[] add, int addBase, int addStride, float alpha, float beta,
                                    float[] out, int outBase, float[] z, int zBase, float[][] accs) {
        int width = f.kind == Filter.Kind.DENSE ? 2 * n : n;
        int r = r0;
        for (; r + ROW_BLOCK <= r1; r += ROW_BLOCK) {
            MatKernels.product(in, inBase + r * n, n, n, packed, 0, width, ROW_BLOCK, accs);
            for (int q = 0; q < ROW_BLOCK; q++) {
                int row = r + q;
                forwardEpilogue(accs[q], add, addBase + row * addStride, in, inBase + row * n, f, layer, alpha, beta, out,
                        outBase + row * n, z, zBase + row * n, n);
            }
        }
        for (; r < r1; r++) {
            MatKernels.product(in, inBase + r * n, n, n, packed, 0, width, 1, accs);
            forwardEpilogue(accs[0], add, addBase + r * addStride, in, inBase + r * n, f, layer, alpha, beta, out,
                    outBase + r * n, z, zBase + r * n, n);
        }
    }

    /**
     * One backward step for rows {@code [r0, r1)}: given {@code g} (dLoss/d output) and the stored
     * activations {@code z}, writes {@code d = beta (1 - z^2) g} over z and
     * {@code gIn = alpha O^T g + W^T d} (row form: {@code d W + alpha g O}).
     */
    private static void backwardRows(float[] g, int gBase, float[] z, int zBase, int r0, int r1, float[][] packed,
                                     FilterArrays f, int layer, float alpha, float beta, float[] gIn, int gInBase, int n,
                                     float[] coef, float[][] accs) {
        boolean dense = f.kind == Filter.Kind.DENSE;
        int r = r0;
        while (r < r1) {
            int rows = Math.min(ROW_BLOCK, r1 - r);
            // coef rows: [d | alpha g] for dense filters (one product with [W; O]), else [d].
            int cw = dense ? 2 * n : n;
            for (int q = 0; q < rows; q++) {
                int row = r + q;
                int go = gBase + row * n, zo = zBase + row * n, co = q * cw;
                MatKernels.tanhGradient(beta, z, zo, g, go, z, zo, coef, co, n);
                if (dense) {
                    MatKernels.scale(alpha, g, go, coef, co + n, n);
                }
            }
            MatKernels.product(coef, 0, cw, cw, packed, 0, n, rows, accs);
            for (int q = 0; q < rows; q++) {
                int row = r + q;
                int go = gBase + row * n, gi = gInBase + row * n;
                float[] acc = accs[q];
                switch (f.kind) {
                    case SIGNED_PERMUTATION -> {
                        // (O^T g)_{index_j} = sign_j g_j
                        int io = f.idx(layer), so = f.sgn(layer);
                        for (int j = 0; j < n; j++) {
                            acc[f.index[io + j]] += alpha * f.sign[so + j] * g[go + j];
                        }
                    }
                    case IDENTITY -> {
                        for (int j = 0; j < n; j++) {
                            acc[j] += alpha * g[go + j];
                        }
                    }
                    default -> {
                    }
                }
                MatKernels.flushRow(acc, 0, gIn, gi, n);
            }
            r += rows;
        }
    }

    private static float[][] newAccumulators(int width) {
        return new float[][]{new float[width], new float[width], new float[width], new float[width]};
    }

    // ----------------------------------------------------------------------- ROAF layer stacks

    @Override
    public void roafStackForward(Tensor x, Tensor w, Tensor b, Filter o, float alpha, float beta, Tensor z) {
        CpuTensor tx = cpu(x, "x"), tw = cpu(w, "w"), tb = cpu(b, "b"), tz = cpu(z, "z");
        Shapes.Stack dims = Shapes.stackForward(tx, tw, tb, tz);
        int layers = dims.layers(), n = dims.n(), batch = dims.batch();
        FilterArrays f = new FilterArrays(o, n, layers, "roafStackForward");
        float[] xa = tx.f(), wa = tw.f(), ba = tb.f(), za = tz.f();
        int xo = tx.off(), wo = tw.off(), bo = tb.off(), zo = tz.off();
        int width = f.kind == Filter.Kind.DENSE ? 2 * n : n;
        int plane = batch * n;
        parallel.forRange(batch, ROW_BLOCK, (part, r0, r1) -> {
            float[][] packed = new float[n][width];
            float[][] accs = newAccumulators(width);
            for (int l = 0; l < layers; l++) {
                // Each worker packs its own copy: N^2 work against rows*N^2 of products.
                packForward(wa, wo + l * n * n, f, l, n, packed);
                forwardRows(xa, xo + l * plane, r0, r1, packed, n, f, l, ba, bo + l * n, 0, alpha, beta, xa,
                        xo + (l + 1) * plane, za, zo + l * plane, accs);
            }
        });
    }

    @Override
    public void roafStackInfer(Tensor x, Tensor w, Tensor b, Filter o, float alpha, float beta) {
        CpuTensor tx = cpu(x, "x"), tw = cpu(w, "w"), tb = cpu(b, "b");
        Shapes.Stack dims = Shapes.stackInfer(tx, tw, tb);
        int layers = dims.layers(), n = dims.n(), batch = dims.batch();
        FilterArrays f = new FilterArrays(o, n, layers, "roafStackInfer");
        float[] xa = tx.f(), wa = tw.f(), ba = tb.f();
        int xo = tx.off(), wo = tw.off(), bo = tb.off();
        int width = f.kind == Filter.Kind.DENSE ? 2 * n : n;
        parallel.forRange(batch, ROW_BLOCK, (part, r0, r1) -> {
            float[][] packed = new float[n][width];
            float[][] accs = newAccumulators(width);
            int rows = r1 - r0;
            // Ping-pong between the caller's rows and one scratch slice.
            float[] scratch = new float[rows * n];
            float[] cur = xa;
            int curBase = xo + r0 * n;
            for (int l = 0; l < layers; l++) {
                packForward(wa, wo + l * n * n, f, l, n, packed);
                float[] next = cur == xa ? scratch : xa;
                int nextBase = cur == xa ? 0 : xo + r0 * n;
                forwardRows(cur, curBase, 0, rows, packed, n, f, l, ba, bo + l * n, 0, alpha, beta, next, nextBase, null, 0,
                        accs);
                cur = next;
                curBase = nextBase;
            }
            if (cur != xa) {
                System.arraycopy(scratch, 0, xa, xo + r0 * n, rows * n);
            }
        });
    }

    @Override
    public void roafStackBackward(Tensor x, Tensor w, Filter o, float alpha, float beta, Tensor z, Tensor g, Tensor dw,
                                  Tensor db) {
        CpuTensor tx = cpu(x, "x"), tw = cpu(w, "w"), tz = cpu(z, "z"), tg = cpu(g, "g"), tdw = cpu(dw, "dw"),
                tdb = cpu(db, "db");
        Shapes.Stack dims = Shapes.stackBackward(tx, tw, tz, tg, tdw, tdb);
        int layers = dims.layers(), n = dims.n(), batch = dims.batch();
        FilterArrays f = new FilterArrays(o, n, layers, "roafStackBackward");
        float[] xa = tx.f(), wa = tw.f(), za = tz.f(), ga = tg.f();
        int wo = tw.off(), zo = tz.off(), go = tg.off();
        int plane = batch * n;
        // Sweep 1: each worker carries its rows of g down through all layers, leaving d_l in z.
        parallel.forRange(batch, ROW_BLOCK, (part, r0, r1) -> {
            int rows = r1 - r0;
            float[] gCur = new float[rows * n];
            float[] gNext = new float[rows * n];
            System.arraycopy(ga, go + r0 * n, gCur, 0, rows * n);
            float[] coef = new float[ROW_BLOCK * 2 * n];
            float[][] accs = newAccumulators(n);
            float[][] packed = new float[packedWidth(f, n)][n];
            for (int l = layers - 1; l >= 0; l--) {
                packBackward(wa, wo + l * n * n, f, l, n, packed);
                backwardRows(gCur, -r0 * n, za, zo + l * plane, r0, r1, packed, f, l, alpha, beta, gNext,
                        -r0 * n, n, coef, accs);
                float[] t = gCur;
                gCur = gNext;
                gNext = t;
            }
            System.arraycopy(gCur, 0, ga, go + r0 * n, rows * n);
        });
        // Sweep 2: dW_l = d_l^T x_l and db_l = sum_b d_l, one product per layer, layers split across workers.
        float[] dwa = tdw.f(), dba = tdb.f();
        int dwo = tdw.off(), dbo = tdb.off(), xo = tx.off();
        if (layers >= parallel.threads()) {
            parallel.forRange(layers, 1, (part, l0, l1) -> {
                for (int l = l0; l < l1; l++) {
                    weightGradient(za, zo + l * plane, xa, xo + l * plane, batch, n, dwa, dwo + l * n * n, dba, dbo + l * n);
                }
            });
        } else {
            for (int l = 0; l < layers; l++) {
                Arrays.fill(dwa, dwo + l * n * n, dwo + (l + 1) * n * n, 0f);
                gemmAccumulate(true, false, n, n, batch, 1f, za, zo + l * plane, n, xa, xo + l * plane, n, dwa,
                        dwo + l * n * n, n);
                columnSums(za, zo + l * plane, batch, n, dba, dbo + l * n);
            }
        }
    }

    /** Single-threaded {@code dW = D^T X} ([N,N]) and {@code db = sum_rows D} for one layer. */
    private static void weightGradient(float[] d, int dOff, float[] x, int xOff, int rows, int n, float[] dw, int dwOff,
                                       float[] db, int dbOff) {
        Arrays.fill(dw, dwOff, dwOff + n * n, 0f);
        gemmRows(true, false, 0, n, n, rows, 1f, d, dOff, n, x, xOff, n, dw, dwOff, n);
        columnSums(d, dOff, rows, n, db, dbOff);
    }

    private static void columnSums(float[] d, int dOff, int rows, int n, float[] out, int outOff) {
        double[] s = new double[n];
        for (int b = 0; b < rows; b++) {
            int o = dOff + b * n;
            for (int j = 0; j < n; j++) {
                s[j] += d[o + j];
            }
        }
        for (int j = 0; j < n; j++) {
            out[outOff + j] = (float) s[j];
        }
    }

    // ----------------------------------------------------------------------------- recurrences

    @Override
    public void recurrenceForward(Tensor p, Tensor w, Filter o, float alpha, float beta, Tensor h, Tensor z) {
        CpuTensor tp = cpu(p, "p"), tw = cpu(w, "w"), th = cpu(h, "h");
        CpuTensor tz = z == null ? null : cpu(z, "z");
        Shapes.Sequence dims = Shapes.recurrenceForward(tp, tw, o, th, tz);
        int n = dims.n(), steps = dims.steps(), batch = dims.batch();
        FilterArrays f = new FilterArrays(o, n, 1, "recurrenceForward");
        int width = f.kind == Filter.Kind.DENSE ? 2 * n : n;
        float[][] packed = new float[n][width];
        packForward(tw.f(), tw.off(), f, 0, n, packed);
        float[] pa = tp.f(), ha = th.f(), za = tz == null ? null : tz.f();
        int po = tp.off(), ho = th.off(), zo = tz == null ? 0 : tz.off();
        int plane = batch * n;
        parallel.forRange(batch, ROW_BLOCK, (part, r0, r1) -> {
            float[][] accs = newAccumulators(width);
            for (int t = 0; t < steps; t++) {
                forwardRows(ha, ho + t * plane, r0, r1, packed, n, f, 0, pa, po + t * plane, n, alpha, beta, ha,
                        ho + (t + 1) * plane, za, zo + t * plane, accs);
            }
        });
    }

    @Override
    public void recurrenceBackward(Tensor w, Filter o, float alpha, float beta, Tensor z, Tensor gOut, Tensor gH0) {
        CpuTensor tw = cpu(w, "w"), tz = cpu(z, "z"), tg = cpu(gOut, "gOut");
        CpuTensor th0 = gH0 == null ? null : cpu(gH0, "gH0");
        Shapes.Sequence dims = Shapes.recurrenceBackward(tw, o, tz, tg, th0);
        int n = dims.n(), steps = dims.steps(), batch = dims.batch();
        boolean perStep = dims.perStep();
        FilterArrays f = new FilterArrays(o, n, 1, "recurrenceBackward");
        float[] za = tz.f(), ga = tg.f();
        int zo = tz.off(), go = tg.off();
        float[][] packed = new float[packedWidth(f, n)][n];
        packBackward(tw.f(), tw.off(), f, 0, n, packed);
        float[] h0a = th0 == null ? null : th0.f();
        int h0o = th0 == null ? 0 : th0.off();
        int plane = batch * n;
        parallel.forRange(batch, ROW_BLOCK, (part, r0, r1) -> {
            int rows = r1 - r0;
            float[] carry = new float[rows * n];   // dLoss/dh_t flowing back from step t+1
            float[] gCur = new float[rows * n];    // total dLoss/dh_t
            float[] coef = new float[ROW_BLOCK * 2 * n];
            float[][] accs = newAccumulators(n);
            for (int t = steps - 1; t >= 0; t--) {
                if (perStep) {
                    int src = go + t * plane + r0 * n;
                    for (int i = 0; i < rows * n; i++) {
                        gCur[i] = carry[i] + ga[src + i];
                    }
                } else if (t == steps - 1) {
                    System.arraycopy(ga, go + r0 * n, gCur, 0, rows * n);
                } else {
                    System.arraycopy(carry, 0, gCur, 0, rows * n);
                }
                backwardRows(gCur, -r0 * n, za, zo + t * plane, r0, r1, packed, f, 0, alpha, beta, carry, -r0 * n, n, coef,
                        accs);
            }
            if (h0a != null) {
                System.arraycopy(carry, 0, h0a, h0o + r0 * n, rows * n);
            }
        });
    }

    @Override
    public void lstmForward(Tensor p, Tensor w, Tensor h, Tensor c, Tensor gates) {
        CpuTensor tp = cpu(p, "p"), tw = cpu(w, "w"), th = cpu(h, "h"), tc = cpu(c, "c");
        CpuTensor tgt = gates == null ? null : cpu(gates, "gates");
        Shapes.Sequence dims = Shapes.lstmForward(tp, tw, th, tc, tgt);
        int n = dims.n(), n4 = 4 * n, steps = dims.steps(), batch = dims.batch();
        float[][] packed = new float[n][n4];
        MatKernels.transposeRows(tw.f(), tw.off(), n4, n, packed, 0);
        float[] pa = tp.f(), ha = th.f(), ca = tc.f(), gta = tgt == null ? null : tgt.f();
        int po = tp.off(), ho = th.off(), co = tc.off(), gto = tgt == null ? 0 : tgt.off();
        int plane = batch * n, plane4 = batch * n4;
        parallel.forRange(batch, ROW_BLOCK, (part, r0, r1) -> {
            float[][] accs = newAccumulators(n4);
            float[] act = new float[n4];
            for (int t = 0; t < steps; t++) {
                int hPrev = ho + t * plane;
                int r = r0;
                while (r < r1) {
                    int rows = Math.min(ROW_BLOCK, r1 - r);
                    MatKernels.product(ha, hPrev + r * n, n, n, packed, 0, n4, rows, accs);
                    for (int q = 0; q < rows; q++) {
                        int row = r + q;
                        float[] acc = accs[q];
                        int pr = po + t * plane4 + row * n4;
                        // Gates i, f, g, o: sigmoid, sigmoid, tanh, sigmoid of (W h + U x + b).
                        MatKernels.sigmoidOfSum(acc, 0, pa, pr, act, 0, 2 * n);
                        MatKernels.tanhOfSum(acc, 2 * n, pa, pr + 2 * n, act, 2 * n, n);
                        MatKernels.sigmoidOfSum(acc, 3 * n, pa, pr + 3 * n, act, 3 * n, n);
                        int cPrev = co + t * plane + row * n, cNext = cPrev + plane, hNext = ho + (t + 1) * plane + row * n;
                        // c_t, unflushed, into acc[0..N) (free now), then tanh(c_t) there in one pass.
                        MatKernels.lstmCellState(act, ca, cPrev, ca, cNext, acc, n);
                        MatKernels.tanhOfSum(acc, 0, null, 0, acc, 0, n);
                        MatKernels.productFlushed(act, 3 * n, acc, 0, ha, hNext, n);
                        if (gta != null) {
                            System.arraycopy(act, 0, gta, gto + t * plane4 + row * n4, n4);
                        }
                    }
                    r += rows;
                }
            }
        });
    }

    @Override
    public void lstmBackward(Tensor w, Tensor h, Tensor c, Tensor gates, Tensor gOut) {
        CpuTensor tw = cpu(w, "w"), th = cpu(h, "h"), tc = cpu(c, "c"), tgt = cpu(gates, "gates"), tg = cpu(gOut, "gOut");
        Shapes.Sequence dims = Shapes.lstmBackward(tw, th, tc, tgt, tg);
        int n = dims.n(), n4 = 4 * n, steps = dims.steps(), batch = dims.batch();
        boolean perStep = dims.perStep();
        float[] ca = tc.f(), gta = tgt.f(), ga = tg.f();
        int co = tc.off(), gto = tgt.off(), go = tg.off();
        float[][] wRows = new float[n4][n];
        MatKernels.copyRows(tw.f(), tw.off(), n4, n, wRows, 0);
        int plane = batch * n, plane4 = batch * n4;
        parallel.forRange(batch, ROW_BLOCK, (part, r0, r1) -> {
            int rows = r1 - r0;
            float[] dhCarry = new float[rows * n];
            float[] dcCarry = new float[rows * n];
            float[] tanhC = new float[n];
            float[][] accs = newAccumulators(n);
            for (int t = steps - 1; t >= 0; t--) {
                int r = r0;
                while (r < r1) {
                    int blk = Math.min(ROW_BLOCK, r1 - r);
                    for (int q = 0; q < blk; q++) {
                        int row = r + q, lr = (row - r0) * n;
                        int gRow = gto + t * plane4 + row * n4;
                        int cNow = co + (t + 1) * plane + row * n, cPrev = co + t * plane + row * n;
                        int gSrc = perStep ? go + t * plane + row * n : (t == steps - 1 ? go + row * n : -1);
                        MatKernels.tanhOfSum(ca, cNow, null, 0, tanhC, 0, n);
                        MatKernels.lstmGateGradients(gta, gRow, ca, cPrev, tanhC, dhCarry, dcCarry, lr, gSrc >= 0 ? ga : null,
                                gSrc, n);
                    }
                    // dh_{t-1} = dGates W (axpy form over the 4N rows of W).
                    MatKernels.product(gta, gto + t * plane4 + r * n4, n4, n4, wRows, 0, n, blk, accs);
                    for (int q = 0; q < blk; q++) {
                        MatKernels.flushRow(accs[q], 0, dhCarry, (r + q - r0) * n, n);
                    }
                    r += blk;
                }
            }
        });
    }

    // ----------------------------------------------------------------------------------- losses

    @Override
    public double softmaxCrossEntropy(Tensor logits, Tensor labels, float gradScale, Tensor dLogits, Tensor predictions) {
        CpuTensor tl = cpu(logits, "logits"), ty = cpu(labels, "labels");
        CpuTensor td = dLogits == null ? null : cpu(dLogits, "dLogits");
        CpuTensor tp = predictions == null ? null : cpu(predictions, "predictions");
        int m = tl.rows(), classes = tl.cols();
        require(ty.size() == m, "softmaxCrossEntropy: " + ty.size() + " labels for " + m + " rows");
        if (td != null) {
            require(td.size() == tl.size(), "softmaxCrossEntropy: dLogits " + td + " does not match logits " + tl);
        }
        if (tp != null) {
            require(tp.size() == m, "softmaxCrossEntropy: predictions " + tp + " for " + m + " rows");
        }
        float[] la = tl.f(), da = td == null ? null : td.f();
        int[] ya = ty.i(), pa = tp == null ? null : tp.i();
        int lo = tl.off(), dOff = td == null ? 0 : td.off(), yo = ty.off(), po = tp == null ? 0 : tp.off();
        double[] partial = new double[parallel.threads()];
        parallel.forRange(m, 256, (part, r0, r1) -> {
            double sum = 0;
            for (int r = r0; r < r1; r++) {
                int base = lo + r * classes;
                int label = ya[yo + r];
                require(label < classes, "softmaxCrossEntropy: label " + label + " out of range [0," + classes + ")");
                float max = Float.NEGATIVE_INFINITY;
                int arg = 0;
                for (int j = 0; j < classes; j++) {
                    float v = la[base + j];
                    if (v > max || Float.isNaN(v)) {
                        max = v;
                        arg = j;
                        if (Float.isNaN(v)) {
                            break;
                        }
                    }
                }
                if (pa != null) {
                    pa[po + r] = arg;
                }
                double z = 0;
                for (int j = 0; j < classes; j++) {
                    z += Math.exp(la[base + j] - max);
                }
                double logZ = Math.log(z) + max;
                if (label >= 0) {
                    sum += logZ - la[base + label];
                }
                if (da != null) {
                    int dbase = dOff + r * classes;
                    for (int j = 0; j < classes; j++) {
                        float prob = (float) Math.exp(la[base + j] - logZ);
                        da[dbase + j] = label < 0 ? 0f : gradScale * (prob - (j == label ? 1f : 0f));
                    }
                }
            }
            partial[part] = sum;
        });
        double s = 0;
        for (double v : partial) {
            s += v;
        }
        return s;
    }

    @Override
    public double squaredError(Tensor pred, Tensor target, float gradScale, Tensor dPred) {
        CpuTensor tp = cpu(pred, "pred"), tt = cpu(target, "target");
        CpuTensor td = dPred == null ? null : cpu(dPred, "dPred");
        require(tp.size() == tt.size(), "squaredError: pred " + tp + " and target " + tt + " differ in size");
        if (td != null) {
            require(td.size() == tp.size(), "squaredError: dPred " + td + " does not match pred " + tp);
        }
        float[] pa = tp.f(), ta = tt.f(), da = td == null ? null : td.f();
        int po = tp.off(), to = tt.off(), dOff = td == null ? 0 : td.off();
        double sum = 0;
        for (int i = 0; i < tp.size(); i++) {
            float e = pa[po + i] - ta[to + i];
            sum += (double) e * e;
            if (da != null) {
                da[dOff + i] = gradScale * 2f * e;
            }
        }
        return sum;
    }

    // ------------------------------------------------------------------------------- optimizers

    @Override
    public void sgdStep(Tensor params, Tensor grads, Tensor velocity, float lr, float momentum, float weightDecay) {
        CpuTensor tp = cpu(params, "params"), tg = cpu(grads, "grads");
        require(tp.size() == tg.size(), "sgdStep: params " + tp + " and grads " + tg + " differ in size");
        requireWeightDecay("sgdStep", weightDecay);
        CpuTensor tv = momentum != 0f ? cpu(velocity, "velocity") : null;
        if (tv != null) {
            require(tv.size() == tp.size(), "sgdStep: velocity " + tv + " does not match params " + tp);
        }
        float[] pa = tp.f(), ga = tg.f(), va = tv == null ? null : tv.f();
        int po = tp.off(), go = tg.off(), vo = tv == null ? 0 : tv.off();
        // g + wd p as one fused multiply-add, as the kernel (exactly g when wd = 0).
        parallel.forRange((int) tp.size(), 1 << 14, (part, from, to) -> {
            if (va == null) {
                for (int i = from; i < to; i++) {
                    float p = pa[po + i];
                    pa[po + i] = p - lr * Math.fma(weightDecay, p, ga[go + i]);
                }
            } else {
                for (int i = from; i < to; i++) {
                    float p = pa[po + i];
                    float v = momentum * va[vo + i] + Math.fma(weightDecay, p, ga[go + i]);
                    va[vo + i] = v;
                    pa[po + i] = p - lr * v;
                }
            }
        });
    }

    @Override
    public void adamStep(Tensor params, Tensor grads, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                         int t, float weightDecay, boolean decoupled) {
        CpuTensor tp = cpu(params, "params"), tg = cpu(grads, "grads"), tm = cpu(m, "m"), tv = cpu(v, "v");
        require(tp.size() == tg.size() && tp.size() == tm.size() && tp.size() == tv.size(),
                "adamStep: params, grads, m and v must have the same size");
        require(t >= 1, "adamStep: step t must be at least 1, got " + t);
        requireWeightDecay("adamStep", weightDecay);
        float[] pa = tp.f(), ga = tg.f(), ma = tm.f(), va = tv.f();
        int po = tp.off(), go = tg.off(), mo = tm.off(), vo = tv.off();
        // Same arithmetic as torch.optim.Adam / AdamW (non-fused): step size lr / bc1, denominator
        // sqrt(v)/sqrt(bc2) + eps; L2 adds wd p to the gradient, decoupled decay multiplies p by 1 - lr wd.
        double bc1 = 1.0 - Math.pow(beta1, t);
        double bc2 = 1.0 - Math.pow(beta2, t);
        float stepSize = (float) (lr / bc1);
        float sqrtBc2 = (float) Math.sqrt(bc2);
        float l2 = decoupled ? 0f : weightDecay;
        float shrink = decoupled ? (float) (1.0 - (double) lr * weightDecay) : 1f;
        parallel.forRange((int) tp.size(), 1 << 14, (part, from, to) -> {
            for (int i = from; i < to; i++) {
                float p = pa[po + i];
                float g = Math.fma(l2, p, ga[go + i]);
                float mv = beta1 * ma[mo + i] + (1f - beta1) * g;
                float vv = beta2 * va[vo + i] + (1f - beta2) * g * g;
                ma[mo + i] = mv;
                va[vo + i] = vv;
                pa[po + i] = p * shrink - stepSize * mv / ((float) Math.sqrt(vv) / sqrtBc2 + eps);
            }
        });
    }

    private static void requireWeightDecay(String op, float weightDecay) {
        require(weightDecay >= 0f && !Float.isInfinite(weightDecay),
                op + ": weight decay must be a finite number >= 0, got " + weightDecay);
    }

    @Override
    public void close() {
        closed = true;
        parallel.close();
    }
}
