package dev.roaf.engine.cuda;

import dev.roaf.JsonText;
import dev.roaf.engine.Filter;
import dev.roaf.engine.Tensor;
import jcuda.driver.CUevent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.SplittableRandom;

import static jcuda.driver.JCudaDriver.*;

/**
 * Timings for native-tests/gpu-check.sh: CUDA events on the engine's stream after warm-up, median of
 * repeated runs, against the floor (FLOPs / peak). Prints a short table and writes it to
 * {@code <dir>/gpu-check-<card>-<date>.md}, and the same rows as JSON ({@code what, ms, floor_ms}) to
 * {@code <dir>/gpu-check-<card>-<date>.json} for native-tests/ratios.py (own GEMM against PyTorch's cuBLAS
 * when JCublas does not load). Usage: {@code GpuBench <results-dir>}.
 * The peak numbers are the H100 SXM datasheet's (FP32 67 TFLOP/s, HBM3 3.35 TB/s); other cards are
 * reported against the same numbers, so read the ratios with the card name.
 */
public final class GpuBench {
    private static final double PEAK_FLOPS = 67e12;
    private static final double PEAK_BYTES = 3.35e12;
    private final List<String> rows = new ArrayList<>();
    private final List<Map<String, Object>> jsonRows = new ArrayList<>();

    private interface Work {
        void run();
    }

    /** Median milliseconds of {@code reps} timed runs after {@code warm} untimed ones. */
    private static double time(CudaEngine e, int warm, int reps, Work w) {
        e.makeCurrent();
        for (int i = 0; i < warm; i++) {
            w.run();
        }
        e.synchronize();
        CUevent a = new CUevent(), b = new CUevent();
        cuEventCreate(a, 0);
        cuEventCreate(b, 0);
        double[] ms = new double[reps];
        float[] out = new float[1];
        for (int i = 0; i < reps; i++) {
            cuEventRecord(a, e.stream());
            w.run();
            cuEventRecord(b, e.stream());
            cuEventSynchronize(b);
            cuEventElapsedTime(out, a, b);
            ms[i] = out[0];
        }
        cuEventDestroy(a);
        cuEventDestroy(b);
        Arrays.sort(ms);
        return ms[reps / 2];
    }

