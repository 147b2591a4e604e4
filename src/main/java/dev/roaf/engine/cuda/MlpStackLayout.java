package dev.roaf.engine.cuda;

/**
 * How the fused ROAF-MLP stack kernels of {@code kernels/mlp_stack.cu} split one shape over the GPU, or
 * {@code null} from {@link #forward}/{@link #backward} when they do not cover it (the engine then takes
 * the per-layer path: GEMMs and the epilogue kernels once per layer).
 *
 * <p>The model of the kernels: a <em>team</em> of {@code cluster} blocks (one block, or a thread-block
 * cluster of 2, 4 or 8 on compute capability 9.0+) owns {@code rows} batch rows for all layers; teams never
 * synchronise with each other. Block {@code rank} of a team owns {@code units} output units; for every
 * layer each thread holds, in registers, a slice of one weight row ({@code segments} lanes per row,
 * {@code chunks} float4 per lane, at most {@value #MAX_CHUNKS}) and loads the next layer's slice while the
 * current one is computed. Rows are: forward, W_l's row of each unit and (dense filter) O_l's, of length
 * N; backward, column i of W_l followed (dense) by column i of O_l, of length N or 2N.
 *
 * <p>Choices, in order:
 * <ul>
 *   <li>rows per team: as many as allowed ({@value #MAX_ROWS}): every team streams the whole weight
 *       tensor through its SMs, so fewer teams means less L2 traffic;</li>
 *   <li>segments: the fewest lanes that hold a row in {@value #MAX_CHUNKS} float4, then doubled (up to
 *       {@value #MAX_SEGMENTS}) while each lane keeps at least two float4 and the block stays within
 *       {@value #MAX_THREADS} threads: shorter serial chains per thread;</li>
 *   <li>cluster (sm_90+): the largest of 2, 4, 8 that leaves every block at least
 *       {@value #MIN_UNITS_PER_BLOCK} units and keeps all teams resident at once (teams x cluster &lt;= SMs),
 *       else the smallest that fits; below sm_90 only one block per team.</li>
 * </ul>
 * Covered: N &lt;= 256 for every filter on sm_90+ (clusters of up to 8); on older GPUs (one block) up to
 * about N = 128 without a dense filter and N = 64 with one (exactly: whatever {@link #forward} and
 * {@link #backward} return non-null for).
 *
 * @param cluster     blocks per team (1, 2, 4, 8); the kernel with suffix {@code _x<cluster>} when above 1
 * @param units       output units per block ({@code ceil(N / cluster)})
 * @param rows        batch rows per team (1..{@value #MAX_ROWS})
 * @param segments    lanes per weight row (1..{@value #MAX_SEGMENTS}, a power of two)
 * @param chunks      float4 per lane (1..{@value #MAX_CHUNKS})
 * @param threads     threads per block (a multiple of 32, at most {@value #MAX_THREADS})
 * @param teams       teams launched ({@code ceil(B / rows)}); the grid is {@code teams * cluster} blocks
 * @param sharedBytes dynamic shared memory per block
 */
record MlpStackLayout(int cluster, int units, int rows, int segments, int chunks, int threads, int teams, int sharedBytes) {
    /** ROAF_MLP_THREADS in mlp_stack.cu. */
    static final int MAX_THREADS = 512;
    /** ROAF_MLP_CHUNKS: 8 float4, 32 weights per thread per layer (twice: this layer and the next). */
    static final int MAX_CHUNKS = 8;
    /** ROAF_MLP_ROWS. */
    static final int MAX_ROWS = 8;
    /** ROAF_MLP_ITEMS: elementwise (row, unit) items per thread. */
    static final int MAX_ITEMS = 2;
    /** Lanes per weight row at most (the reduction is a shuffle tree inside half a warp). */
    static final int MAX_SEGMENTS = 16;
    /** A cluster is not widened below this many units per block (the team barrier would dominate). */
    static final int MIN_UNITS_PER_BLOCK = 16;
    /** Dynamic shared memory without opting in. */
    static final int DEFAULT_SHARED_LIMIT = 48 * 1024;

    /** The kernel's entry point for this layout. */
    String kernel(String base) {
        return cluster == 1 ? base : base + "_x" + cluster;
    }

