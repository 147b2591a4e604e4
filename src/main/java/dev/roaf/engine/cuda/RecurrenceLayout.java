package dev.roaf.engine.cuda;

/**
 * How the persistent recurrence kernels of {@code kernels/recurrence.cu} (and the persistent LSTM of
 * {@code kernels/lstm.cu}, on the same teams) split one shape over the GPU,
 * or {@code null} from {@link #forward}/{@link #backward} when they do not cover it (the engine then
 * launches per time step).
 *
 * <p>The model of the kernels: a <em>team</em> of {@code cluster} thread blocks (one block, or a
 * thread-block cluster of 2, 4 or 8 on compute capability 9.0+) owns {@code rows} batch rows for the
 * whole sequence; teams never synchronise with each other, so {@code teams} may exceed what runs at
 * once (the rest run afterwards; slower, still correct). Each block of a team owns {@code units} output
 * units and holds their weight rows in registers: a row of {@code length} floats (forward: N; backward:
 * 2N for a dense filter, [W^T | O^T], else N) is split over {@code segments} lanes (a power of two up to
 * 8) of at most 64 floats each, read as {@code chunks} float4 per lane. So one block holds at most
 * 512 x 64 floats (128 KiB) of weights, which is what decides the cluster size:
 * <ul>
 *   <li>N up to 128 (any filter): one block per team, on every architecture;</li>
 *   <li>wider (dense up to N = 256, permutation/none up to N = 512): a cluster of 2-8 blocks, each
 *       owning a slice of the units and storing its part of each step's vector into every block's
 *       shared memory (distributed shared memory), one cluster barrier per step; sm_90+ only;</li>
 *   <li>anything else: not covered (per-step launches).</li>
 * </ul>
 * The LSTM's rows are four per unit (its i, f, g, o rows of {@code weight_hh}, length N) forward and one of length 4N
 * (the unit's column) backward: N up to 64 in one block, and with clusters up to 256 forward and 128 backward
 * ({@link #lstmForward}, {@link #lstmBackward}).
 *
 * @param cluster     blocks per team (1, 2, 4, 8); the kernel with suffix {@code _x<cluster>} when above 1
 * @param units       output units per block ({@code ceil(N / cluster)})
 * @param rows        batch rows per team (1..{@value #MAX_ROWS})
 * @param segments    lanes per weight row (1, 2, 4, 8)
 * @param chunks      float4 per lane (1..{@value #MAX_CHUNKS})
 * @param threads     threads per block (a multiple of 32, at most {@value #MAX_THREADS})
 * @param teams       teams launched ({@code ceil(B / rows)}); the grid is {@code teams * cluster} blocks
 * @param sharedBytes dynamic shared memory per block
 */