    private void row(String what, double ms, double floorMs, String note) {
        rows.add(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %.2f | %s |", what, ms, floorMs, ms / floorMs, note));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("what", what);
        json.put("ms", Double.isFinite(ms) ? ms : null); // null: a failed timing
        json.put("floor_ms", floorMs);
        jsonRows.add(json);
        try {
            write(); // after every row: gpu-check's time bound may stop the run, and what finished must survive it
        } catch (IOException x) {
            throw new java.io.UncheckedIOException(x);
        }
    }

    /** Where {@link #write} puts the tables, and what their header says; set by {@link #run}. */
    private Path outDir;
    private String card = "unknown card", gemmPath = "unknown";

    /** The markdown table, with its header. */
    private String table() {
        StringBuilder out = new StringBuilder();
        out.append("# gpu-check timings: ").append(card).append(", ").append(LocalDate.now()).append("\n\n");
        out.append("CUDA events on the engine stream, median after warm-up. Floor = FLOPs / 67 TFLOP/s (FP32) or bytes / 3.35 TB/s")
                .append(" (H100 SXM datasheet). GEMM path of the default engine: ").append(gemmPath).append(".\n\n");
        out.append("| what | ms (median) | floor ms | x floor | note |\n| --- | --- | --- | --- | --- |\n");
        for (String row : rows) {
            out.append(row).append('\n');
        }
        return out.toString();
    }

    /** Writes the rows so far as gpu-check-&lt;card&gt;-&lt;date&gt;.md and .json in {@link #outDir}; returns the .md file. */
    private Path write() throws IOException {
        if (outDir == null) {
            return null;
        }
        Files.createDirectories(outDir);
        String slug = card.replaceAll("[^A-Za-z0-9]+", "-").replaceAll("^-|-$", "");
        String name = (sweepsOnly ? "gpu-check-sweeps-" : "gpu-check-") + slug + "-" + LocalDate.now();
        Path file = outDir.resolve(name + ".md");
        Files.writeString(file, table());
        Files.writeString(outDir.resolve(name + ".json"), JsonText.pretty(jsonRows) + "\n");
        return file;
    }

    static Tensor rand(CudaEngine e, SplittableRandom r, double scale, int... shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] a = new float[Math.toIntExact(n)];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        }
        return e.fromHost(a, shape);
    }

    /** Whether this run does only the layout sweeps (7, 8), and writes them as gpu-check-sweeps-&lt;card&gt;-&lt;date&gt;. */
    private boolean sweepsOnly;

    /**
     * {@code GpuBench [DIR] [sweeps]}: every timing into DIR (default bench/results), or with {@code sweeps} only the
     * sweeps over layouts (the last part of a full run, which gpu-check's time bound may cut: a call of their own).
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "bench/results");
        CudaProbe p = CudaProbe.get();
        if (!p.usable()) {
            System.out.println("GpuBench: " + p.reason());
            return;
        }
        GpuBench bench = new GpuBench();
        bench.sweepsOnly = args.length > 1 && args[1].equals("sweeps");
        bench.run(dir);
    }

    private void run(Path dir) throws IOException {
        SplittableRandom r = new SplittableRandom(1);
        CudaEngine auto = new CudaEngine(0, CudaEngine.GemmPath.AUTO, System.out::println);
        CudaEngine own = auto.usesCublas() ? new CudaEngine(0, CudaEngine.GemmPath.OWN, System.out::println) : auto;
        card = auto.deviceName();
        gemmPath = auto.gemmDescription();
        outDir = dir;
        if (!sweepsOnly) {
            kernelTimings(auto, own, r);
        }

        // 7. The fused stack under every team shape (last: forced shapes the layout never chose have not run on a GPU).
        stackTeamShapes(auto, r);

        // 8. The persistent recurrences under every layout they can run (last, for the same reason).
        recurrenceLayouts(auto, r);

        Path file = write();
        System.out.println();
        System.out.print(table());
        System.out.println("\nwritten to " + file);
        if (own != auto) {
            own.close();
        }
        auto.close();
    }

    /** Timings 1-6: products, engine overhead, the ROAF layer, the deep MLP step, the recurrences, the LSTM, Adam. */
    private void kernelTimings(CudaEngine auto, CudaEngine own, SplittableRandom r) {
        // 1. GEMM 4096^3, both paths.
        int s = 4096;
        double gemmFloor = 2.0 * s * s * s / PEAK_FLOPS * 1e3;
        double cublasMs = Double.NaN;
        for (CudaEngine e : auto == own ? List.of(own) : List.of(auto, own)) {
            Tensor a = rand(e, r, 1, s, s), b = rand(e, r, 1, s, s), c = e.zeros(s, s);
            double ms = time(e, 2, 7, () -> e.gemm(false, false, 1f, a, b, 0f, c));
            if (e.usesCublas()) {
                cublasMs = ms;
            }
            row("gemm 4096^3 (" + e.gemmDescription() + ")", ms, gemmFloor,
                    String.format(Locale.ROOT, "%.1f TFLOP/s", 2.0 * s * s * s / ms / 1e9)
                            + (e == own && !Double.isNaN(cublasMs) ? String.format(Locale.ROOT, ", %.2fx cuBLAS", ms / cublasMs) : ""));
            if (e == own) {
                // The opt-in tile (roaf_gemm2_*: float4 shared reads, double buffering), same tensors, same results.
                own.useGemm2(true);
                double ms2 = Double.NaN;
                String note;
                try {
                    ms2 = time(own, 2, 7, () -> own.gemm(false, false, 1f, a, b, 0f, c));
                    note = String.format(Locale.ROOT, "%.1f TFLOP/s; %.2fx the roaf_gemm tiles' time", 2.0 * s * s * s / ms2 / 1e9,
                            ms2 / ms) + (!Double.isNaN(cublasMs) ? String.format(Locale.ROOT, ", %.2fx cuBLAS", ms2 / cublasMs) : "");
                } catch (RuntimeException x) {
                    note = "failed: " + x.getMessage();
                } finally {
                    own.useGemm2(false);
                }
                row("gemm 4096^3, own roaf_gemm2 tiles (-Droaf.cuda.gemm2=true)", ms2, gemmFloor, note);
            }
            a.close();
            b.close();
            c.close();
        }

        // 1b. A recurrence's weight gradient on the own GEMM (psMNIST: dW = d^T h, [128 x 78,400] x [78,400 x 128]),
        // K split into slices (GemmPlan) against one pass over all of K per tile.
        {
            int n = 128, rows = 784 * 100;
            Tensor d = rand(own, r, 1, rows, n), h = rand(own, r, 1, rows, n), dw = own.zeros(n, n);
            double split = time(own, 3, 21, () -> own.gemm(true, false, 1f, d, h, 0f, dw));
            own.useSplitGemmK(false);
            double whole;
            try {
                whole = time(own, 2, 7, () -> own.gemm(true, false, 1f, d, h, 0f, dw));
            } finally {
                own.useSplitGemmK(true);
            }
            double flops = 2.0 * n * n * rows;
            row("own gemm dW = d^T h, K=78,400 (psMNIST T*B), N=128, split along K", split, flops / PEAK_FLOPS * 1e3,
                    String.format(Locale.ROOT, "%s; unsplit %.3f ms: split is %.1fx faster", GemmPlan.of(n, n, rows, own.smCount()),
                            whole, whole / split));
            for (Tensor t : new Tensor[]{d, h, dw}) {
                t.close();
            }
        }

        // 1b'. The thin products of a recurrence with few inputs per step on the own GEMM, the opt-in roaf_thin_* kernels
        // (-Droaf.cuda.thinGemm=true) against the tiles: psMNIST's input projection U x_t for all steps ([78,400 x 1] x
        // [1 x 128], bound by writing C) and its gradient dU = d^T x ([128 x 78,400] x [78,400 x 1], bound by reading d),
        // and adding's dU at T = 10,000, B = 128, N = 256 (two inputs). Floor: the bytes each must move.
        {
            int[][] thin = {{784 * 100, 128, 1, 0}, {128, 1, 784 * 100, 1}, {256, 2, 10_000 * 128, 1}};
            String[] names = {"U x for all steps, psMNIST (NT M=78,400 N=128 K=1)", "dU = d^T x, psMNIST (TN M=128 N=1 K=78,400)",
                    "dU = d^T x, adding T=10,000 B=128 N=256 (TN M=256 N=2 K=1,280,000)"};
            for (int i = 0; i < thin.length; i++) {
                int m = thin[i][0], n = thin[i][1], k = thin[i][2];
                boolean tn = thin[i][3] == 1;
                Tensor a = tn ? rand(own, r, 1, k, m) : rand(own, r, 1, m, k), b = tn ? rand(own, r, 1, k, n) : rand(own, r, 1, n, k);
                Tensor c = own.zeros(m, n);
                double tiles = time(own, 2, 11, () -> own.gemm(tn, !tn, 1f, a, b, 0f, c));
                double fast = Double.NaN;
                String note;
                own.useThinGemm(true);
                try {
                    fast = time(own, 2, 11, () -> own.gemm(tn, !tn, 1f, a, b, 0f, c));
                    note = String.format(Locale.ROOT, "tiles %.4f ms: thin is %.2fx faster", tiles, tiles / fast)
                            + (tn ? "; " + GemmPlan.thinSplit(m, k, own.smCount()) : "");
                } catch (RuntimeException x) {
                    note = "failed: " + x.getMessage();
                } finally {
                    own.useThinGemm(false);
                }
                double bytes = 4.0 * ((double) m * k + (double) k * n + (double) m * n);
                row("own gemm, thin kernels (-Droaf.cuda.thinGemm=true): " + names[i], fast, bytes / PEAK_BYTES * 1e3, note);
                for (Tensor t : new Tensor[]{a, b, c}) {
                    t.close();
                }
            }
        }

        // 1c. What one engine operation costs when the GPU has nothing to do: the host's path through op(), the
        // argument marshalling and JCuda's cuLaunchKernel, against the kernel's own time on the stream. Per-step
        // recurrences (LSTM, and the fallbacks) issue several operations a step, so this bounds them.
        {
            Tensor one = own.zeros(1);
            int ops = 2000;
            for (int i = 0; i < 200; i++) {
                own.fill(one, 0f);
            }
            own.synchronize();
            long t0 = System.nanoTime();
            for (int i = 0; i < ops; i++) {
                own.fill(one, 0f);
            }
            double enqueueUs = (System.nanoTime() - t0) / 1e3 / ops;
            own.synchronize();
            double wallMs = (System.nanoTime() - t0) / 1e6 / ops;
            double streamMs = time(own, 1, 5, () -> {
                for (int i = 0; i < ops; i++) {
                    own.fill(one, 0f);
                }
            }) / ops;
            row("engine operation overhead: fill of 1 float, 2,000 in a row (wall per op; floor = stream time per op)", wallMs,
                    streamMs, String.format(Locale.ROOT, "host enqueue %.2f us per op, wall %.2f us, stream %.2f us", enqueueUs,
                            wallMs * 1e3, streamMs * 1e3));
            one.close();
        }

        // 2. ROAF layer forward + backward, B=128 N=1024, one dense layer, vs its five products alone.
        for (CudaEngine e : auto == own ? List.of(own) : List.of(auto, own)) {
            int bsz = 128, n = 1024;
            Tensor x = e.zeros(2, bsz, n), w = rand(e, r, 1.0 / 32, 1, n, n), bias = rand(e, r, 0.1, 1, n);
            Tensor o = rand(e, r, 1.0 / 32, n, n), z = e.zeros(1, bsz, n), g = rand(e, r, 1, bsz, n);
            Tensor dw = e.zeros(1, n, n), db = e.zeros(1, n);
            e.upload(new float[bsz * n], x.slice(0));
            Filter f = Filter.dense(o);
            double layer = time(e, 5, 51, () -> {
                e.roafStackForward(x, w, bias, f, 0.9f, 0.1f, z);
                e.roafStackBackward(x, w, f, 0.9f, 0.1f, z, g, dw, db);
            });
            Tensor x0 = x.slice(0), x1 = x.slice(1), z0 = z.slice(0), w0 = w.slice(0), dw0 = dw.slice(0);
            double products = time(e, 5, 51, () -> {
                e.gemm(false, true, 1f, x0, w0, 0f, x1);
                e.gemm(false, true, 1f, x0, o, 0f, z0);
                e.gemm(false, false, 1f, z0, w0, 0f, x1);
                e.gemm(false, false, 0.9f, g, o, 1f, x1);
                e.gemm(true, false, 1f, z0, x0, 0f, dw0);
            });
            double flops = 5 * 2.0 * bsz * n * n;
            row("roaf layer fwd+bwd B=128 N=1024 dense (" + e.gemmDescription() + ")", layer, flops / PEAK_FLOPS * 1e3,
                    String.format(Locale.ROOT, "%.2fx its 5 products alone (%.4f ms); target <= 1.5x", layer / products, products));
            for (Tensor t : new Tensor[]{x, w, bias, o, z, g, dw, db}) {
                t.close();
            }
        }

        // 3. A 50,000-layer roaf-mlp training step (issue 6): fused all-layer kernels vs per-layer launches.
        deepMlpStep(auto, r);

        // 4. ROAF-RNN recurrences: the persistent kernels (issue 5) and, for comparison, per-step launches.
        recurrences(auto, r);

        // 5. LSTM N=128 B=100 T=784.
        {
            CudaEngine e = auto;
            int n = 128, bsz = 100, steps = 784;
            Tensor pp = rand(e, r, 1, steps, bsz, 4 * n), w = rand(e, r, 1.0 / 12, 4 * n, n);
            Tensor h = e.zeros(steps + 1, bsz, n), c = e.zeros(steps + 1, bsz, n), gates = e.zeros(steps, bsz, 4 * n);
            Tensor gOut = rand(e, r, 1, bsz, n);
            double both = time(e, 2, 11, () -> {
                e.lstmForward(pp, w, h, c, gates);
                e.lstmBackward(w, h, c, gates, gOut);
            });
            double flops = 2 * steps * 2.0 * bsz * 4 * n * n;
            row("lstm fwd+bwd T=784 B=100 N=128", both, flops / PEAK_FLOPS * 1e3,
                    String.format(Locale.ROOT, "%.2f us/step", both * 1e3 / steps));
            // The same sweeps replayed as CUDA graphs (-Droaf.cuda.graphs=true; the warm-up runs eagerly, then captures).
            double graphed = Double.NaN;
            String how;
            e.useLaunchGraphs(true);
            try {
                graphed = time(e, 3, 11, () -> {
                    e.lstmForward(pp, w, h, c, gates);
                    e.lstmBackward(w, h, c, gates, gOut);
                });
                how = String.format(Locale.ROOT, "%.2f us/step; %.1fx faster than launch by launch; %d sequences captured",
                        graphed * 1e3 / steps, both / graphed, e.launchGraphCaptures());
            } catch (RuntimeException x) {
                how = "failed: " + x.getMessage();
            } finally {
                e.useLaunchGraphs(false);
            }
            row("lstm fwd+bwd T=784 B=100 N=128, replayed as CUDA graphs", graphed, flops / PEAK_FLOPS * 1e3, how);
            // The persistent sweeps of kernels/lstm.cu (opt-in: -Droaf.cuda.persistentLstm=true): one launch per sweep.
            double persistent = Double.NaN;
            e.usePersistentLstm(true);
            try {
                String path = e.persistentLstmDescription(n, bsz);
                persistent = time(e, 2, 11, () -> {
                    e.lstmForward(pp, w, h, c, gates);
                    e.lstmBackward(w, h, c, gates, gOut);
                });
                how = String.format(Locale.ROOT, "%.2f us/step; %.1fx faster than launch by launch; %s", persistent * 1e3 / steps,
                        both / persistent, shortPath(path));
            } catch (RuntimeException x) {
                how = "failed: " + x.getMessage();
            } finally {
                e.usePersistentLstm(false);
            }
            row("lstm fwd+bwd T=784 B=100 N=128, persistent kernels (-Droaf.cuda.persistentLstm=true)", persistent,
                    flops / PEAK_FLOPS * 1e3, how);
            for (Tensor t : new Tensor[]{pp, w, h, c, gates, gOut}) {
                t.close();
            }
        }

        // 6. Adam over 16M parameters (memory bound: 5 floats read/written... 4 read + 3 written).
        {
            CudaEngine e = auto;
            int n = 16 << 20;
            Tensor pp = rand(e, r, 1, n), g = rand(e, r, 1, n), m = e.zeros(n), v = e.zeros(n);
            double ms = time(e, 3, 21, () -> e.adamStep(pp, g, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 3));
            row("adam 16M params", ms, 7.0 * 4 * n / PEAK_BYTES * 1e3,
                    String.format(Locale.ROOT, "%.0f GB/s", 7.0 * 4 * n / ms / 1e6));
            for (Tensor t : new Tensor[]{pp, g, m, v}) {
                t.close();
            }
        }

    }

    /**
     * One training step of the stack of a 50,000-layer roaf-mlp, N = 128, B = 128, signed-permutation filter per
     * layer (50,000 Haar matrices would cost minutes of QRs on the host; a dense per-layer O, which doubles the
     * weight stream, is timed at 5,000 layers with random matrices and scaled by 10): forward
     * (x_l and z_l stored), backward (sweep + all dW_l, db_l) and Adam on W and b. The input and output layers
     * of a full model add two small GEMMs and the loss, not timed here. The per-layer path is timed at 1,000
     * layers and scaled by 50. Floors: one pass over W (3.3 GB) and the whole step's memory traffic.
     */
    private void deepMlpStep(CudaEngine e, SplittableRandom r) {
        int layers = 50_000, n = 128, bsz = 128;
        StackStep fused = stackStep(e, r, layers, n, bsz, false, true);
        double wPass = 4.0 * layers * n * n / PEAK_BYTES * 1e3;
        // Step traffic (floats of L*N*N or L*B*N): forward reads W, writes x and z; backward reads W and z,
        // writes d; dW reads d and x, writes dW; Adam reads W, dW, m, v and writes W, m, v.
        double stepBytes = 4.0 * layers * ((1 + 1 + 3) * (double) n * n + (2 + 2 + 2) * (double) bsz * n);
        double stepFloor = stepBytes / PEAK_BYTES * 1e3;
        row("roaf-mlp step L=50,000 N=128 B=128 perm, fused (" + e.gemmDescription() + ")", fused.totalMs, stepFloor,
                String.format(Locale.ROOT, "fwd %.1f ms (%.1fx one W pass %.2f ms), bwd+grads %.1f ms, adam %.1f ms; target <= 100 ms;"
                                + " %s", fused.forwardMs, fused.forwardMs / wPass, wPass, fused.backwardMs, fused.adamMs,
                        shortStackPath(fused.path)));
        // The same step on the kernels with this layout fixed at compile time (opt-in: -Droaf.cuda.fixedStack=true).
        String fixedWhat = "roaf-mlp step L=50,000 N=128 B=128 perm, fused, fixed-layout kernels (-Droaf.cuda.fixedStack=true)";
        e.useFixedStacks(true);
        try {
            StackStep fixed = stackStep(e, r, layers, n, bsz, false, true);
            row(fixedWhat, fixed.totalMs, stepFloor, String.format(Locale.ROOT,
                    "fwd %.1f ms, bwd+grads %.1f ms, adam %.1f ms; %.2fx the generic kernels' step; target <= 100 ms%s",
                    fixed.forwardMs, fixed.backwardMs, fixed.adamMs, fixed.totalMs / fused.totalMs,
                    e.fixedStackApplies(n, bsz, false) ? "" : "; NOT TAKEN at this shape"));
        } catch (RuntimeException x) {
            row(fixedWhat, Double.NaN, stepFloor, "failed: " + x.getMessage());
        } finally {
            e.useFixedStacks(false);
        }
        StackStep perLayer = stackStep(e, r, 1_000, n, bsz, false, false);
        double scale = layers / 1_000.0;
        row("roaf-mlp step L=50,000 N=128 B=128 perm, per-layer launches (L=1,000 x 50)", perLayer.totalMs * scale, stepFloor,
                String.format(Locale.ROOT, "fwd %.1f ms, bwd+grads %.1f ms, adam %.1f ms (scaled); fused is %.1fx faster",
                        perLayer.forwardMs * scale, perLayer.backwardMs * scale, perLayer.adamMs * scale,
                        perLayer.totalMs * scale / fused.totalMs));
        int denseLayers = 5_000;
        StackStep dense = stackStep(e, r, denseLayers, n, bsz, true, true);
        double denseScale = layers / (double) denseLayers;
        row("roaf-mlp step L=50,000 N=128 B=128 dense O per layer, fused (L=5,000 x 10)", dense.totalMs * denseScale,
                stepFloor + 4.0 * layers * n * n * 2 / PEAK_BYTES * 1e3,
                String.format(Locale.ROOT, "fwd %.1f ms, bwd+grads %.1f ms, adam %.1f ms (scaled); %s", dense.forwardMs * denseScale,
                        dense.backwardMs * denseScale, dense.adamMs * denseScale, shortStackPath(dense.path)));
    }

    private record StackStep(double forwardMs, double backwardMs, double adamMs, double totalMs, String path) {
    }

    /**
     * The fused stack kernels under every team shape they can run (cluster of 1-8 blocks x 1-8 batch rows per team),
     * forced on the engine, beside MlpStackLayout's choice: forward and backward sweep (with the weight gradients)
     * of a 1,000-layer N = 128, B = 128 stack with a signed permutation per layer. The choice favours few teams (less
     * L2 traffic) and clusters (the weights split over SMs); Nsight Compute found the kernels latency-bound at 13%
     * occupancy, so whether more teams, or no cluster barrier, pays is measured here, not guessed.
     */
    private void stackTeamShapes(CudaEngine e, SplittableRandom r) {
        int layers = 1_000, n = 128, bsz = 128;
        double floor = 2 * 4.0 * layers * n * n / PEAK_BYTES * 1e3;
        StackStep chosen = stackStep(e, r, layers, n, bsz, false, true);
        double chosenMs = chosen.forwardMs + chosen.backwardMs;
        row("roaf-mlp stack fwd+bwd L=1,000 N=128 B=128 perm, the layout's choice", chosenMs, floor,
                String.format(Locale.ROOT, "fwd %.2f us/layer, bwd+grads %.2f us/layer; %s", chosen.forwardMs, chosen.backwardMs,
                        shortStackPath(chosen.path)));
        double bestMs = chosenMs;
        String best = "the layout's choice";
        for (int cluster = 1; cluster <= 8; cluster *= 2) {
            for (int rows = 1; rows <= 8; rows *= 2) {
                if (!e.mlpStackShapeRuns(cluster, rows, n, bsz, false)) {
                    continue;
                }
                String shape = "cluster " + cluster + " x " + rows + " rows";
                String what = "roaf-mlp stack fwd+bwd L=1,000 N=128 B=128 perm, team shape " + shape;
                e.forceMlpStackShape(cluster, rows);
                StackStep s;
                try {
                    s = stackStep(e, r, layers, n, bsz, false, true);
                } catch (RuntimeException x) {
                    row(what, Double.NaN, floor, "failed: " + x.getMessage());
                    continue;
                } finally {
                    e.forceMlpStackShape(0, 0);
                }
                double ms = s.forwardMs + s.backwardMs;
                row(what, ms, floor,
                        String.format(Locale.ROOT, "fwd %.2f us/layer, bwd+grads %.2f us/layer; %.2fx the choice's time",
                                s.forwardMs, s.backwardMs, ms / chosenMs));
                if (ms < bestMs) {
                    bestMs = ms;
                    best = shape;
                }
            }
        }
        row("roaf-mlp stack team shapes: fastest fwd+bwd (L=1,000 N=128 B=128 perm)", bestMs, floor,
                String.format(Locale.ROOT, "%s: %.2fx faster than the layout's choice", best, chosenMs / bestMs));
    }

    /**
     * The persistent recurrence sweeps at psMNIST's shape (T = 784, N = 128, B = 100, dense filter) under every layout
     * the kernels can run (a team of 1-8 blocks owning 1-8 batch rows, 1-8 lanes per weight row), forced on the engine,
     * beside RecurrenceLayout's choice. A layout may suit one sweep only (the backward's rows are 2N long): each row
     * gives the time per step of the sweep(s) it runs. Nsight Compute found the chosen kernels latency-bound (25%
     * occupancy, an instruction every 2.2 cycles per scheduler), so whether more lanes per row (shorter dependent FMA
     * chains), more rows per team (more independent work per block) or clusters pay is measured here, not guessed.
     */
    private void recurrenceLayouts(CudaEngine e, SplittableRandom r) {
        int n = 128, bsz = 100, steps = 784;
        double floor = 2 * steps * 2 * 2.0 * bsz * n * n / PEAK_FLOPS * 1e3;
        SweepTimes chosen = sweep(e, r, steps, bsz, n, "dense", 7);
        double chosenFwd = chosen.forwardMs() * 1e3 / steps, chosenBwd = (chosen.bothMs() - chosen.forwardMs()) * 1e3 / steps;
        row("roaf-rnn sweeps T=784 B=100 N=128 dense, the layout's choice", chosen.bothMs(), floor,
                String.format(Locale.ROOT, "forward %.2f us/step, backward %.2f us/step; %s", chosenFwd, chosenBwd,
                        shortPath(chosen.path())));
        double bestFwd = chosenFwd, bestBwd = chosenBwd;
        String bestFwdShape = "the layout's choice", bestBwdShape = "the layout's choice";
        for (int cluster = 1; cluster <= 8; cluster *= 2) {
            for (int rows = 1; rows <= 8; rows *= 2) {
                for (int segments = 1; segments <= 8; segments *= 2) {
                    boolean fwd = e.recurrenceShapeRuns(true, cluster, rows, segments, n, bsz, true);
                    boolean bwd = e.recurrenceShapeRuns(false, cluster, rows, segments, n, bsz, true);
                    if (!fwd && !bwd) {
                        continue;
                    }
                    String shape = "cluster " + cluster + " x " + rows + " rows x " + segments + " lanes";
                    String what = "roaf-rnn sweeps T=784 B=100 N=128 dense, layout " + shape;
                    e.forceRecurrenceShape(cluster, rows, segments);
                    SweepTimes t;
                    try {
                        t = sweep(e, r, steps, bsz, n, "dense", 5);
                    } catch (RuntimeException x) {
                        row(what, Double.NaN, floor, "failed: " + x.getMessage());
                        continue;
                    } finally {
                        e.forceRecurrenceShape(0, 0, 0);
                    }
                    double f = t.forwardMs() * 1e3 / steps, b = (t.bothMs() - t.forwardMs()) * 1e3 / steps;
                    row(what, t.bothMs(), floor, String.format(Locale.ROOT, "%s%s", fwd
                                    ? String.format(Locale.ROOT, "forward %.2f us/step (%.2fx the choice's)", f, f / chosenFwd)
                                    : "forward per step (not this layout)",
                            bwd ? String.format(Locale.ROOT, "; backward %.2f us/step (%.2fx the choice's)", b, b / chosenBwd)
                                    : "; backward per step (not this layout)"));
                    if (fwd && f < bestFwd) {
                        bestFwd = f;
                        bestFwdShape = shape;
                    }
                    if (bwd && b < bestBwd) {
                        bestBwd = b;
                        bestBwdShape = shape;
                    }
                }
            }
        }
        row("roaf-rnn layouts: fastest forward + fastest backward (T=784 B=100 N=128 dense)", (bestFwd + bestBwd) * steps / 1e3,
                floor, String.format(Locale.ROOT, "forward %.2f us/step (%s), backward %.2f us/step (%s): %.2fx faster than the"
                                + " layout's choice", bestFwd, bestFwdShape, bestBwd, bestBwdShape,
                        (chosenFwd + chosenBwd) / (bestFwd + bestBwd)));
    }

    private static StackStep stackStep(CudaEngine e, SplittableRandom r, int layers, int n, int bsz, boolean denseFilter,
                                       boolean fused) {
        e.useFusedStacks(fused);
        List<Tensor> all = new ArrayList<>();
        try {
            Tensor w = e.zeros(layers, n, n), bias = e.zeros(layers, n);
            all.add(w);
            all.add(bias);
            // Weights in chunks of up to 1,000 layers from one random block (repeating it costs no timing fidelity).
            int chunk = Math.min(layers, 1_000);
            float[] block = new float[chunk * n * n];
            for (int i = 0; i < block.length; i++) {
                block[i] = (float) ((r.nextDouble() * 2 - 1) * 1.7 / Math.sqrt(n));
            }
            for (int l0 = 0; l0 < layers; l0 += chunk) {
                int l1 = Math.min(layers, l0 + chunk);
                e.upload(l1 - l0 == chunk ? block : Arrays.copyOf(block, (l1 - l0) * n * n), w.slice(l0, l1));
            }
            Filter f;
            if (denseFilter) {
                Tensor o = e.zeros(layers, n, n);
                all.add(o);
                for (int l0 = 0; l0 < layers; l0 += chunk) {
                    int l1 = Math.min(layers, l0 + chunk);
                    e.upload(l1 - l0 == chunk ? block : Arrays.copyOf(block, (l1 - l0) * n * n), o.slice(l0, l1));
                }
                f = Filter.dense(o);
            } else {
                int[] idx = new int[layers * n];
                float[] sg = new float[layers * n];
                for (int l = 0; l < layers; l++) {
                    System.arraycopy(perm(r, n), 0, idx, l * n, n);
                    System.arraycopy(signs(r, n), 0, sg, l * n, n);
                }
                Tensor ix = e.zeros(dev.roaf.engine.DType.I32, layers, n), sgn = e.fromHost(sg, layers, n);
                e.upload(idx, ix);
                all.add(ix);
                all.add(sgn);
                f = Filter.signedPermutation(ix, sgn);
            }
            Tensor x = e.zeros(layers + 1, bsz, n), z = e.zeros(layers, bsz, n), g = rand(e, r, 1, bsz, n);
            Tensor dw = e.zeros(layers, n, n), db = e.zeros(layers, n);
            Tensor mw = e.zeros(layers, n, n), vw = e.zeros(layers, n, n), mb = e.zeros(layers, n), vb = e.zeros(layers, n);
            all.addAll(List.of(x, z, g, dw, db, mw, vw, mb, vb));
            e.upload(GpuTests.random(r, (long) bsz * n, 1), x.slice(0));
            float beta = 1f / layers, alpha = 1f - beta;
            Work forward = () -> e.roafStackForward(x, w, bias, f, alpha, beta, z);
            Work backward = () -> e.roafStackBackward(x, w, f, alpha, beta, z, g, dw, db);
            Work adam = () -> {
                e.adamStep(w, dw, mw, vw, 1e-4f, 0.9f, 0.999f, 1e-8f, 1);
                e.adamStep(bias, db, mb, vb, 1e-4f, 0.9f, 0.999f, 1e-8f, 1);
            };
            // The backward overwrites z with d and g with dLoss/dx_0: each timed backward follows a forward.
            double fwd = time(e, 2, 5, forward);
            double both = time(e, 1, 5, () -> {
                forward.run();
                backward.run();
            });
            double adamMs = time(e, 1, 5, adam);
            double total = time(e, 1, 5, () -> {
                forward.run();
                backward.run();
                adam.run();
            });
            return new StackStep(fwd, both - fwd, adamMs, total, e.fusedStackDescription(n, bsz, denseFilter));
        } finally {
            e.synchronize();
            all.forEach(Tensor::close);
            e.useFusedStacks(true);
        }
    }

    private static String shortStackPath(String path) {
        return path.length() > 120 ? path.substring(0, 120) + "..." : path;
    }

    /** Forward and forward+backward of one recurrence shape on the engine's current path, in ms (medians). */
    private record SweepTimes(double forwardMs, double bothMs, String path) {
    }

    private static SweepTimes sweep(CudaEngine e, SplittableRandom r, int steps, int bsz, int n, String filter, int reps) {
        Tensor pp = rand(e, r, 1, steps, bsz, n), w = rand(e, r, 0.6 / Math.sqrt(n), n, n);
        Tensor h = e.zeros(steps + 1, bsz, n), z = e.zeros(steps, bsz, n), gOut = rand(e, r, 1, bsz, n), gh0 = e.zeros(bsz, n);
        List<Tensor> filterTensors = new ArrayList<>();
        Filter f;
        float alpha = 0.9f, beta = 0.1f;
        switch (filter) {
            case "dense" -> {
                Tensor o = rand(e, r, 0.87 / Math.sqrt(n), n, n);
                filterTensors.add(o);
                f = Filter.dense(o);
            }
            case "permutation" -> {
                Tensor ix = e.fromHost(perm(r, n), n), sg = e.fromHost(signs(r, n), n);
                filterTensors.add(ix);
                filterTensors.add(sg);
                f = Filter.signedPermutation(ix, sg);
            }
            default -> {
                f = Filter.none();
                alpha = 0f;
                beta = 1f;
            }
        }
        float a = alpha, b = beta;
        String path = e.persistentRecurrenceDescription(n, bsz, filter.equals("dense"));
        double fwd = time(e, 2, reps, () -> e.recurrenceForward(pp, w, f, a, b, h, z));
        double both = time(e, 2, reps, () -> {
            e.recurrenceForward(pp, w, f, a, b, h, z);
            e.recurrenceBackward(w, f, a, b, z, gOut, gh0);
        });
        for (Tensor t : new Tensor[]{pp, w, h, z, gOut, gh0}) {
            t.close();
        }
        filterTensors.forEach(Tensor::close);
        return new SweepTimes(fwd, both, path);
    }

    /**
     * The recurrence timings of issue 5: roaf-rnn N=128, B=100, T=784 forward (target 1 us/step) and
     * forward+backward (target 3 us/step) on the persistent kernels, next to per-step launches; the
     * other filter kinds; and N=256, B=128 at T=784 and T=10,000 (per-step time within 1.5x).
     */
    private void recurrences(CudaEngine e, SplittableRandom r) {
        int n = 128, bsz = 100, steps = 784;
        double stepFlops = 2 * 2.0 * bsz * n * n; // W h and O h per step (dense); the backward the same again
        SweepTimes dense = sweep(e, r, steps, bsz, n, "dense", 11);
        System.out.println("roaf-rnn N=128 B=100: " + dense.path());
        row("roaf-rnn forward T=784 B=100 N=128 dense", dense.forwardMs(), steps * stepFlops / PEAK_FLOPS * 1e3,
                String.format(Locale.ROOT, "%.2f us/step (issue 5 target <= 1); %s", dense.forwardMs() * 1e3 / steps,
                        shortPath(dense.path())));
        row("roaf-rnn fwd+bwd T=784 B=100 N=128 dense", dense.bothMs(), 2 * steps * stepFlops / PEAK_FLOPS * 1e3,
                String.format(Locale.ROOT, "%.2f us/step (issue 5 target <= 3); %s", dense.bothMs() * 1e3 / steps,
                        shortPath(dense.path())));
        // The same sweeps on the kernels with the layout fixed at compile time (opt-in: -Droaf.cuda.fixedRecurrence=true).
        String fixedWhat = "roaf-rnn fwd+bwd T=784 B=100 N=128 dense, fixed-layout kernels (-Droaf.cuda.fixedRecurrence=true)";
        e.useFixedRecurrences(true);
        try {
            SweepTimes fixed = sweep(e, r, steps, bsz, n, "dense", 11);
            row(fixedWhat, fixed.bothMs(), 2 * steps * stepFlops / PEAK_FLOPS * 1e3, String.format(Locale.ROOT,
                            "%.2f us/step (target <= 3), forward %.2f us/step (target <= 1); %.2fx and %.2fx the generic kernels'"
                                    + " times%s", fixed.bothMs() * 1e3 / steps, fixed.forwardMs() * 1e3 / steps,
                            fixed.bothMs() / dense.bothMs(), fixed.forwardMs() / dense.forwardMs(),
                            e.fixedRecurrenceApplies(n, bsz, true) ? "" : "; NOT TAKEN at this shape"));
        } catch (RuntimeException x) {
            row(fixedWhat, Double.NaN, 2 * steps * stepFlops / PEAK_FLOPS * 1e3, "failed: " + x.getMessage());
        } finally {
            e.useFixedRecurrences(false);
        }
        for (String filter : new String[]{"permutation", "none"}) {
            SweepTimes t = sweep(e, r, steps, bsz, n, filter, 11);
            row("roaf-rnn fwd+bwd T=784 B=100 N=128 " + (filter.equals("none") ? "none (Elman)" : filter), t.bothMs(),
                    steps * stepFlops / PEAK_FLOPS * 1e3, String.format(Locale.ROOT, "%.2f us/step; forward %.2f us/step; %s",
                            t.bothMs() * 1e3 / steps, t.forwardMs() * 1e3 / steps, shortPath(t.path())));
        }
        e.usePersistentRecurrences(false);
        try {
            SweepTimes perStep = sweep(e, r, steps, bsz, n, "dense", 5);
            row("roaf-rnn fwd+bwd T=784 B=100 N=128 dense, per-step launches", perStep.bothMs(),
                    2 * steps * stepFlops / PEAK_FLOPS * 1e3, String.format(Locale.ROOT,
                            "%.2f us/step; forward %.2f us/step; persistent is %.1fx faster", perStep.bothMs() * 1e3 / steps,
                            perStep.forwardMs() * 1e3 / steps, perStep.bothMs() / dense.bothMs()));
        } finally {
            e.usePersistentRecurrences(true);
        }

        int wide = 256, wideBatch = 128;
        double wideFlops = 2 * 2 * 2.0 * wideBatch * wide * wide; // forward + backward, per step
        SweepTimes short784 = sweep(e, r, 784, wideBatch, wide, "dense", 7);
        SweepTimes long10k = sweep(e, r, 10_000, wideBatch, wide, "dense", 3);
        System.out.println("roaf-rnn N=256 B=128: " + short784.path());
        double per784 = short784.bothMs() * 1e3 / 784, per10k = long10k.bothMs() * 1e3 / 10_000;
        row("roaf-rnn fwd+bwd T=784 B=128 N=256 dense", short784.bothMs(), 784 * wideFlops / PEAK_FLOPS * 1e3,
                String.format(Locale.ROOT, "%.2f us/step; forward %.2f us/step; %s", per784, short784.forwardMs() * 1e3 / 784,
                        shortPath(short784.path())));
        row("roaf-rnn fwd+bwd T=10000 B=128 N=256 dense", long10k.bothMs(), 10_000 * wideFlops / PEAK_FLOPS * 1e3,
                String.format(Locale.ROOT, "%.2f us/step = %.2fx the T=784 figure at this shape (issue 5 target <= 1.5x);"
                        + " %.2fx the N=128 B=100 T=784 figure", per10k, per10k / per784, per10k / (dense.bothMs() * 1e3 / steps)));
    }

    /** "persistent (cluster of 4)" or "per-step launches": the path in a few words for the table. */
    private static String shortPath(String path) {
        if (!path.startsWith("persistent")) {
            return "per-step launches";
        }
        return path.contains("cluster of") ? "persistent, " + path.substring(path.indexOf("a cluster of") + 2,
                path.indexOf(" blocks", path.indexOf("a cluster of")) + 7) : "persistent, one block per team";
    }

    static int[] perm(SplittableRandom r, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    static float[] signs(SplittableRandom r, int n) {
        float[] s = new float[n];
        for (int i = 0; i < n; i++) {
            s[i] = r.nextBoolean() ? 1f : -1f;
        }
        return s;
    }
}
