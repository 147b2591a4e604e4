package dev.roaf.engine.cuda;

/**
 * How the project's own GEMM kernels ({@code kernels/gemm.cu}) cover one product {@code [M,K] x [K,N]}:
 * which tile shape, and into how many slices K is split.
 *
 * <p>Only products with B untransposed are split (the engine asks {@link #unsplit} for the others: no split
 * kernels ship for them). Why split K: a product whose C has few tiles but whose K is long, such as a recurrence's weight
 * gradient {@code dW = d^T h} summed over all T*B rows (C is 128 x 128, K is 78,400 for psMNIST at
 * B = 100), would otherwise run as one to sixteen blocks each walking all of K, on a GPU with a hundred
 * or more SMs. Split, each slice of K gets its own blocks, writing partial products that
 * {@code roaf_splitk_reduce} sums in a fixed order (results do not depend on timing).
 *
 * <p>Choices, in order:
 * <ul>
 *   <li>128 x 128 tiles, K unsplit, when they alone fill the GPU (at least one tile per SM);</li>
 *   <li>32 x 32 tiles, K unsplit, when those fill it, or when K is under {@value #MIN_SPLIT_K}: such a
 *       product is short whatever its grid, and splitting it would add a second launch (the sum), which is
 *       what the per-step products of an LSTM or a per-step recurrence cannot afford;</li>
 *   <li>otherwise split K so that about {@value #BLOCKS_PER_SM} blocks per SM run, with 128 x 128 tiles
 *       when M and N are both at least 96 (their higher arithmetic intensity pays) and 32 x 32 tiles for
 *       skinny products; slices are multiples of 16 (both tiles' K step) and at least {@value #MIN_SLICE}.</li>
 * </ul>
 *
 * @param bigTiles 128 x 128 tiles ({@code roaf_gemm_*}, {@code roaf_splitk_gemm_*}) rather than 32 x 32 ({@code _small_})
 * @param splits   slices of K; 1 means the plain kernels write C directly
 * @param kSlice   length of each slice but the last ({@code (splits - 1) * kSlice < K <= splits * kSlice})
 */
record GemmPlan(boolean bigTiles, int splits, int kSlice) {
    /** Shortest slice of K worth its own blocks and partial product. */
    static final int MIN_SLICE = 256;
    /** Shortest K that is ever split. */
    static final int MIN_SPLIT_K = 2048;
    /** Blocks per SM a split product aims for (two hide each other's memory latency). */
    static final int BLOCKS_PER_SM = 2;
    /** grid.y carries (tiles along M) x (slices) and may not exceed this. */
    static final int MAX_GRID_Y = 65_535;

    /** The plan for {@code C[M,N] = op(A)[M,K] op(B)[K,N]} on a GPU with {@code smCount} SMs. */
    static GemmPlan of(int m, int n, int k, int smCount) {
        if (m <= 0 || n <= 0 || k <= 0 || smCount <= 0) {
            throw new IllegalArgumentException("GemmPlan: M, N, K and the SM count must be positive, got M=" + m + " N=" + n
                    + " K=" + k + " SMs=" + smCount);
        }
        if (tiles(m, 128) * tiles(n, 128) >= smCount) {
            return new GemmPlan(true, 1, k);
        }
        if (tiles(m, 32) * tiles(n, 32) >= smCount || k < MIN_SPLIT_K) {
            return new GemmPlan(false, 1, k);
        }
        boolean big = m >= 96 && n >= 96;
        int tile = big ? 128 : 32;
        long tilesM = tiles(m, tile), tileCount = tilesM * tiles(n, tile);
        long wanted = ((long) BLOCKS_PER_SM * smCount + tileCount - 1) / tileCount;
        long splits = Math.min(Math.min(wanted, k / MIN_SLICE), MAX_GRID_Y / tilesM);
        if (splits < 2) {
            return new GemmPlan(false, 1, k);
        }
        int kSlice = (int) roundUp((k + splits - 1) / splits, 16);
        return new GemmPlan(big, (int) ((k + (long) kSlice - 1) / kSlice), kSlice);
    }