record RecurrenceLayout(int cluster, int units, int rows, int segments, int chunks, int threads, int teams,
                        int sharedBytes) {
    /** ROAF_REC_THREADS in recurrence.cu: one block of 512 threads x at most 128 registers per SM. */
    static final int MAX_THREADS = 512;
    /** ROAF_REC_CHUNKS: 16 float4, 64 weights per thread in registers. */
    static final int MAX_CHUNKS = 16;
    /** ROAF_REC_ROWS: batch rows per team (the kernels pack the row into the upper half of an int). */
    static final int MAX_ROWS = 8;
    /** ROAF_REC_ITEMS: elementwise (row, unit) items per thread. */
    static final int MAX_ITEMS = 2;
    /** Dynamic shared memory a launch may use without opting in (cuFuncSetAttribute above it). */
    static final int DEFAULT_SHARED_LIMIT = 48 * 1024;
    /**
     * Share of the SMs assumed usable by clusters: a cluster must fit inside one GPC, and GPCs hold
     * SM counts that are not multiples of the cluster size (H100 SXM: 132 SMs, about 32 clusters of 4
     * rather than 33). A team too many costs a second wave, i.e. twice the time.
     */
    private static final double CLUSTER_PACKING = 0.85;

    /** The kernel's entry point for this layout. */
    String kernel(String base) {
        return cluster == 1 ? base : base + "_x" + cluster;
    }

    /** One phrase for the engine's log line. */
    String describe() {
        return (cluster == 1 ? "one block" : "a cluster of " + cluster + " blocks") + " per team of " + rows + " batch row"
                + (rows == 1 ? "" : "s") + ", " + teams + " teams, " + threads + " threads, " + units + " units and "
                + segments + "x" + (4 * chunks) + " weights per row in registers";
    }

    /**
     * The layout of {@code roaf_recurrence_forward*} for width {@code n} and {@code batch} rows, or null.
     *
     * @param dense       whether the filter is a dense matrix (two weight rows per unit: W's and O's)
     * @param smCount     the device's SM count
     * @param maxCluster  largest cluster allowed (1 below compute capability 9.0)
     * @param sharedLimit the device's shared memory per block with opt-in (bytes)
     */
    static RecurrenceLayout forward(int n, int batch, boolean dense, int smCount, int maxCluster, int sharedLimit) {
        int rowsPerUnit = dense ? 2 : 1;
        return choose(n, batch, n, rowsPerUnit, rowsPerUnit, smCount, maxCluster, sharedLimit);
    }

    /** The layout of {@code roaf_recurrence_backward*}, or null (rows of length 2N for a dense filter). */
    static RecurrenceLayout backward(int n, int batch, boolean dense, int smCount, int maxCluster, int sharedLimit) {
        return choose(n, batch, dense ? 2 * n : n, 1, 3, smCount, maxCluster, sharedLimit);
    }

    /**
     * The layout of {@code roaf_lstm_forward*} (kernels/lstm.cu), or null: four weight rows of length N per unit (the
     * unit's i, f, g, o rows of {@code weight_hh}). Covers N up to 64 in one block, up to 256 with clusters.
     */
    static RecurrenceLayout lstmForward(int n, int batch, int smCount, int maxCluster, int sharedLimit) {
        return choose(n, batch, n, 4, 4, smCount, maxCluster, sharedLimit);
    }

    /**
     * The layout of {@code roaf_lstm_backward*}, or null: one weight row of length 4N per unit (its column of
     * {@code weight_hh}). Covers N up to 64 in one block, up to 128 with clusters (psMNIST's width: a cluster of 2).
     */
    static RecurrenceLayout lstmBackward(int n, int batch, int smCount, int maxCluster, int sharedLimit) {
        return choose(n, batch, 4 * n, 1, 1, smCount, maxCluster, sharedLimit);
    }

    /**
     * The recurrence's layout with the team shape and the lanes per weight row given rather than chosen ({@code
     * CudaEngine.forceRecurrenceShape}: GpuBench's sweep over the layouts the kernels can run, and the native test that
     * checks each one), or null where the kernels cannot run it: {@code segments} a power of two up to 8 leaving at most
     * {@value #MAX_CHUNKS} float4 per lane, at most {@value #MAX_THREADS} threads, {@value #MAX_ROWS} rows, {@value
     * #MAX_ITEMS} elementwise items per thread, and the shared memory within {@code sharedLimit}. Rows above the batch
     * are cut to it.
     */
    static RecurrenceLayout of(boolean forward, int n, int batch, boolean dense, int cluster, int rows, int segments,
                               int sharedLimit) {
        if (n < 1 || batch < 1 || cluster < 1 || cluster > 8 || Integer.bitCount(cluster) != 1 || rows < 1
                || segments < 1 || segments > 8 || Integer.bitCount(segments) != 1) {
            return null;
        }
        int rowsPerUnit = forward && dense ? 2 : 1;
        return layout(n, batch, forward || !dense ? n : 2 * n, rowsPerUnit, forward ? rowsPerUnit : 3, cluster,
                Math.min(rows, batch), segments, sharedLimit);
    }

    /**
     * @param length      floats per weight row
     * @param rowsPerUnit weight rows per output unit
     * @param unitFloats  shared-memory floats per (batch row, owned unit) beside the two vector buffers
     */
    private static RecurrenceLayout choose(int n, int batch, int length, int rowsPerUnit, int unitFloats, int smCount,
                                           int maxCluster, int sharedLimit) {
        if (n < 1 || batch < 1) {
            return null;
        }
        int segments = 1;
        while (segments <= 8 && 4L * MAX_CHUNKS * segments < length) {
            segments *= 2;
        }
        if (segments > 8) {
            return null;
        }
        for (int cluster = 1; cluster <= Math.min(8, maxCluster); cluster *= 2) {
            int units = (n + cluster - 1) / cluster;
            long threads = roundUp((long) units * rowsPerUnit * segments, 32);
            if (threads > MAX_THREADS) {
                continue;
            }
            // Teams that run at once: blocks of up to 128 registers per thread, 64K registers per SM.
            int blocksPerSm = Math.max(1, MAX_THREADS / (int) threads);
            int concurrent = cluster == 1 ? smCount * blocksPerSm
                    : (int) Math.max(1, Math.floor(smCount * blocksPerSm / (double) cluster * CLUSTER_PACKING));
            // As many rows per team as spread the batch over the teams that run at once, fewer where the elementwise
            // items or the shared memory do not allow them.
            int rows = (int) Math.min(MAX_ROWS, Math.max(1, (batch + (long) concurrent - 1) / Math.max(1, concurrent)));
            for (; rows >= 1; rows--) {
                RecurrenceLayout l = layout(n, batch, length, rowsPerUnit, unitFloats, cluster, rows, segments, sharedLimit);
                if (l != null) {
                    return l;
                }
            }
        }
        return null;
    }

    /**
     * The layout of {@code cluster} blocks per team owning {@code rows} batch rows, each weight row of {@code length}
     * floats over {@code segments} lanes, or null where it breaks one of the kernels' limits (the one place both the
     * choice and a forced layout are built, so that they agree).
     */
    private static RecurrenceLayout layout(int n, int batch, int length, int rowsPerUnit, int unitFloats, int cluster, int rows,
                                           int segments, int sharedLimit) {
        int chunks = (length + 4 * segments - 1) / (4 * segments);
        int units = (n + cluster - 1) / cluster;
        long threads = roundUp((long) units * rowsPerUnit * segments, 32);
        if (chunks > MAX_CHUNKS || threads > MAX_THREADS || rows > MAX_ROWS) {
            return null;
        }
        int shared = shared(rows, 4 * segments * chunks, units, unitFloats);
        if (items(rows, units, (int) threads) > MAX_ITEMS || shared > sharedLimit) {
            return null;
        }
        return new RecurrenceLayout(cluster, units, rows, segments, chunks, (int) threads, (batch + rows - 1) / rows, shared);
    }

    private static int items(int rows, int units, int threads) {
        return (rows * units + threads - 1) / threads;
    }

    /**
     * Dynamic shared memory (bytes), as recurrence.cu and lstm.cu lay it out: the vector buffers [2][rows][stride], then
     * {@code unitFloats} floats per (row, unit): recurrence forward pre[rows][matRows] (1 or 2), backward
     * filterTerm[2][rows][units] and pre[rows][units] (3); LSTM forward pre[rows][4 units] (4), backward pre (1).
     */
    private static int shared(int rows, int stride, int units, int unitFloats) {
        long floats = 2L * rows * stride + (long) rows * units * unitFloats;
        return (int) Math.min(Integer.MAX_VALUE, 4 * floats);
    }

    private static long roundUp(long v, int to) {
        return (v + to - 1) / to * to;
    }
}