    /** One phrase for the engine's log line. */
    String describe() {
        return (cluster == 1 ? "one block" : "a cluster of " + cluster + " blocks") + " per team of " + rows + " batch row"
                + (rows == 1 ? "" : "s") + ", " + teams + " teams, " + threads + " threads, " + units + " units per block, "
                + segments + "x" + (4 * chunks) + " weights per row streamed through registers";
    }

    /**
     * The layout of {@code roaf_mlp_stack_forward*} (training and inference) for width {@code n} and
     * {@code batch} rows, or null.
     *
     * @param dense       whether the filter is a dense matrix (two weight rows per unit: W's and O's)
     * @param smCount     the device's SM count
     * @param maxCluster  largest cluster allowed (1 below compute capability 9.0)
     * @param sharedLimit the device's shared memory per block with opt-in (bytes)
     */
    static MlpStackLayout forward(int n, int batch, boolean dense, int smCount, int maxCluster, int sharedLimit) {
        return choose(true, n, batch, dense, smCount, maxCluster, sharedLimit);
    }

    /** The layout of {@code roaf_mlp_stack_backward*}, or null (rows of length 2N for a dense filter). */
    static MlpStackLayout backward(int n, int batch, boolean dense, int smCount, int maxCluster, int sharedLimit) {
        return choose(false, n, batch, dense, smCount, maxCluster, sharedLimit);
    }

    private static MlpStackLayout choose(boolean forward, int n, int batch, boolean dense, int smCount, int maxCluster,
                                         int sharedLimit) {
        if (n < 1 || batch < 1) {
            return null;
        }
        MlpStackLayout smallest = null;
        MlpStackLayout best = null;
        for (int cluster = 1; cluster <= Math.min(8, maxCluster); cluster *= 2) {
            MlpStackLayout l = null;
            for (int rows = Math.min(MAX_ROWS, batch); rows >= 1 && l == null; rows--) {
                l = of(forward, n, batch, dense, cluster, rows, sharedLimit);
            }
            if (l == null) {
                continue;
            }
            if (smallest == null) {
                smallest = l;
            }
            boolean wideEnough = cluster == 1 || l.units >= MIN_UNITS_PER_BLOCK;
            boolean resident = (long) l.teams * cluster <= Math.max(1, smCount);
            if (wideEnough && resident) {
                best = l;
            }
        }
        return best != null ? best : smallest;
    }

    /**
     * The layout with {@code cluster} and {@code rows} given, or null when the kernels cannot run it
     * (kernels/emulation/mlp_stack_emulator.cpp applies the same rules; keep them in step).
     */
    static MlpStackLayout of(boolean forward, int n, int batch, boolean dense, int cluster, int rows, int sharedLimit) {
        if (n < 1 || batch < 1 || rows < 1 || rows > MAX_ROWS || n > 65535) {
            return null;
        }
        int length = forward || !dense ? n : 2 * n;
        int rowsPerUnit = forward && dense ? 2 : 1;
        int units = (n + cluster - 1) / cluster;
        long matRows = (long) units * rowsPerUnit;
        int segments = 1;
        while (segments <= MAX_SEGMENTS && 4L * MAX_CHUNKS * segments < length) {
            segments *= 2;
        }
        if (segments > MAX_SEGMENTS) {
            return null;
        }
        while (segments < MAX_SEGMENTS && 8L * (2 * segments) <= length && matRows * 2 * segments <= MAX_THREADS) {
            segments *= 2;
        }
        int chunks = (length + 4 * segments - 1) / (4 * segments);
        long stride = 4L * segments * chunks;
        long itemThreads = ((long) rows * units + MAX_ITEMS - 1) / MAX_ITEMS;
        long threads = roundUp(Math.max(matRows * segments, itemThreads), 32);
        if (threads > MAX_THREADS) {
            return null;
        }
        long floats = forward ? 2L * rows * stride + rows * matRows : 2L * rows * stride + 3L * rows * units;
        if (4 * floats > sharedLimit) {
            return null;
        }
        int teams = (batch + rows - 1) / rows;
        return new MlpStackLayout(cluster, units, rows, segments, chunks, (int) threads, teams, (int) (4 * floats));
    }

    private static long roundUp(long v, int to) {
        return (v + to - 1) / to * to;
    }
}