    /** Longest K of the thin-K kernels and widest N of the thin-N kernel ({@code ROAF_THIN} in kernels/gemm.cu). */
    static final int THIN = 16;
    /** Rows of C per block of {@code roaf_thin_n_splitk_gemm_tn} ({@code ROAF_THIN_ROWS}). */
    static final int THIN_ROWS = 128;
    /** Interleaved k-streams per block of it ({@code ROAF_THIN_STREAMS}): blocks of {@code THIN_ROWS * THIN_STREAMS} threads. */
    static final int THIN_STREAMS = 4;
    /** Most K slices of a thin-N product: {@code roaf_splitk_reduce} sums each of its few outputs over all slices alone. */
    static final int THIN_MAX_SPLITS = 128;
    /** Shortest K slice of a thin-N product (rows of A per block). */
    static final int THIN_MIN_SLICE = 64;

    /**
     * Whether {@code op(A) op(B)} runs as {@code roaf_thin_k_gemm_*}: K is at most {@value #THIN} (a recurrence's input
     * projection for all steps, {@code [T*B, I] x [I, N]}), so a 128 x 128 tile would compute mostly zeros while the
     * product is bound by writing C.
     */
    static boolean thinK(int k) {
        return k <= THIN;
    }

    /**
     * Whether {@code A^T B} runs as {@code roaf_thin_n_splitk_gemm_tn} and {@code roaf_splitk_reduce}: B untransposed, N at
     * most {@value #THIN} and K long (a recurrence's input weight gradient {@code dU = d^T x} over all T*B rows), which
     * the split tiles would run at 32 x 32 with all but N of their columns padding.
     */
    static boolean thinN(boolean tA, boolean tB, int n, int k) {
        return tA && !tB && n <= THIN && k >= MIN_SPLIT_K;
    }

    /**
     * The K split of a thin-N product ({@link #thinN}; {@code bigTiles} false): about four blocks of 512 threads per SM
     * over C's {@code ceil(M / 128)} row blocks, at most {@value #THIN_MAX_SPLITS} slices, slices of at least
     * {@value #THIN_MIN_SLICE} rows and a multiple of 4.
     */
    static GemmPlan thinSplit(int m, int k, int smCount) {
        if (m <= 0 || k <= 0 || smCount <= 0) {
            throw new IllegalArgumentException("GemmPlan.thinSplit: M, K and the SM count must be positive, got M=" + m + " K="
                    + k + " SMs=" + smCount);
        }
        long rowBlocks = tiles(m, THIN_ROWS);
        long wanted = (4L * smCount + rowBlocks - 1) / rowBlocks;
        long splits = Math.max(1, Math.min(Math.min(wanted, THIN_MAX_SPLITS), Math.min(k / THIN_MIN_SLICE, MAX_GRID_Y)));
        int kSlice = (int) roundUp((k + splits - 1) / splits, 4);
        return new GemmPlan(false, (int) ((k + (long) kSlice - 1) / kSlice), kSlice);
    }

    /** The plan {@link #of} would give with K never split (for timing the split against it). */
    static GemmPlan unsplit(int m, int n, int k, int smCount) {
        GemmPlan p = of(m, n, k, smCount);
        return p.splits == 1 ? p : new GemmPlan(false, 1, k);
    }

    /** Tiles of {@code size} along one side of {@code length}. */
    static long tiles(int length, int size) {
        return (length + size - 1L) / size;
    }

    private static long roundUp(long v, int multiple) {
        return (v + multiple - 1) / multiple * multiple;
    }

    /** Bytes of the partial products a split plan needs for an M x N result (0 when unsplit). */
    long partialBytes(int m, int n) {
        return splits > 1 ? 4L * splits * m * n : 0;
    }
}
