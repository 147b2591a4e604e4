package dev.roaf.engine.cuda;

import dev.roaf.engine.Filter;
import dev.roaf.engine.Tensor;
import dev.roaf.engine.cpu.CpuEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static dev.roaf.engine.cuda.GpuTests.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every CUDA kernel against the CPU engine on fresh random inputs, at several shapes including
 * ragged ones (sizes that are not multiples of any tile), with GPU outputs poisoned with NaN.
 * Runs with both GEMM paths when cuBLAS loads. Skipped (not failed) without a GPU.
 */
@Tag("gpu")
class KernelParityTest {
    private final List<Pair> open = new ArrayList<>();
    private SplittableRandom rnd;

    @BeforeEach
    void setUp() {
        assumeGpu();
        rnd = new SplittableRandom(20260127L);
    }

    @AfterEach
    void tearDown() {
        open.forEach(Pair::close);
        open.clear();
    }

    private Pair r(CudaEngine g, double scale, int... shape) {
        Pair p = rand(g, rnd, scale, shape);
        open.add(p);
        return p;
    }

    private Pair nan(CudaEngine g, int... shape) {
        Pair p = poisoned(g, shape);
        open.add(p);
        return p;
    }

    private Pair ints(CudaEngine g, int[] data, int... shape) {
        Pair p = ofInts(g, data, shape);
        open.add(p);
        return p;
    }

    private static CpuEngine c() {
        return cpu();
    }

    // ------------------------------------------------------------------------ elementwise

    @Test
    void fillScaleCopySumOfSquares() {
        for (CudaEngine g : gpus()) {
            for (int n : new int[]{1, 255, 257, 100_003, 3_000_001}) {
                Pair a = r(g, 1, n);
                assertCloseScalar("sumOfSquares n=" + n, c().sumOfSquares(a.c), g.sumOfSquares(a.g));
                c().scale(a.c, -0.37f);
                g.scale(a.g, -0.37f);
                assertClose("scale n=" + n, g, a);
                Pair b = nan(g, n);
                c().copy(a.c, b.c);
                g.copy(a.g, b.g);
                assertClose("copy n=" + n, g, b);
                c().fill(b.c, 2.5f);
                g.fill(b.g, 2.5f);
                assertClose("fill n=" + n, g, b);
            }
        }
    }

    @Test
    void addRowVectorAndSumRows() {
        for (CudaEngine g : gpus()) {
            for (int[] s : new int[][]{{1, 1}, {37, 10}, {1000, 33}, {70_001, 130}, {5, 1031}}) {
                Pair m = r(g, 1, s[0], s[1]);
                Pair bias = r(g, 1, s[1]);
                c().addRowVector(m.c, bias.c);
                g.addRowVector(m.g, bias.g);
                assertClose("addRowVector " + s[0] + "x" + s[1], g, m);
                Pair d = nan(g, s[1]);
                c().sumRows(m.c, 0f, d.c);
                g.sumRows(m.g, 0f, d.g);
                assertClose("sumRows beta=0 " + s[0] + "x" + s[1], g, d);
                c().sumRows(m.c, 0.7f, d.c);
                g.sumRows(m.g, 0.7f, d.g);
                assertClose("sumRows beta=0.7 " + s[0] + "x" + s[1], g, d);
            }
        }
    }

    // ---------------------------------------------------------------------------- products

    @Test
    void gemmAllTransposesRaggedShapes() {
        int[][] shapes = {{1, 1, 1}, {7, 13, 5}, {33, 65, 17}, {128, 128, 128}, {129, 257, 100}, {300, 10, 513}, {1000, 600, 70}};
        for (CudaEngine g : gpus()) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                checkGemmAllTransposes(g, m, n, k, "gemm");
            }
        }
    }

    /** C = alpha op(A) op(B) (+ beta C) for the four transposes, beta 0 (C poisoned) and 0.75, against the CPU. */
    private void checkGemmAllTransposes(CudaEngine g, int m, int n, int k, String label) {
        for (int variant = 0; variant < 4; variant++) {
            boolean tA = (variant & 1) != 0, tB = (variant & 2) != 0;
            Pair a = tA ? r(g, 1, k, m) : r(g, 1, m, k);
            Pair b = tB ? r(g, 1, n, k) : r(g, 1, k, n);
            String what = label + " tA=" + tA + " tB=" + tB + " M=" + m + " N=" + n + " K=" + k;
            Pair cc = nan(g, m, n);
            c().gemm(tA, tB, 1.3f, a.c, b.c, 0f, cc.c);
            g.gemm(tA, tB, 1.3f, a.g, b.g, 0f, cc.g);
            assertClose(what + " beta=0", g, cc);
            c().gemm(tA, tB, -0.5f, a.c, b.c, 0.75f, cc.c);
            g.gemm(tA, tB, -0.5f, a.g, b.g, 0.75f, cc.g);
            assertClose(what + " beta=0.75", g, cc);
        }
    }

    /**
     * The opt-in 128 x 128 tiles (roaf_gemm2_*, -Droaf.cuda.gemm2=true) against the CPU, and bit for bit against the
     * roaf_gemm_* tiles they replace: shapes with enough tiles to fill the GPU (the plan then takes 128 x 128 tiles),
     * ragged against the tile and against float4 rows (K = 129: no row is 16-byte aligned), K shorter than one slice.
     * tt has no gemm2 variant and takes roaf_gemm_tt (checked all the same).
     */
    @Test
    void ownGemm2TilesMatchTheCpuAndTheRoafGemmTiles() {
        int[][] shapes = {{1300, 1700, 70}, {1536, 1536, 129}, {2000, 1201, 5}};
        for (CudaEngine g : gpus()) {
            if (g.usesCublas()) {
                continue;
            }
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                assertTrue(GemmPlan.of(m, n, k, g.smCount()).bigTiles(), "M=" + m + " N=" + n + " should take 128 x 128 tiles");
                for (int variant = 0; variant < 4; variant++) {
                    boolean tA = (variant & 1) != 0, tB = (variant & 2) != 0;
                    Pair a = tA ? r(g, 1, k, m) : r(g, 1, m, k);
                    Pair b = tB ? r(g, 1, n, k) : r(g, 1, k, n);
                    Pair c0 = r(g, 1, m, n);
                    float[] start = g.toHost(c0.g);
                    String what = "gemm2 tA=" + tA + " tB=" + tB + " M=" + m + " N=" + n + " K=" + k;
                    g.gemm(tA, tB, -0.5f, a.g, b.g, 0.75f, c0.g);
                    float[] old = g.toHost(c0.g);
                    g.upload(start, c0.g);
                    g.useGemm2(true);
                    try {
                        g.gemm(tA, tB, -0.5f, a.g, b.g, 0.75f, c0.g);
                    } finally {
                        g.useGemm2(false);
                    }
                    c().gemm(tA, tB, -0.5f, a.c, b.c, 0.75f, c0.c);
                    assertClose(what, g, c0);
                    assertArrayEquals(old, g.toHost(c0.g), what + ": not bit for bit the roaf_gemm tiles' result");
                }
            }
        }
    }

    /**
     * The own GEMM with K split into slices (GemmPlan): few output tiles, long K, as in a recurrence's weight
     * gradients (dW = d^T h over all T*B rows). Only engines on the own kernels; each shape must take the split with B
     * untransposed (a transposed B takes the unsplit kernels: checked all the same).
     */
    @Test
    void ownGemmSplitAlongKMatchesTheCpu() {
        int[][] shapes = {{128, 128, 20_000}, {130, 1, 9_001}, {1, 64, 4_099}, {200, 97, 3_000}};
        for (CudaEngine g : gpus()) {
            if (g.usesCublas()) {
                continue;
            }
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                GemmPlan plan = GemmPlan.of(m, n, k, g.smCount());
                assertTrue(plan.splits() > 1, "M=" + m + " N=" + n + " K=" + k + " should split on " + g.deviceName() + ": " + plan);
                checkGemmAllTransposes(g, m, n, k, "split-K gemm " + plan);
            }
        }
    }

    /**
     * The opt-in thin products (roaf_thin_*, -Droaf.cuda.thinGemm=true) against the CPU: K of 1 to 16 (a recurrence's
     * input projection for all steps: psMNIST, adding, copy) for every transpose, and A^T B with N of 1 to 16 over a long
     * K (that weight's gradient; the other transposes of those shapes take the tiles and are checked all the same).
     * Ragged rows of C against the thin-N kernel's 128, slices that do not divide K.
     */
    @Test
    void ownGemmThinProductsMatchTheCpu() {
        int[][] thinK = {{78_400, 128, 1}, {20_001, 512, 2}, {1_000, 10, 16}, {5, 7, 3}, {70_001, 130, 10}};
        int[][] thinN = {{128, 1, 78_400}, {512, 1, 78_400}, {256, 2, 100_003}, {130, 10, 9_001}, {1, 16, 2_048}, {3_000, 3, 5_001}};
        for (CudaEngine g : gpus()) {
            if (g.usesCublas()) {
                continue;
            }
            g.useThinGemm(true);
            try {
                for (int[] s : thinK) {
                    assertTrue(GemmPlan.thinK(s[2]), Arrays.toString(s));
                    checkGemmAllTransposes(g, s[0], s[1], s[2], "thin-K gemm");
                }
                for (int[] s : thinN) {
                    assertTrue(GemmPlan.thinN(true, false, s[1], s[2]), Arrays.toString(s));
                    checkGemmAllTransposes(g, s[0], s[1], s[2], "thin-N gemm " + GemmPlan.thinSplit(s[0], s[2], g.smCount()));
                }
            } finally {
                g.useThinGemm(false);
            }
        }
    }

    // ------------------------------------------------------------------------------ filters

    /** Filters on both engines: 0 none, 1 identity, 2 dense shared, 3 dense per layer, 4 permutation shared, 5 per layer. */
    private Filter[] filter(CudaEngine g, int variant, int layers, int n) {
        switch (variant) {
            case 0:
                return new Filter[]{Filter.none(), Filter.none()};
            case 1:
                return new Filter[]{Filter.identity(), Filter.identity()};
            case 2:
            case 3: {
                Pair m = variant == 2 ? r(g, 1.0 / Math.sqrt(n), n, n) : r(g, 1.0 / Math.sqrt(n), layers, n, n);
                return new Filter[]{Filter.dense(m.c), Filter.dense(m.g)};
            }
            default: {
                int count = variant == 4 ? 1 : layers;
                int[] idx = new int[count * n];
                float[] sgn = new float[count * n];
                for (int l = 0; l < count; l++) {
                    int[] perm = new int[n];
                    for (int i = 0; i < n; i++) {
                        perm[i] = i;
                    }
                    for (int i = n - 1; i > 0; i--) {
                        int j = rnd.nextInt(i + 1);
                        int t = perm[i];
                        perm[i] = perm[j];
                        perm[j] = t;
                    }
                    for (int i = 0; i < n; i++) {
                        idx[l * n + i] = perm[i];
                        sgn[l * n + i] = rnd.nextBoolean() ? 1f : -1f;
                    }
                }
                int[] shape = variant == 4 ? new int[]{n} : new int[]{layers, n};
                Pair ix = ints(g, idx, shape);
                Pair sg = of(g, sgn, shape);
                open.add(sg);
                return new Filter[]{Filter.signedPermutation(ix.c, sg.c), Filter.signedPermutation(ix.g, sg.g)};
            }
        }
    }

    private static final String[] FILTER_NAMES = {"none", "identity", "dense-shared", "dense-per-layer", "perm-shared", "perm-per-layer"};

    /** The per-layer path (fused stack kernels off): GEMMs and epilogues per layer, batched weight gradients. */
    @Test
    void roafStackForwardBackwardInfer() {
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {4, 33, 65}, {2, 128, 129}};
        for (CudaEngine g : gpus()) {
            g.useFusedStacks(false);
            try {
                for (int[] s : shapes) {
                    for (int fv = 0; fv < 6; fv++) {
                        float alpha = fv == 1 ? 1f : 0.8f, beta = fv == 1 ? 1f : 0.6f;
                        checkStack(g, s[0], s[1], s[2], fv, alpha, beta, 1.5, false, "roafStack per-layer");
                    }
                }
            } finally {
                g.useFusedStacks(true);
            }
        }
    }

    /**
     * The fused all-layer kernels (kernels/mlp_stack.cu) at depths 1 and 3, ragged B and N, every filter
     * kind; asserts that the shapes the layout covers take them (all of these on sm_90+).
     */
    @Test
    void fusedMlpStackShallow() {
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {1, 9, 16}, {3, 33, 65}, {3, 3, 129}, {1, 17, 200}, {3, 8, 256}};
        for (CudaEngine g : gpus()) {
            for (int[] s : shapes) {
                for (int fv = 0; fv < 6; fv++) {
                    float alpha = fv == 1 ? 1f : 0.8f, beta = fv == 1 ? 1f : 0.6f;
                    assertFusedWhereCovered(g, s[1], s[2], fv);
                    checkStack(g, s[0], s[1], s[2], fv, alpha, beta, 1.5, false, "roafStack fused");
                }
            }
        }
    }

    /**
     * The fused kernels over 1,000 layers (ragged B and N, every filter kind). The parameters keep the
     * stack well conditioned so that float rounding does not grow with depth: beta = 2/L and
     * alpha = 1 - beta with orthogonal dense filters (Householder reflections), the plain MLP contractive
     * (alpha 0, beta 1, ||W|| about 1), the residual MLP (alpha = beta = 1) with small W.
     */
    @Test
    void fusedMlpStackThousandLayers() {
        int layers = 1000;
        int[][] shapes = {{7, 33}, {13, 128}};
        for (CudaEngine g : gpus()) {
            for (int[] s : shapes) {
                for (int fv = 0; fv < 6; fv++) {
                    float alpha = fv == 0 ? 0f : fv == 1 ? 1f : 1f - 2f / layers;
                    float beta = fv <= 1 ? 1f : 2f / layers;
                    double wScale = fv == 1 ? 0.05 : 1.0;
                    assertFusedWhereCovered(g, s[0], s[1], fv);
                    checkStack(g, layers, s[0], s[1], fv, alpha, beta, wScale, true, "roafStack fused deep");
                }
            }
        }
    }

    /**
     * Every team shape the fused kernels can run (clusters of 1 to 8 blocks, 1 to 8 batch rows per team), forced on
     * the engine (GpuBench times each), against the CPU: N = 128 with a signed permutation and a dense filter, B = 13
     * (a ragged last team for every rows > 1), 40 layers.
     */
    @Test
    void fusedMlpStackEveryTeamShape() {
        int layers = 40, batch = 13, n = 128;
        for (CudaEngine g : gpus()) {
            int ran = 0;
            try {
                for (int cluster = 1; cluster <= 8; cluster *= 2) {
                    for (int rows = 1; rows <= 8; rows *= 2) {
                        for (int fv : new int[]{5, 3}) {
                            boolean dense = fv == 3;
                            if (!g.mlpStackShapeRuns(cluster, rows, n, batch, dense)) {
                                continue;
                            }
                            g.forceMlpStackShape(cluster, rows);
                            assertTrue(g.fusedStackDescription(n, batch, dense).startsWith("fused"), "cluster " + cluster + " rows " + rows);
                            checkStack(g, layers, batch, n, fv, 1f - 2f / layers, 2f / layers, 1.0, true,
                                    "roafStack fused, team shape cluster " + cluster + " x rows " + rows);
                            ran++;
                        }
                    }
                }
            } finally {
                g.forceMlpStackShape(0, 0);
            }
            assertTrue(ran >= 4, "only " + ran + " team shapes run on " + g.deviceName());
        }
    }

    /**
     * The stack kernels with the 50,000-layer benchmark's layout fixed at compile time (roaf_mlp_stack_*_fixed_x8, opt-in
     * with -Droaf.cuda.fixedStack=true) against the CPU, and bit for bit against the generic kernels, at N = 128 where
     * the layout is theirs (B = 128 as the benchmark, B = 100 with a partly filled last team), per-layer permutations,
     * no filter and the identity; and per-layer dense filters, whose forward only is theirs (the dense backward's rows
     * are 2N long: the generic kernel). sm_90+ only (clusters of 8).
     */
    @Test
    void fixedLayoutStackKernelsMatchTheGenericOnes() {
        int layers = 40, n = 128;
        for (CudaEngine g : gpus()) {
            if (g.computeCapabilityMajor() < 9) {
                assertFalse(g.fixedStackApplies(n, 128, false), "the fixed-layout stack kernels need clusters");
                continue;
            }
            assertTrue(g.fixedStackApplies(n, 128, false), "the benchmark's shape should take the fixed-layout stack kernels: "
                    + g.fusedStackDescription(n, 128, false));
            for (int batch : new int[]{128, 100}) {
                for (int fv : new int[]{5, 0, 1, 3}) {
                    if (!g.fixedStackApplies(n, batch, false)) {
                        continue;
                    }
                    assertFalse(g.fixedStackApplies(n, batch, true), "the dense backward is not the fixed layout");
                    float alpha = fv == 1 ? 1f : fv == 0 ? 0f : 1f - 2f / layers, beta = fv == 1 || fv == 0 ? 1f : 2f / layers;
                    double wScale = fv == 1 ? 0.1 : fv == 0 ? 0.6 : 1.0;
                    g.useFixedStacks(true);
                    try {
                        checkStack(g, layers, batch, n, fv, alpha, beta, wScale, true, "roafStack fixed layout");
                    } finally {
                        g.useFixedStacks(false);
                    }
                    Filter f = fv == 3 ? householder(g, layers, n)[1] : filter(g, fv, layers, n)[1];
                    Pair w = r(g, wScale / Math.sqrt(n), layers, n, n), b = r(g, 0.3, layers, n), gOut = r(g, 1, batch, n);
                    float[] x0 = random(rnd, (long) batch * n, 1);
                    float[][] generic = stackOutputs(g, false, w.g, b.g, f, alpha, beta, x0, gOut.g, layers, batch, n);
                    float[][] fixed = stackOutputs(g, true, w.g, b.g, f, alpha, beta, x0, gOut.g, layers, batch, n);
                    String[] names = {"x", "z", "infer", "d", "g", "dw", "db"};
                    for (int i = 0; i < names.length; i++) {
                        assertArrayEquals(generic[i], fixed[i], "fixed-layout stack B=" + batch + " filter=" + FILTER_NAMES[fv] + ": "
                                + names[i] + " differs from the generic kernels'");
                    }
                }
            }
        }
    }

    /** Forward (x, z), inference and backward (d, g, dW, db) of one stack on the GPU alone, with or without the fixed kernels. */
    private static float[][] stackOutputs(CudaEngine g, boolean fixed, Tensor w, Tensor b, Filter f, float alpha, float beta,
                                          float[] x0, Tensor gOut, int layers, int batch, int n) {
        g.useFixedStacks(fixed);
        try (Tensor x = g.zeros(layers + 1, batch, n); Tensor z = g.zeros(layers, batch, n); Tensor xi = g.zeros(batch, n);
             Tensor gr = g.zeros(batch, n); Tensor dw = g.zeros(layers, n, n); Tensor db = g.zeros(layers, n)) {
            g.upload(x0, x.slice(0));
            g.upload(x0, xi);
            g.roafStackForward(x, w, b, f, alpha, beta, z);
            float[] xOut = g.toHost(x), zOut = g.toHost(z);
            g.roafStackInfer(xi, w, b, f, alpha, beta);
            g.upload(g.toHost(gOut), gr);
            g.roafStackBackward(x, w, f, alpha, beta, z, gr, dw, db);
            return new float[][]{xOut, zOut, g.toHost(xi), g.toHost(z), g.toHost(gr), g.toHost(dw), g.toHost(db)};
        } finally {
            g.useFixedStacks(false);
        }
    }

    /** On sm_90+ every width up to 256 takes the fused kernels; elsewhere whatever MlpStackLayout covers. */
    private static void assertFusedWhereCovered(CudaEngine g, int batch, int n, int fv) {
        boolean dense = fv == 2 || fv == 3;
        String path = g.fusedStackDescription(n, batch, dense);
        if (g.computeCapabilityMajor() >= 9 && n <= 256) {
            assertTrue(path.startsWith("fused"), "N=" + n + " B=" + batch + " should take the fused kernels: " + path);
        }
    }

    /**
     * Forward (x and z), inference and backward (d in z, dLoss/dx_0, all dW and db) of one stack on the CPU
     * and the GPU engine from the same random inputs, GPU outputs poisoned with NaN first.
     *
     * @param orthogonalDense dense filters as Householder reflections (exactly orthogonal) rather than
     *                        random Gaussian matrices
     */
    private void checkStack(CudaEngine g, int layers, int batch, int n, int fv, float alpha, float beta, double wScale,
                            boolean orthogonalDense, String label) {
        String what = label + " L=" + layers + " B=" + batch + " N=" + n + " filter=" + FILTER_NAMES[fv];
        Filter[] f = orthogonalDense && (fv == 2 || fv == 3) ? householder(g, fv == 2 ? 1 : layers, n) : filter(g, fv, layers, n);
        Pair w = r(g, wScale / Math.sqrt(n), layers, n, n);
        Pair b = r(g, 0.3, layers, n);
        Pair x = nan(g, layers + 1, batch, n);
        float[] x0 = random(rnd, (long) batch * n, 1);
        c().upload(x0, x.c.slice(0));
        g.upload(x0, x.g.slice(0));
        Pair z = nan(g, layers, batch, n);
        c().roafStackForward(x.c, w.c, b.c, f[0], alpha, beta, z.c);
        g.roafStackForward(x.g, w.g, b.g, f[1], alpha, beta, z.g);
        assertClose(what + " forward x", g, x);
        assertClose(what + " forward z", g, z);

        Pair xi = of(g, x0, batch, n);
        open.add(xi);
        c().roafStackInfer(xi.c, w.c, b.c, f[0], alpha, beta);
        g.roafStackInfer(xi.g, w.g, b.g, f[1], alpha, beta);
        assertClose(what + " infer", g, xi);

        Pair gr = r(g, 1, batch, n);
        Pair dw = nan(g, layers, n, n);
        Pair db = nan(g, layers, n);
        c().roafStackBackward(x.c, w.c, f[0], alpha, beta, z.c, gr.c, dw.c, db.c);
        g.roafStackBackward(x.g, w.g, f[1], alpha, beta, z.g, gr.g, dw.g, db.g);
        assertClose(what + " backward d (in z)", g, z);
        assertClose(what + " backward g", g, gr);
        assertClose(what + " backward dw", g, dw);
        assertClose(what + " backward db", g, db);
        // The reference itself must be finite: a NaN on both sides would pass assertClose.
        for (Pair p : new Pair[]{x, z, gr, dw, db}) {
            for (float v : c().toHost(p.c)) {
                assertTrue(Float.isFinite(v), what + ": the CPU reference is not finite");
            }
        }
    }

    /** Dense filters {@code I - 2 v v^T / (v^T v)} (exactly orthogonal up to rounding), {@code count} of them. */
    private Filter[] householder(CudaEngine g, int count, int n) {
        float[] m = new float[count * n * n];
        for (int l = 0; l < count; l++) {
            double[] v = new double[n];
            double norm = 0;
            for (int i = 0; i < n; i++) {
                v[i] = rnd.nextDouble() * 2 - 1;
                norm += v[i] * v[i];
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    m[(l * n + i) * n + j] = (float) ((i == j ? 1 : 0) - 2 * v[i] * v[j] / norm);
                }
            }
        }
        Pair p = count == 1 ? of(g, m, n, n) : of(g, m, count, n, n);
        open.add(p);
        return new Filter[]{Filter.dense(p.c), Filter.dense(p.g)};
    }

    /**
     * The per-step path (persistent kernels off) on the original shapes; the same shapes with the
     * persistent kernels are in {@link #persistentRecurrenceShortSequences}.
     */
    @Test
    void recurrenceForwardBackwardPerStep() {
        int[][] shapes = {{1, 3, 5}, {7, 5, 33}, {20, 65, 17}, {50, 100, 128}};
        for (CudaEngine g : gpus()) {
            g.usePersistentRecurrences(false);
            try {
                for (int[] s : shapes) {
                    for (int fv : new int[]{0, 1, 2, 4}) {
                        checkRecurrence(g, s[0], s[1], s[2], fv, LOOSE, "per-step launches");
                    }
                }
            } finally {
                g.usePersistentRecurrences(true);
            }
        }
    }

    /**
     * The per-step path replayed as CUDA graphs (LaunchGraphs): the same tensors, fresh values each round;
     * round 1 runs eagerly, round 2 is captured, round 3 replays. Every round must match the CPU.
     */
    @Test
    void perStepRecurrenceReplayedAsCudaGraphs() {
        int[][] shapes = {{20, 65, 17}, {50, 100, 128}};
        for (CudaEngine g : gpus()) {
            g.usePersistentRecurrences(false);
            g.useLaunchGraphs(true);
            try {
                for (int[] s : shapes) {
                    for (int fv : new int[]{2, 4}) {
                        int steps = s[0], batch = s[1], n = s[2];
                        Filter[] f = filter(g, fv, 1, n);
                        float alpha = LOOSE.alpha(), beta = LOOSE.beta();
                        Pair w = r(g, LOOSE.wScale() / Math.sqrt(n), n, n), p = r(g, 1, steps, batch, n);
                        Pair h = nan(g, steps + 1, batch, n), z = nan(g, steps, batch, n), gOut = r(g, 1, batch, n);
                        Pair gh0 = nan(g, batch, n);
                        long before = g.launchGraphCaptures();
                        for (int round = 1; round <= 3; round++) {
                            String what = "per-step recurrence graphs T=" + steps + " B=" + batch + " N=" + n + " filter="
                                    + FILTER_NAMES[fv] + " round " + round;
                            for (Pair x : new Pair[]{p, gOut}) {
                                float[] v = random(rnd, x.c.size(), 1);
                                c().upload(v, x.c);
                                g.upload(v, x.g);
                            }
                            float[] h0 = random(rnd, (long) batch * n, 0.5);
                            c().upload(h0, h.c.slice(0));
                            g.upload(h0, h.g.slice(0));
                            c().recurrenceForward(p.c, w.c, f[0], alpha, beta, h.c, z.c);
                            g.recurrenceForward(p.g, w.g, f[1], alpha, beta, h.g, z.g);
                            assertClose(what + " forward h", g, h);
                            c().recurrenceBackward(w.c, f[0], alpha, beta, z.c, gOut.c, gh0.c);
                            g.recurrenceBackward(w.g, f[1], alpha, beta, z.g, gOut.g, gh0.g);
                            assertClose(what + " backward d (in z)", g, z);
                            assertClose(what + " backward gH0", g, gh0);
                        }
                        assertEquals(before + 2, g.launchGraphCaptures(),
                                "the forward and backward sweeps should have been captured as graphs on " + g.deviceName());
                    }
                }
            } finally {
                g.useLaunchGraphs(false);
                g.usePersistentRecurrences(true);
            }
        }
    }

    /**
     * Recurrence parameters: W uniform in +-wScale/sqrt(N); alpha and beta (filters other than none);
     * the dense filter's scale (1: the filter variant's own, uniform in +-1/sqrt(N)).
     */
    private record RecurrenceParams(double wScale, float alpha, float beta, double oScale) {
    }

    /** Expanding enough to exercise every term over short sequences (T <= 50). */
    private static final RecurrenceParams LOOSE = new RecurrenceParams(1.2, 0.9f, 0.3f, 1.0);
    /**
     * Contractive (alpha ||O|| + beta ||W|| about 0.85) for long sequences: float32 rounding differences
     * between the engines then decay instead of growing over 784 or 10,000 steps, so 1e-4 stays a
     * statement about the kernels rather than about the chaos of an expanding map.
     */
    private static final RecurrenceParams CONTRACTIVE = new RecurrenceParams(0.6, 0.7f, 0.2f, 1.5);

    /**
     * Forward (with and without z) and backward (last-step and per-step gOut) of one recurrence on the
     * CPU engine and on {@code g}, GPU outputs poisoned with NaN first. Filter variants as {@link #filter}:
     * 0 none (Elman: alpha 0, beta 1), 1 identity, 2 dense, 4 signed permutation.
     */
    private void checkRecurrence(CudaEngine g, int steps, int batch, int n, int fv, RecurrenceParams rp, String path) {
        String what = "recurrence T=" + steps + " B=" + batch + " N=" + n + " filter=" + FILTER_NAMES[fv] + " (" + path + ")";
        Filter[] f;
        if (fv == 2 && rp.oScale() != 1.0) {
            // Uniform entries in +-oScale/sqrt(3N): standard deviation oScale/(3 sqrt N), spectral norm about
            // 2 oScale / 3 (1 for CONTRACTIVE, like the orthogonal filters of the models).
            Pair m = r(g, rp.oScale() / Math.sqrt(3.0 * n), n, n);
            f = new Filter[]{Filter.dense(m.c), Filter.dense(m.g)};
        } else {
            f = filter(g, fv, 1, n);
        }
        float alpha = fv == 0 ? 0f : rp.alpha(), beta = fv == 0 ? 1f : rp.beta();
        Pair w = r(g, rp.wScale() / Math.sqrt(n), n, n);
        Pair p = r(g, 1, steps, batch, n);
        Pair h = nan(g, steps + 1, batch, n);
        float[] h0 = random(rnd, (long) batch * n, 0.5);
        c().upload(h0, h.c.slice(0));
        g.upload(h0, h.g.slice(0));
        Pair z = nan(g, steps, batch, n);
        c().recurrenceForward(p.c, w.c, f[0], alpha, beta, h.c, z.c);
        g.recurrenceForward(p.g, w.g, f[1], alpha, beta, h.g, z.g);
        assertClose(what + " forward h", g, h);
        assertClose(what + " forward z", g, z);
        // Without z (inference).
        Pair h2 = nan(g, steps + 1, batch, n);
        g.upload(h0, h2.g.slice(0));
        c().upload(h0, h2.c.slice(0));
        c().recurrenceForward(p.c, w.c, f[0], alpha, beta, h2.c, null);
        g.recurrenceForward(p.g, w.g, f[1], alpha, beta, h2.g, null);
        assertClose(what + " forward h (z null)", g, h2);
        float[] zForward = c().toHost(z.c);
        for (boolean perStep : new boolean[]{false, true}) {
            String how = what + (perStep ? " per-step gOut" : " last-step gOut");
            // Fresh z (the backward overwrites it with d): the forward's z on both engines.
            Pair zz = of(g, zForward, steps, batch, n);
            open.add(zz);
            Pair gOut = perStep ? r(g, 1, steps, batch, n) : r(g, 1, batch, n);
            Pair gh0 = nan(g, batch, n);
            c().recurrenceBackward(w.c, f[0], alpha, beta, zz.c, gOut.c, gh0.c);
            g.recurrenceBackward(w.g, f[1], alpha, beta, zz.g, gOut.g, gh0.g);
            assertClose(how + " backward d (in z)", g, zz);
            assertClose(how + " backward gH0", g, gh0);
            // gH0 may be null.
            Pair z3 = of(g, zForward, steps, batch, n);
            open.add(z3);
            g.recurrenceBackward(w.g, f[1], alpha, beta, z3.g, gOut.g, null);
            assertClose(how + " backward d (in z), gH0 null", c().toHost(zz.c), g.toHost(z3.g));
        }
        open.forEach(Pair::close);
        open.clear();
    }

    private static String path(CudaEngine g, int n, int batch, int fv) {
        return g.persistentRecurrenceDescription(n, batch, fv == 2);
    }

    @Test
    void persistentRecurrenceShortSequences() {
        // T in {1, 7}, ragged B and N (not multiples of 32, of the rows per team or of the lanes per row).
        int[][] shapes = {{1, 3, 5}, {7, 5, 33}, {1, 100, 128}, {7, 100, 128}, {20, 65, 17}, {7, 1, 64}, {7, 131, 127},
            {50, 100, 128}, {7, 300, 96}};
        for (CudaEngine g : gpus()) {
            for (int[] s : shapes) {
                for (int fv : new int[]{0, 1, 2, 4}) {
                    String path = path(g, s[2], s[1], fv);
                    assertTrue(path.startsWith("persistent"), "N <= 128 must take the persistent kernels: " + path);
                    checkRecurrence(g, s[0], s[1], s[2], fv, LOOSE, path);
                }
            }
        }
    }

    /**
     * The recurrence kernels with the layout fixed at compile time (roaf_recurrence_*_fixed_*, opt-in with
     * -Droaf.cuda.fixedRecurrence=true) against the CPU, and bit for bit against the generic kernels, at the widths
     * whose layout is theirs (psMNIST's N = 128 among them), ragged B, every filter kind, both readouts.
     */
    @Test
    void fixedLayoutRecurrenceKernelsMatchTheGenericOnes() {
        int[][] shapes = {{7, 100, 128}, {50, 37, 128}, {20, 5, 120}, {7, 9, 64}};
        for (CudaEngine g : gpus()) {
            int applied = 0;
            for (int[] s : shapes) {
                int steps = s[0], batch = s[1], n = s[2];
                for (int fv : new int[]{0, 2, 4}) {
                    if (!g.fixedRecurrenceApplies(n, batch, fv == 2)) {
                        continue;
                    }
                    applied++;
                    String what = "fixed-layout recurrence T=" + steps + " B=" + batch + " N=" + n + " filter=" + FILTER_NAMES[fv];
                    g.useFixedRecurrences(true);
                    try {
                        checkRecurrence(g, steps, batch, n, fv, LOOSE, "fixed layout; " + path(g, n, batch, fv));
                    } finally {
                        g.useFixedRecurrences(false);
                    }
                    Filter f = filter(g, fv, 1, n)[1];
                    float alpha = fv == 0 ? 0f : 0.9f, beta = fv == 0 ? 1f : 0.1f;
                    Pair w = r(g, 1 / Math.sqrt(n), n, n), p = r(g, 1, steps, batch, n), gOut = r(g, 1, steps, batch, n);
                    float[] h0 = random(rnd, (long) batch * n, 0.5);
                    float[][] generic = sweeps(g, false, w.g, f, alpha, beta, p.g, h0, gOut.g, steps, batch, n);
                    float[][] fixed = sweeps(g, true, w.g, f, alpha, beta, p.g, h0, gOut.g, steps, batch, n);
                    String[] names = {"h", "z", "d", "gH0"};
                    for (int i = 0; i < names.length; i++) {
                        assertArrayEquals(generic[i], fixed[i], what + ": " + names[i] + " differs from the generic kernels'");
                    }
                }
            }
            assertTrue(g.fixedRecurrenceApplies(128, 100, true), "psMNIST's shape should take the fixed-layout kernels: "
                    + path(g, 128, 100, 2));
            assertTrue(applied >= 4, "the fixed-layout kernels applied to only " + applied + " cases");
        }
    }

    /** Forward (h, z) and backward with per-step gradients (d, gH0) on the GPU alone, with or without the fixed kernels. */
    private static float[][] sweeps(CudaEngine g, boolean fixed, Tensor w, Filter f, float alpha, float beta, Tensor p, float[] h0,
                                    Tensor gOut, int steps, int batch, int n) {
        g.useFixedRecurrences(fixed);
        try (Tensor h = g.zeros(steps + 1, batch, n); Tensor z = g.zeros(steps, batch, n); Tensor gh0 = g.zeros(batch, n)) {
            g.upload(h0, h.slice(0));
            g.recurrenceForward(p, w, f, alpha, beta, h, z);
            float[] hOut = g.toHost(h), zOut = g.toHost(z);
            g.recurrenceBackward(w, f, alpha, beta, z, gOut, gh0);
            return new float[][]{hOut, zOut, g.toHost(z), g.toHost(gh0)};
        } finally {
            g.useFixedRecurrences(false);
        }
    }

    /**
     * The persistent recurrences under every layout they can run (CudaEngine.forceRecurrenceShape: a team of 1-8 blocks
     * owning 1-8 batch rows, 1-8 lanes per weight row), as GpuBench's sweep times them: psMNIST's width and a ragged one,
     * dense and permutation filters, against the CPU. A layout that suits one sweep only leaves the other to per-step
     * launches (checked all the same).
     */
    @Test
    void persistentRecurrenceEveryLayout() {
        int[][] shapes = {{7, 100, 128}, {5, 9, 70}};
        for (CudaEngine g : gpus()) {
            int ran = 0;
            try {
                for (int[] s : shapes) {
                    int steps = s[0], batch = s[1], n = s[2];
                    for (int fv : new int[]{2, 4}) {
                        for (int cluster = 1; cluster <= 8; cluster *= 2) {
                            for (int rows = 1; rows <= 8; rows *= 2) {
                                for (int segments = 1; segments <= 8; segments *= 2) {
                                    boolean fwd = g.recurrenceShapeRuns(true, cluster, rows, segments, n, batch, fv == 2);
                                    boolean bwd = g.recurrenceShapeRuns(false, cluster, rows, segments, n, batch, fv == 2);
                                    if (!fwd && !bwd) {
                                        continue;
                                    }
                                    g.forceRecurrenceShape(cluster, rows, segments);
                                    checkRecurrence(g, steps, batch, n, fv, LOOSE, "forced layout cluster " + cluster + " x "
                                            + rows + " rows x " + segments + " lanes; " + path(g, n, batch, fv));
                                    g.forceRecurrenceShape(0, 0, 0);
                                    ran++;
                                }
                            }
                        }
                    }
                }
            } finally {
                g.forceRecurrenceShape(0, 0, 0);
            }
            assertTrue(ran >= 20, "only " + ran + " layouts run on " + g.deviceName());
        }
    }

    @Test
    void persistentRecurrenceWideStatesUseClustersOnSm90() {
        // N above 128: thread-block clusters on sm_90+ (per-step launches elsewhere, checked all the same).
        int[][] shapes = {{7, 130, 256}, {7, 9, 129}, {12, 33, 200}, {5, 7, 500}, {40, 128, 256}};
        for (CudaEngine g : gpus()) {
            for (int[] s : shapes) {
                for (int fv : new int[]{0, 2, 4}) {
                    int n = s[2];
                    String path = path(g, n, s[1], fv);
                    boolean covered = fv == 2 ? n <= 256 : n <= 512;
                    if (g.computeCapabilityMajor() >= 9 && covered) {
                        assertTrue(path.startsWith("persistent"), "sm_90 must take the cluster kernels for N=" + n + ": " + path);
                    }
                    checkRecurrence(g, s[0], s[1], n, fv, LOOSE, path);
                }
            }
        }
    }

    @Test
    void persistentRecurrenceLongSequences() {
        // T = 784 (psMNIST) at its shape and ragged; T = 10,000 at a small batch and width (quick on the CPU).
        int[][] shapes = {{784, 100, 128}, {784, 37, 45}, {10_000, 3, 17}, {10_000, 2, 130}};
        for (CudaEngine g : gpus()) {
            for (int[] s : shapes) {
                for (int fv : new int[]{0, 2, 4}) {
                    checkRecurrence(g, s[0], s[1], s[2], fv, CONTRACTIVE, path(g, s[2], s[1], fv));
                }
            }
        }
    }

    @Test
    void lstmForwardBackward() {
        int[][] shapes = {{1, 2, 3}, {7, 5, 33}, {12, 33, 20}, {30, 100, 128}};
        for (CudaEngine g : gpus()) {
            g.usePersistentLstm(false);
            for (int[] s : shapes) {
                for (boolean perStep : new boolean[]{false, true}) {
                    checkLstm(g, s[0], s[1], s[2], perStep, "per-step launches");
                }
            }
        }
    }

    /**
     * The persistent LSTM sweeps of kernels/lstm.cu (opt-in: -Droaf.cuda.persistentLstm=true) against the CPU: T in
     * {1, 7, 784}, ragged B and N, psMNIST's shape, both readouts. On sm_90+ every shape here must take them (clusters
     * for N above 64); before, those up to N = 64.
     */
    @Test
    void persistentLstmMatchesTheCpu() {
        int[][] shapes = {{1, 3, 5}, {7, 5, 33}, {7, 100, 64}, {12, 33, 20}, {7, 9, 65}, {30, 100, 128}, {7, 131, 127},
            {784, 100, 128}, {784, 37, 45}};
        for (CudaEngine g : gpus()) {
            g.usePersistentLstm(true);
            try {
                for (int[] s : shapes) {
                    int n = s[2];
                    String path = g.persistentLstmDescription(n, s[1]);
                    if (n <= 64 || g.computeCapabilityMajor() >= 9) {
                        assertTrue(path.startsWith("persistent"), "N=" + n + " must take the persistent LSTM kernels: " + path);
                    }
                    for (boolean perStep : new boolean[]{false, true}) {
                        checkLstm(g, s[0], s[1], n, perStep, path);
                    }
                }
            } finally {
                g.usePersistentLstm(false);
            }
        }
    }

    /** One LSTM forward (with and without gates) and backward on the GPU and the CPU from the same inputs, compared. */
    private void checkLstm(CudaEngine g, int steps, int batch, int n, boolean perStep, String path) {
        String what = "lstm T=" + steps + " B=" + batch + " N=" + n + (perStep ? " per-step gOut" : " last-step gOut") + " (" + path + ")";
        Pair w = r(g, 1.0 / Math.sqrt(n), 4 * n, n);
        Pair p = r(g, 1, steps, batch, 4 * n);
        Pair h = nan(g, steps + 1, batch, n);
        Pair cc = nan(g, steps + 1, batch, n);
        float[] h0 = random(rnd, (long) batch * n, 0.5), c0 = random(rnd, (long) batch * n, 0.5);
        c().upload(h0, h.c.slice(0));
        g.upload(h0, h.g.slice(0));
        c().upload(c0, cc.c.slice(0));
        g.upload(c0, cc.g.slice(0));
        Pair gates = nan(g, steps, batch, 4 * n);
        c().lstmForward(p.c, w.c, h.c, cc.c, gates.c);
        g.lstmForward(p.g, w.g, h.g, cc.g, gates.g);
        assertClose(what + " forward h", g, h);
        assertClose(what + " forward c", g, cc);
        assertClose(what + " forward gates", g, gates);
        Pair gOut = perStep ? r(g, 1, steps, batch, n) : r(g, 1, batch, n);
        c().lstmBackward(w.c, h.c, cc.c, gates.c, gOut.c);
        g.lstmBackward(w.g, h.g, cc.g, gates.g, gOut.g);
        assertClose(what + " backward dGates", g, gates);
        // Forward without gates.
        Pair h2 = nan(g, steps + 1, batch, n), c2 = nan(g, steps + 1, batch, n);
        g.upload(h0, h2.g.slice(0));
        g.upload(c0, c2.g.slice(0));
        c().upload(h0, h2.c.slice(0));
        c().upload(c0, c2.c.slice(0));
        c().lstmForward(p.c, w.c, h2.c, c2.c, null);
        g.lstmForward(p.g, w.g, h2.g, c2.g, null);
        assertClose(what + " forward h (gates null)", g, h2);
        assertClose(what + " forward c (gates null)", g, c2);
    }

    /**
     * The LSTM sweeps replayed as CUDA graphs (LaunchGraphs, -Droaf.cuda.graphs=true): the same tensors, fresh
     * values each round; round 1 runs eagerly, round 2 is captured, round 3 replays. Every round must match the
     * CPU, and the graphs must have been made (not refused).
     */
    @Test
    void lstmSweepsReplayedAsCudaGraphs() {
        int[][] shapes = {{7, 5, 33}, {30, 100, 128}};
        for (CudaEngine g : gpus()) {
            g.useLaunchGraphs(true);
            g.usePersistentLstm(false);  // graphs replay the per-step sweeps
            try {
                for (int[] s : shapes) {
                    int steps = s[0], batch = s[1], n = s[2];
                    Pair w = r(g, 1.0 / Math.sqrt(n), 4 * n, n);
                    Pair p = r(g, 1, steps, batch, 4 * n);
                    Pair h = nan(g, steps + 1, batch, n), cc = nan(g, steps + 1, batch, n), gates = nan(g, steps, batch, 4 * n);
                    Pair gOut = r(g, 1, batch, n);
                    long before = g.launchGraphCaptures();
                    for (int round = 1; round <= 3; round++) {
                        String what = "lstm graphs T=" + steps + " B=" + batch + " N=" + n + " round " + round;
                        for (Pair x : new Pair[]{p, gOut}) {
                            float[] v = random(rnd, x.c.size(), 1);
                            c().upload(v, x.c);
                            g.upload(v, x.g);
                        }
                        float[] h0 = random(rnd, (long) batch * n, 0.5), c0 = random(rnd, (long) batch * n, 0.5);
                        c().upload(h0, h.c.slice(0));
                        g.upload(h0, h.g.slice(0));
                        c().upload(c0, cc.c.slice(0));
                        g.upload(c0, cc.g.slice(0));
                        c().lstmForward(p.c, w.c, h.c, cc.c, gates.c);
                        g.lstmForward(p.g, w.g, h.g, cc.g, gates.g);
                        assertClose(what + " forward h", g, h);
                        assertClose(what + " forward gates", g, gates);
                        c().lstmBackward(w.c, h.c, cc.c, gates.c, gOut.c);
                        g.lstmBackward(w.g, h.g, cc.g, gates.g, gOut.g);
                        assertClose(what + " backward dGates", g, gates);
                    }
                    assertEquals(before + 2, g.launchGraphCaptures(),
                            "the forward and backward sweeps should have been captured as graphs on " + g.deviceName());
                }
            } finally {
                g.useLaunchGraphs(false);
            }
        }
    }

    // ------------------------------------------------------------------------------ losses

    @Test
    void softmaxCrossEntropy() {
        int[][] shapes = {{1, 1}, {37, 10}, {1000, 10}, {300, 129}, {78_400, 10}};
        for (CudaEngine g : gpus()) {
            for (int[] s : shapes) {
                int m = s[0], classes = s[1];
                String what = "softmaxCrossEntropy M=" + m + " C=" + classes;
                int[] labels = new int[m];
                for (int i = 0; i < m; i++) {
                    labels[i] = rnd.nextInt(8) == 0 ? -1 : rnd.nextInt(classes);
                }
                Pair y = ints(g, labels, m);
                Pair logits = r(g, 4, m, classes);
                Pair d = nan(g, m, classes);
                Pair pred = poisonedInts(g, m);
                open.add(pred);
                double lc = c().softmaxCrossEntropy(logits.c, y.c, 0.01f, d.c, pred.c);
                double lg = g.softmaxCrossEntropy(logits.g, y.g, 0.01f, d.g, pred.g);
                assertCloseScalar(what + " loss", lc, lg);
                assertClose(what + " dLogits", g, d);
                assertSameInts(what + " predictions", g, pred);
                // In place, no predictions.
                lc = c().softmaxCrossEntropy(logits.c, y.c, 1f, logits.c, null);
                lg = g.softmaxCrossEntropy(logits.g, y.g, 1f, logits.g, null);
                assertCloseScalar(what + " loss (in place)", lc, lg);
                assertClose(what + " dLogits (in place)", g, logits);
            }
            Pair bad = ints(g, new int[]{0, 10}, 2);
            Pair logits = r(g, 1, 2, 10);
            assertThrows(IllegalArgumentException.class, () -> g.softmaxCrossEntropy(logits.g, bad.g, 1f, null, null));
        }
    }

    @Test
    void squaredError() {
        for (CudaEngine g : gpus()) {
            for (int n : new int[]{1, 100, 12_345, 2_000_001}) {
                Pair p = r(g, 1, n), t = r(g, 1, n), d = nan(g, n);
                assertCloseScalar("squaredError n=" + n, c().squaredError(p.c, t.c, 0.5f, d.c), g.squaredError(p.g, t.g, 0.5f, d.g));
                assertClose("squaredError dPred n=" + n, g, d);
                assertCloseScalar("squaredError in place n=" + n, c().squaredError(p.c, t.c, 0.5f, p.c),
                        g.squaredError(p.g, t.g, 0.5f, p.g));
                assertClose("squaredError dPred in place n=" + n, g, p);
            }
        }
    }

    // ---------------------------------------------------------------------------- optimizers

    @Test
    void sgdAndAdam() {
        for (CudaEngine g : gpus()) {
            for (int n : new int[]{1, 1000, 1_234_567}) {
                Pair p = r(g, 1, n), gr = r(g, 1, n), v = r(g, 0.1, n);
                c().sgdStep(p.c, gr.c, null, 0.1f, 0f);
                g.sgdStep(p.g, gr.g, null, 0.1f, 0f);
                assertClose("sgd n=" + n, g, p);
                c().sgdStep(p.c, gr.c, v.c, 0.1f, 0.9f);
                g.sgdStep(p.g, gr.g, v.g, 0.1f, 0.9f);
                assertClose("sgd momentum n=" + n, g, p);
                assertClose("sgd velocity n=" + n, g, v);
                Pair m = r(g, 0.1, n), vv = of(g, random(rnd, n, 0.01), n);
                open.add(vv);
                c().scale(vv.c, 0f);
                g.scale(vv.g, 0f);
                for (int t = 1; t <= 5; t++) {
                    c().adamStep(p.c, gr.c, m.c, vv.c, 1e-3f, 0.9f, 0.999f, 1e-8f, t);
                    g.adamStep(p.g, gr.g, m.g, vv.g, 1e-3f, 0.9f, 0.999f, 1e-8f, t);
                }
                assertClose("adam params n=" + n, g, p);
                assertClose("adam m n=" + n, g, m);
                assertClose("adam v n=" + n, g, vv);
                // Weight decay: SGD's and Adam's L2 (g + wd p), AdamW's decoupled p *= 1 - lr wd.
                c().sgdStep(p.c, gr.c, v.c, 0.1f, 0.9f, 0.05f);
                g.sgdStep(p.g, gr.g, v.g, 0.1f, 0.9f, 0.05f);
                assertClose("sgd weight decay n=" + n, g, p);
                assertClose("sgd weight decay velocity n=" + n, g, v);
                for (boolean decoupled : new boolean[]{false, true}) {
                    for (int t = 6; t <= 8; t++) {
                        c().adamStep(p.c, gr.c, m.c, vv.c, 1e-2f, 0.9f, 0.999f, 1e-8f, t, 0.1f, decoupled);
                        g.adamStep(p.g, gr.g, m.g, vv.g, 1e-2f, 0.9f, 0.999f, 1e-8f, t, 0.1f, decoupled);
                    }
                    String what = (decoupled ? "adamw" : "adam weight decay") + " n=" + n;
                    assertClose(what + " params", g, p);
                    assertClose(what + " m", g, m);
                    assertClose(what + " v", g, vv);
                }
            }
        }
    }

    @Test
    void tensorsFromAnotherEngineAreRejected() {
        CudaEngine g = gpus().get(0);
        Tensor onCpu = c().zeros(3);
        assertThrows(IllegalArgumentException.class, () -> g.fill(onCpu, 1f));
    }
}
