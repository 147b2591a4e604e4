package dev.roaf.engine.cuda;

import dev.roaf.engine.DType;
import dev.roaf.engine.Engine;
import dev.roaf.engine.Filter;
import dev.roaf.engine.HostRandom;
import dev.roaf.engine.Shapes;
import dev.roaf.engine.Tensor;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

import static jcuda.driver.JCudaDriver.*;

/**
 * The CUDA engine: every {@link Engine} operation on one GPU through the JCuda driver API, with the
 * fused kernels of {@code kernels/*.cu} (shipped as fatbins in the jar, loaded with
 * cuModuleLoadData) and cuBLAS for the products when {@code libcublas.so.12} loads, else the
 * project's own tiled GEMM ({@code kernels/gemm.cu}).
 *
 * <p>How it runs: the device's primary context is made current on every call (so any thread may
 * use the engine, one at a time); all work goes to one stream per engine; uploads go through a
 * pinned staging buffer; downloads and reductions synchronise the stream. A recurrence runs each
 * whole sweep (forward, backward) as one launch of the persistent kernels of
 * {@code kernels/recurrence.cu} (split by {@code RecurrenceLayout}) where the shape allows, else its
 * products and fused elementwise kernels once per time step; a deep MLP stack likewise runs all its layers in
 * one launch per pass ({@code kernels/mlp_stack.cu}, split by {@code MlpStackLayout}) where the shape allows, else
 * per layer, and computes all layers' weight gradients in one batched product; the LSTM launches a product and a fused
 * cell per time step (or, opt-in until verified on a GPU, one persistent launch per sweep: {@code kernels/lstm.cu}). Every
 * CUDA error becomes a
 * {@link CudaEngineException} naming the operation.
 *
 * <p>Checked against the CPU engine by native-tests/ (native-tests/gpu-check.sh) when a GPU is lent; the
 * first run (NVIDIA H200, 2026-11-28, bench/results/gpu-check-h200-2026-11-28/) passed 33 of 36 tests.
 */
public final class CudaEngine implements Engine {
    /** Threads per block of the one-dimensional kernels (ROAF_BLOCK in kernels/common.cuh). */
    private static final int BLOCK = 256;
    /** Upper bound on blocks of a grid-stride kernel, and on the partial sums of a reduction. */
    private static final int MAX_BLOCKS = 4096;
    private static final int MAX_REDUCE_BLOCKS = 1024;
    /** Transfers above this size bypass the pinned staging buffer. */
    private static final long STAGING_LIMIT = 64L << 20;
    private static final String[] MODULES = {"elementwise", "gemm", "loss", "lstm", "mlp_stack", "optim", "recurrence",
            "roaf_layer"};

    /** How products are computed. */
    public enum GemmPath {
        /** cuBLAS when it loads, else the own kernels. */
        AUTO,
        /** Only cuBLAS (opening fails when it does not load). */
        CUBLAS,
        /** Only the own tiled kernels. */
        OWN
    }

    private final int ordinal;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final CUstream stream = new CUstream();
    private final String name;
    private final int smCount;
    private final int ccMajor, ccMinor;
    /** Shared memory a block may use with opt-in (CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN). */
    private final int sharedOptIn;
    /** Receives the engine's one-line notices (GEMM path, recurrence path); may be null. */
    private final Consumer<String> log;
    /** Notices already given (each is said once per engine). */
    private final java.util.Set<String> noticesGiven = new java.util.HashSet<>();
    /** Kernels whose dynamic shared-memory limit was raised, and to how much. */
    private final Map<String, Integer> sharedRaised = new HashMap<>();
    /**
     * Whether recurrences use the persistent whole-sequence kernels where they apply (default; the
     * system property {@code roaf.cuda.persistent=false} turns them off, as does
     * {@link #usePersistentRecurrences} for native-tests comparing both paths).
     */
    private boolean persistentRecurrences = !"false".equalsIgnoreCase(System.getProperty("roaf.cuda.persistent", "true"));
    /**
     * Whether MLP stacks use the fused all-layer kernels where they apply (default; the system property
     * {@code roaf.cuda.fusedStack=false} turns them off, as does {@link #useFusedStacks}).
     */
    private boolean fusedStacks = !"false".equalsIgnoreCase(System.getProperty("roaf.cuda.fusedStack", "true"));
    /**
     * Whether the persistent recurrences take the kernels with the layout fixed at compile time where it is theirs
     * (psMNIST-sized widths; the same results bit for bit). Off by default until a GPU check has timed them: the system
     * property {@code roaf.cuda.fixedRecurrence=true} turns it on, as does {@link #useFixedRecurrences}.
     */
    private boolean fixedRecurrences = "true".equalsIgnoreCase(System.getProperty("roaf.cuda.fixedRecurrence", "false"));
    /**
     * Whether the LSTM's sweeps run as the persistent kernels of kernels/lstm.cu where {@link RecurrenceLayout#lstmForward}
     * and {@link RecurrenceLayout#lstmBackward} cover the shape (one launch per sweep instead of a product and a cell per
     * step; psMNIST's N = 128 needs sm_90+ clusters). Off by default until a GPU check has verified and timed them: the
     * system property {@code roaf.cuda.persistentLstm=true} turns them on, as does {@link #usePersistentLstm}.
     */
    private boolean persistentLstm = "true".equalsIgnoreCase(System.getProperty("roaf.cuda.persistentLstm", "false"));
    /**
     * Whether the fused MLP stacks take the kernels with the 50,000-layer benchmark's layout fixed at compile time where it
     * is theirs (N = 128 in clusters of 8; the same results bit for bit). Off by default until a GPU check has timed them:
     * the system property {@code roaf.cuda.fixedStack=true} turns it on, as does {@link #useFixedStacks}.
     */
    private boolean fixedStacks = "true".equalsIgnoreCase(System.getProperty("roaf.cuda.fixedStack", "false"));
    /** A layout forced on the persistent recurrences ({@link #forceRecurrenceShape}); 0 while RecurrenceLayout chooses. */
    private int forcedRecCluster, forcedRecRows, forcedRecSegments;
    /** A team shape forced on the fused stack kernels ({@link #forceMlpStackShape}); 0 while MlpStackLayout chooses. */
    private int forcedStackCluster, forcedStackRows;
    /**
     * Whether per-step sweeps (the LSTM's, and a recurrence's where the persistent kernels do not apply) are
     * replayed as CUDA graphs ({@link LaunchGraphs}). Off by default until a GPU check has verified it: the
     * system property {@code roaf.cuda.graphs=true} turns it on, as does {@link #useLaunchGraphs}.
     */
    private boolean launchGraphs = "true".equalsIgnoreCase(System.getProperty("roaf.cuda.graphs", "false"));
    /**
     * Whether the own GEMM's unsplit 128 x 128 tiles run as {@code roaf_gemm2_*} (float4 shared-memory reads, double
     * buffering; the same results bit for bit) instead of {@code roaf_gemm_*}, for every transpose but tt. Off by
     * default until a GPU check has timed and passed it: the system property {@code roaf.cuda.gemm2=true} turns it on,
     * as does {@link #useGemm2}.
     */
    private boolean gemm2 = "true".equalsIgnoreCase(System.getProperty("roaf.cuda.gemm2", "false"));
    /**
     * Whether the own GEMM runs thin products as {@code roaf_thin_*} (K or N at most 16: a recurrence's input projection
     * for all steps and its weight gradient; {@link GemmPlan#thinK}, {@link GemmPlan#thinN}). Off by default until a GPU
     * check has timed it: the system property {@code roaf.cuda.thinGemm=true} turns it on, as does {@link #useThinGemm}.
     */
    private boolean thinGemm = "true".equalsIgnoreCase(System.getProperty("roaf.cuda.thinGemm", "false"));
    private final LaunchGraphs graphs = new LaunchGraphs();
    /** True while {@link #graphs} captures a sequence: products then take no split of K (one launch, no scratch growth). */
    private boolean capturing;
    private final List<CUmodule> modules = new ArrayList<>();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final Map<String, Scratch> scratch = new HashMap<>();
    private final CublasGemm cublas;
    /** cuRAND, loaded at the first random draw; null when it did not load (see {@link #curandReason}). */
    private CurandDraws curand;
    /** Null until the first draw, then where draws are made (one line). */
    private String curandReason;
    /** Floats per cuRAND call (64 MiB of scratch at most). */
    private static final long DRAW_PIECE = 1L << 24;
    private final String gemmDescription;
    private Pointer staging;
    private ByteBuffer stagingBuffer;
    private long stagingBytes;
    private final CUevent stagingFree = new CUevent();
    private boolean stagingPending;
    private boolean closed;
    private boolean contextRetained;
    /** Bytes of device memory on this device in all (cuDeviceTotalMem), read once at open. */
    private long totalMemory;
    /** Live allocations of this engine (tensors and scratch): counted in {@link #allocate}, uncounted in {@link #release}. */
    private final java.util.concurrent.atomic.AtomicLong liveBytes = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger liveAllocations = new java.util.concurrent.atomic.AtomicInteger();
    /** Tensor storages not yet closed; {@link #close()} frees what is left of them. */
    private final java.util.Set<CudaTensor.Storage> liveStorages =
            java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    /** The engine operation running now, and the last kernel launched (named in error messages). */
    private String currentOp = "";
    /** The running profile ({@link #startProfile}), else null; and how deep in nested operations the caller is. */
    private OpProfiler profiler;
    private int opDepth;
    /** Whether the own GEMM may split K ({@link GemmPlan}); off only where GpuBench times the unsplit kernels. */
    private boolean splitGemmK = true;
    private String lastLaunch = "";

    private static final CUdeviceptr NULL = new CUdeviceptr();

    /** A growable device buffer reused across operations (the engine is used by one thread at a time). */
    private static final class Scratch {
        CUdeviceptr ptr;
        long bytes;
    }

    /**
     * Opens device {@code ordinal}.
     *
     * @param log receives one line saying which GEMM path is used (may be null)
     * @throws CudaEngineException when CUDA is not usable (the message says why, in one line)
     */
    public CudaEngine(int ordinal, GemmPath gemm, Consumer<String> log) {
        CudaProbe probe = CudaProbe.get();
        if (!probe.usable()) {
            throw new CudaEngineException(probe.reason());
        }
        if (ordinal < 0 || ordinal >= probe.devices()) {
            throw new CudaEngineException("cuda:" + ordinal + " does not exist: this machine has " + probe.devices()
                    + " CUDA device(s), cuda:0.." + (probe.devices() - 1));
        }
        this.ordinal = ordinal;
        this.log = log;
        try {
            cuDeviceGet(device, ordinal);
            byte[] nameBytes = new byte[256];
            cuDeviceGetName(nameBytes, nameBytes.length, device);
            int len = 0;
            while (len < nameBytes.length && nameBytes[len] != 0) {
                len++;
            }
            name = new String(nameBytes, 0, len, java.nio.charset.StandardCharsets.UTF_8).strip();
            smCount = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
            ccMajor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
            ccMinor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
            sharedOptIn = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
            long[] total = new long[1];
            cuDeviceTotalMem(total, device);
            totalMemory = total[0];
            cuDevicePrimaryCtxRetain(context, device);
            contextRetained = true;
            cuCtxSetCurrent(context);
            cuStreamCreate(stream, 0);
            cuEventCreate(stagingFree, 0);
            loadModules(probe);
        } catch (jcuda.CudaException e) {
            releaseQuietly();
            throw new CudaEngineException("cuda:" + ordinal + ": opening the device failed: " + CudaProbe.firstLine(e.getMessage())
                    + "; check nvidia-smi, or use --device cpu", e);
        } catch (RuntimeException e) {
            releaseQuietly();
            throw e;
        }
        CublasGemm cb = null;
        String why = "own kernels requested";
        if (gemm != GemmPath.OWN) {
            OptionalLibrary<CublasGemm> loaded = CublasGemm.load(stream);
            cb = loaded.library();
            why = loaded.reason();
            if (cb == null && gemm == GemmPath.CUBLAS) {
                releaseQuietly();
                throw new CudaEngineException("cuBLAS was requested but does not load: " + why);
            }
        }
        cublas = cb;
        gemmDescription = cb != null ? "cuBLAS (" + cb.version() + ")" : "own tiled kernels (" + why + ")";
        if (log != null) {
            log.accept("roaf: cuda:" + ordinal + " " + name + ": GEMM through " + gemmDescription);
        }
    }

    /** Device 0, GEMM path from the system property {@code roaf.cuda.gemm} (auto, cublas, own). */
    public CudaEngine(Consumer<String> log) {
        this(0, GemmPath.valueOf(System.getProperty("roaf.cuda.gemm", "auto").toUpperCase(java.util.Locale.ROOT)), log);
    }

    private int attribute(int attr) {
        int[] v = new int[1];
        cuDeviceGetAttribute(v, attr, device);
        return v[0];
    }

    private void loadModules(CudaProbe probe) {
        for (String m : MODULES) {
            String res = "/dev/roaf/kernels/" + m + ".fatbin.gz";
            byte[] image;
            try (InputStream in = CudaEngine.class.getResourceAsStream(res)) {
                if (in == null) {
                    throw new CudaEngineException("kernel module " + res + " is missing from the jar; rebuild with kernels/build.sh and mvn package");
                }
                try (InputStream fatbin = new java.util.zip.GZIPInputStream(in)) {
                    image = fatbin.readAllBytes();
                }
            } catch (IOException e) {
                throw new CudaEngineException("reading kernel module " + res + ": " + e.getMessage(), e);
            }
            CUmodule module = new CUmodule();
            try {
                cuModuleLoadData(module, image);
            } catch (jcuda.CudaException e) {
                throw new CudaEngineException("kernel module " + m + ".fatbin does not load on " + name + " (sm_" + ccMajor + ccMinor
                        + ", driver CUDA " + probe.driverVersion() / 1000 + "." + probe.driverVersion() % 1000 / 10 + "): "
                        + CudaProbe.firstLine(e.getMessage()) + "; the jar ships SASS for sm_75..sm_90 and PTX that needs a"
                        + " CUDA 13 driver: add this architecture in kernels/build.sh and rebuild", e);
            }
            modules.add(module);
        }
    }

    private CUfunction fn(String kernel) {
        CUfunction f = functions.get(kernel);
        if (f == null) {
            for (CUmodule m : modules) {
                CUfunction cand = new CUfunction();
                try {
                    cuModuleGetFunction(cand, m, kernel);
                    f = cand;
                    break;
                } catch (jcuda.CudaException e) {
                    // not in this module
                }
            }
            if (f == null) {
                throw new CudaEngineException("kernel " + kernel + " is in none of the shipped modules; rebuild with kernels/build.sh");
            }
            functions.put(kernel, f);
        }
        return f;
    }

    // --------------------------------------------------------------------------------- plumbing

    /** Makes the primary context current on the calling thread. */
    private void enter() {
        if (closed) {
            throw new IllegalStateException("the CUDA engine was used after close()");
        }
        cuCtxSetCurrent(context);
    }

    private CudaEngineException fail(String op, jcuda.CudaException e) {
        return new CudaEngineException(failureMessage(ordinal, op, CudaProbe.firstLine(e.getMessage()), lastLaunch), e);
    }

    /**
     * The message of a failed CUDA call: device, operation, CUDA error, the last kernel launched
     * (errors of asynchronous launches surface at a later call) and what to do.
     */
    static String failureMessage(int ordinal, String op, String cudaError, String lastLaunch) {
        boolean sticky = cudaError.contains("ILLEGAL_ADDRESS") || cudaError.contains("LAUNCH_FAILED")
                || cudaError.contains("MISALIGNED") || cudaError.contains("ILLEGAL_INSTRUCTION")
                || cudaError.contains("HARDWARE_STACK_ERROR") || cudaError.contains("ASSERT");
        String advice;
        if (sticky) {
            advice = "the CUDA context is now unusable: restart the process; this is a bug in roaf's kernels, please report it"
                    + " with the shapes used (errors of asynchronous launches surface at the next synchronising call)";
        } else if (cudaError.contains("OUT_OF_MEMORY")) {
            advice = "use a smaller --batch (for MLPs, roaf-rnn and rnn also --recompute-every K), a shorter sequence or a"
                    + " smaller model, or another GPU";
        } else if (cudaError.contains("INVALID_VALUE") || cudaError.contains("LAUNCH_OUT_OF_RESOURCES")) {
            advice = "a launch or call was given arguments this GPU rejects: please report it with the shapes used,"
                    + " or rerun with --device cpu";
        } else {
            advice = "check nvidia-smi and the driver, or rerun with --device cpu";
        }
        String last = lastLaunch == null || lastLaunch.isEmpty() || op.contains(lastLaunch) ? ""
                : " (last kernel launched: " + lastLaunch + ")";
        return "cuda:" + ordinal + " " + op + " failed: " + cudaError + last + "; " + advice;
    }

    private interface Body<T> {
        T run();
    }

    private <T> T op(String op, Body<T> body) {
        enter();
        currentOp = op;
        // While a profile runs, each outermost operation is timed (one called inside another counts in the outer one).
        boolean timed = profiler != null && opDepth == 0;
        opDepth++;
        try {
            if (timed) {
                profiler.begin(op, stream);
            }
            T result = body.run();
            if (timed) {
                profiler.end(stream);
            }
            return result;
        } catch (jcuda.CudaException e) {
            throw fail(op, e);
        } finally {
            opDepth--;
        }
    }

    private void op(String op, Runnable body) {
        op(op, () -> {
            body.run();
            return null;
        });
    }

    /** One operation's share of a profile: how many times it ran and its GPU time in all (see {@link #startProfile}). */
    public record OpTime(String op, int calls, double milliseconds) {
    }

    /**
     * Starts timing every engine operation with CUDA events (a diagnostic for finding where a training update
     * spends its time; it adds two event records per operation). Ended by {@link #stopProfile}.
     */
    public void startProfile() {
        enter();
        if (profiler == null) {
            profiler = new OpProfiler();
        }
    }

    /**
     * Ends the profile begun by {@link #startProfile}: waits for the stream and returns the time of each
     * operation (summed over its calls), longest first. Empty when no profile was running.
     */
    public List<OpTime> stopProfile() {
        if (profiler == null) {
            return List.of();
        }
        try (OpProfiler p = profiler) {
            profiler = null;
            return op("stopProfile", () -> {
                cuStreamSynchronize(stream);
                return p.collect();
            });
        }
    }

    private CudaTensor cu(Tensor t, String name) {
        if (t == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (!(t instanceof CudaTensor c) || c.storage().engine != this) {
            throw new IllegalArgumentException(name + " lives on another engine: " + t);
        }
        if (!c.isOpen()) {
            throw new IllegalStateException(name + " was used after its storage was closed");
        }
        return c;
    }

    private CudaTensor f32(Tensor t, String name) {
        CudaTensor c = cu(t, name);
        if (c.dtype() != DType.F32) {
            throw new IllegalArgumentException(name + ": expected an F32 tensor, got " + c);
        }
        return c;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    private static Pointer arg(Object o) {
        if (o == null) {
            return Pointer.to(NULL);
        }
        if (o instanceof CudaTensor t) {
            return Pointer.to(t.ptr());
        }
        if (o instanceof CUdeviceptr p) {
            return Pointer.to(p);
        }
        if (o instanceof Integer i) {
            return Pointer.to(new int[]{i});
        }
        if (o instanceof Long l) {
            return Pointer.to(new long[]{l});
        }
        if (o instanceof Float f) {
            return Pointer.to(new float[]{f});
        }
        throw new IllegalArgumentException("unsupported kernel argument " + o.getClass());
    }

    private void launch(String kernel, int gx, int gy, int bx, int by, Object... args) {
        launchWithShared(kernel, gx, gy, bx, by, 0, args);
    }

    /**
     * Launches {@code kernel} with {@code sharedBytes} of dynamic shared memory, first raising the
     * kernel's limit (cuFuncSetAttribute) when that is above the 48 KiB every kernel may use.
     */
    private void launchWithShared(String kernel, int gx, int gy, int bx, int by, int sharedBytes, Object... args) {
        NativePointerObject[] ps = new NativePointerObject[args.length];
        for (int i = 0; i < args.length; i++) {
            ps[i] = arg(args[i]);
        }
        CUfunction f = fn(kernel);
        lastLaunch = kernel + " in " + currentOp;
        try {
            if (sharedBytes > RecurrenceLayout.DEFAULT_SHARED_LIMIT && sharedRaised.getOrDefault(kernel, 0) < sharedBytes) {
                cuFuncSetAttribute(f, jcuda.driver.CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                        sharedBytes);
                sharedRaised.put(kernel, sharedBytes);
            }
            cuLaunchKernel(f, gx, gy, 1, bx, by, 1, sharedBytes, stream, Pointer.to(ps), null);
        } catch (jcuda.CudaException e) {
            throw fail(currentOp + ": launching kernel " + kernel + " (grid " + gx + "x" + gy + ", block " + bx + "x" + by
                    + (sharedBytes > 0 ? ", " + sharedBytes + " bytes of shared memory" : "") + ")", e);
        }
    }

    /**
     * Launches {@code kernel} with the given configuration as engine operation {@code op}, for
     * native-tests (a launch the driver rejects must surface as a {@link CudaEngineException} naming
     * the operation and the kernel).
     */
    void launchForTest(String op, String kernel, int gx, int bx, Object... args) {
        op(op, () -> launch(kernel, gx, 1, bx, 1, args));
    }

    /** A grid-stride kernel over {@code work} elements. */
    private void launch1d(String kernel, long work, Object... args) {
        if (work <= 0) {
            return;
        }
        launch(kernel, blocks(work, MAX_BLOCKS), 1, BLOCK, 1, args);
    }

    private static int blocks(long work, int max) {
        return (int) Math.max(1, Math.min(max, (work + BLOCK - 1) / BLOCK));
    }

    private CUdeviceptr scratch(String key, long bytes) {
        Scratch s = scratch.computeIfAbsent(key, k -> new Scratch());
        if (s.bytes < bytes) {
            if (s.ptr != null) {
                cuStreamSynchronize(stream);
                release(s.ptr, s.bytes);
                s.ptr = null;
                s.bytes = 0;
            }
            s.ptr = allocate(Math.max(bytes, 256), "scratch " + key);
            s.bytes = Math.max(bytes, 256);
        }
        return s.ptr;
    }

    /**
     * The one place that allocates device memory: {@code max(bytes, 4)} bytes, counted in
     * {@link #memoryInfo()} until {@link #release}. A request larger than the whole device fails
     * before calling the driver; a failed cuMemAlloc becomes a {@link CudaOutOfMemoryException} with
     * the request, the free memory and what this engine holds.
     */
    private CUdeviceptr allocate(long bytes, String what) {
        long size = Math.max(bytes, 4);
        if (totalMemory > 0 && size > totalMemory) {
            throw new CudaOutOfMemoryException(outOfMemoryMessage(ordinal, what, size, -1, totalMemory, liveBytes.get(),
                    liveAllocations.get()), size, -1);
        }
        CUdeviceptr p = new CUdeviceptr();
        try {
            cuMemAlloc(p, size);
        } catch (jcuda.CudaException e) {
            if (e.getMessage() != null && e.getMessage().contains("OUT_OF_MEMORY")) {
                long[] free = new long[1], total = new long[1];
                long f = -1, t = totalMemory;
                try {
                    cuMemGetInfo(free, total);
                    f = free[0];
                    t = total[0];
                } catch (jcuda.CudaException ignored) {
                    // keep -1
                }
                throw new CudaOutOfMemoryException(outOfMemoryMessage(ordinal, what, size, f, t, liveBytes.get(),
                        liveAllocations.get()), size, f);
            }
            throw e;
        }
        liveBytes.addAndGet(size);
        liveAllocations.incrementAndGet();
        return p;
    }

    /** Frees an allocation made by {@link #allocate} of {@code size} bytes (as allocate rounded it). */
    private void release(CUdeviceptr p, long size) {
        liveBytes.addAndGet(-size);
        liveAllocations.decrementAndGet();
        cuMemFree(p);
    }

    /**
     * The message of a failed allocation: what, how much was asked, how much the device had free
     * ({@code free < 0}: unknown, or not asked because the request exceeds the whole device), what
     * this engine holds, and what to do.
     */
    static String outOfMemoryMessage(int ordinal, String what, long requested, long free, long total, long engineBytes,
                                     int engineAllocations) {
        String have;
        if (free < 0 && total > 0 && requested > total) {
            have = "more than the device's " + bytes(total) + " in all";
        } else if (free < 0) {
            have = "free memory unknown" + (total > 0 ? " (" + bytes(total) + " in all)" : "");
        } else {
            have = "only " + bytes(free) + " free of " + bytes(total);
        }
        return "cuda:" + ordinal + " out of memory allocating " + what + ": asked for " + bytes(requested) + ", " + have
                + " (this engine holds " + bytes(engineBytes) + " in " + engineAllocations + " allocation"
                + (engineAllocations == 1 ? "" : "s") + "); use a smaller --batch (for MLPs, roaf-rnn and rnn also"
                + " --recompute-every K), a shorter sequence or a smaller model, or another GPU";
    }

    /** {@code bytes} for people: {@code 512 bytes}, {@code 12.3 MiB}, {@code 1.00 TiB (1099511627776 bytes)}. */
    static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " bytes";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.3g %s (%d bytes)", v, units[u], bytes);
    }

    /**
     * Device memory as the driver reports it (cuMemGetInfo: free and total bytes of the device, all
     * processes and contexts together) and this engine's own live allocations.
     *
     * @param freeBytes        free device memory
     * @param totalBytes       device memory in all
     * @param liveBytes        bytes this engine has allocated and not yet freed (tensors and scratch)
     * @param liveAllocations  how many allocations those are
     */
    public record MemoryInfo(long freeBytes, long totalBytes, long liveBytes, int liveAllocations) {
        /** One line, e.g. {@code 70.2 GiB free of 79.1 GiB; this engine holds 12.0 MiB in 7 allocations}. */
        @Override
        public String toString() {
            return bytes(freeBytes) + " free of " + bytes(totalBytes) + "; this engine holds " + bytes(liveBytes) + " in "
                    + liveAllocations + " allocation" + (liveAllocations == 1 ? "" : "s");
        }
    }

    /**
     * Free and total device memory now (cuMemGetInfo, after the stream's queued work) and this
     * engine's live allocations.
     *
     * @throws IllegalStateException after {@link #close()} (use {@link #liveBytes()} then)
     */
    public MemoryInfo memoryInfo() {
        return op("memoryInfo", () -> {
            cuStreamSynchronize(stream);
            long[] free = new long[1], total = new long[1];
            cuMemGetInfo(free, total);
            return new MemoryInfo(free[0], total[0], liveBytes.get(), liveAllocations.get());
        });
    }

    /** Bytes this engine has allocated on the device and not freed (0 after {@link #close()}). */
    public long liveBytes() {
        return liveBytes.get();
    }

    /** Allocations this engine holds on the device (0 after {@link #close()}). */
    public int liveAllocations() {
        return liveAllocations.get();
    }

    /** Device memory in all, in bytes (cuDeviceTotalMem). */
    public long totalMemory() {
        return totalMemory;
    }

    void free(CudaTensor.Storage s) {
        synchronized (liveStorages) {
            if (!liveStorages.remove(s)) {
                return; // already freed by close()
            }
        }
        if (closed) {
            return;
        }
        op("free", () -> release(s.base, s.bytes));
    }

    /** The engine's stream (for timing with CUDA events in native-tests). */
    CUstream stream() {
        return stream;
    }

    /** Makes the engine's context current on this thread (for native-tests). */
    void makeCurrent() {
        enter();
    }

    /** Which GEMM path this engine uses, in words. */
    public String gemmDescription() {
        return gemmDescription;
    }

    /** Whether products go through cuBLAS. */
    public boolean usesCublas() {
        return cublas != null;
    }

    /** Streaming multiprocessors of this engine's GPU (what {@link GemmPlan} and the layouts size grids by). */
    int smCount() {
        return smCount;
    }

    /** Waits until all work queued on the engine's stream is done. */
    @Override
    public void synchronize() {
        op("synchronize", () -> cuStreamSynchronize(stream));
    }

    @Override
    public String deviceName() {
        return "cuda:" + ordinal + " " + name + " (sm_" + ccMajor + ccMinor + ", " + smCount + " SMs)";
    }

    // ----------------------------------------------------------------------------------- memory

    @Override
    public Tensor zeros(DType dtype, int... shape) {
        return op("zeros", () -> {
            long n = 1;
            for (int d : shape) {
                require(d >= 0, "negative dimension in shape " + java.util.Arrays.toString(shape));
                n = Math.multiplyExact(n, d);
            }
            long bytes = n * 4L;
            CUdeviceptr p = allocate(bytes, "a tensor " + java.util.Arrays.toString(shape) + " " + dtype);
            CudaTensor.Storage storage = new CudaTensor.Storage(this, p, Math.max(bytes, 4));
            synchronized (liveStorages) {
                liveStorages.add(storage);
            }
            if (n > 0) {
                cuMemsetD32Async(p, 0, n, stream);
            }
            return new CudaTensor(dtype, storage, true, 0, shape);
        });
    }

    private ByteBuffer staging(long bytes) {
        if (stagingPending) {
            cuEventSynchronize(stagingFree);
            stagingPending = false;
        }
        if (stagingBytes < bytes) {
            if (staging != null) {
                cuMemFreeHost(staging);
            }
            long size = Math.max(bytes, 1L << 20);
            staging = new Pointer();
            cuMemAllocHost(staging, size);
            stagingBytes = size;
            stagingBuffer = staging.getByteBuffer(0, size).order(ByteOrder.nativeOrder());
        }
        stagingBuffer.clear();
        return stagingBuffer;
    }

    @Override
    public void upload(float[] src, Tensor dst) {
        uploadArray(dst, DType.F32, "floats", src.length, Pointer.to(src), b -> b.asFloatBuffer().put(src));
    }

    @Override
    public void upload(int[] src, Tensor dst) {
        uploadArray(dst, DType.I32, "ints", src.length, Pointer.to(src), b -> b.asIntBuffer().put(src));
    }

    /**
     * One host-to-device copy of {@code count} 4-byte elements: through the pinned staging buffer
     * (asynchronous on the stream) when it fits, else directly from the Java array after a sync.
     */
    private void uploadArray(Tensor dst, DType dtype, String what, int count, Pointer direct,
                             java.util.function.Consumer<ByteBuffer> fillStaging) {
        op("upload", () -> {
            CudaTensor d = cu(dst, "dst");
            require(d.dtype() == dtype, "upload: " + what + " into " + d);
            require(count == d.size(), "upload: " + count + " " + what + " into " + d);
            long bytes = 4L * count;
            if (bytes == 0) {
                return;
            }
            if (bytes > STAGING_LIMIT) {
                cuStreamSynchronize(stream);
                cuMemcpyHtoD(d.ptr(), direct, bytes);
                return;
            }
            fillStaging.accept(staging(bytes));
            cuMemcpyHtoDAsync(d.ptr(), staging, bytes, stream);
            cuEventRecord(stagingFree, stream);
            stagingPending = true;
        });
    }

    @Override
    public void download(Tensor src, float[] dst) {
        downloadArray(src, DType.F32, "floats", dst.length, Pointer.to(dst), b -> b.asFloatBuffer().get(dst));
    }

    @Override
    public void download(Tensor src, int[] dst) {
        downloadArray(src, DType.I32, "ints", dst.length, Pointer.to(dst), b -> b.asIntBuffer().get(dst));
    }

    /** One device-to-host copy of {@code count} 4-byte elements, through the staging buffer when it fits. */
    private void downloadArray(Tensor src, DType dtype, String what, int count, Pointer direct,
                               java.util.function.Consumer<ByteBuffer> readStaging) {
        op("download", () -> {
            CudaTensor s = cu(src, "src");
            require(s.dtype() == dtype, "download: " + s + " into " + what);
            require(count == s.size(), "download: " + s + " into " + count + " " + what);
            long bytes = 4L * count;
            if (bytes == 0) {
                return;
            }
            if (bytes > STAGING_LIMIT) {
                cuStreamSynchronize(stream);
                cuMemcpyDtoH(direct, s.ptr(), bytes);
                return;
            }
            ByteBuffer b = staging(bytes);
            cuMemcpyDtoHAsync(staging, s.ptr(), bytes, stream);
            cuStreamSynchronize(stream);
            readStaging.accept(b);
        });
    }

    /** Sums {@code count} doubles of a device buffer on the host, in order. */
    private double sumPartials(CUdeviceptr partial, int count) {
        double[] h = new double[count];
        cuStreamSynchronize(stream);
        cuMemcpyDtoH(Pointer.to(h), partial, 8L * count);
        double s = 0;
        for (double v : h) {
            s += v;
        }
        return s;
    }

    @Override
    public void fill(Tensor t, float value) {
        op("fill", () -> {
            CudaTensor c = f32(t, "t");
            launch1d("roaf_fill", c.size(), c, c.size(), value);
        });
    }

    private void fillRaw(CUdeviceptr p, long n, float value) {
        launch1d("roaf_fill", n, p, n, value);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        op("copy", () -> {
            CudaTensor s = cu(src, "src"), d = cu(dst, "dst");
            require(s.size() == d.size() && s.dtype() == d.dtype(), "copy: " + s + " into " + d);
            if (s.size() > 0) {
                cuMemcpyDtoDAsync(d.ptr(), s.ptr(), 4L * s.size(), stream);
            }
        });
    }

    @Override
    public void scale(Tensor t, float factor) {
        op("scale", () -> {
            CudaTensor c = f32(t, "t");
            launch1d("roaf_scale", c.size(), c, c.size(), factor);
        });
    }

    // ---------------------------------------------------------------------------- random draws

    @Override
    public void randomNormal(Tensor t, float mean, float std, long seed) {
        Shapes.randomNormal(t, mean, std);
        op("randomNormal", () -> draw(f32(t, "t"), true, mean, std, seed));
    }

    @Override
    public void randomUniform(Tensor t, float lo, float hi, long seed) {
        Shapes.randomUniform(t, lo, hi);
        op("randomUniform", () -> draw(f32(t, "t"), false, lo, hi - lo, seed));
    }

    /**
     * Draws with cuRAND in pieces of at most {@link #DRAW_PIECE} floats through an even-sized scratch
     * buffer (cuRAND draws normals in pairs, and the scratch keeps every call aligned whatever the
     * tensor's offset); without cuRAND, on the host with the CPU engine's generator.
     */
    private void draw(CudaTensor c, boolean normal, float a, float b, long seed) {
        long n = c.size();
        if (n == 0) {
            return;
        }
        CurandDraws g = curand();
        if (g == null) {
            drawOnHost(c, normal, a, b, seed);
            return;
        }
        g.reset(seed);
        long piece = Math.min(DRAW_PIECE, n + (n & 1));
        CUdeviceptr buf = scratch("random", 4L * piece);
        for (long from = 0; from < n; from += piece) {
            long count = Math.min(piece, n - from);
            lastLaunch = (normal ? "curandGenerateNormal" : "curandGenerateUniform") + " in " + currentOp;
            if (normal) {
                g.normal(buf, count + (count & 1), a, b);
                cuMemcpyDtoDAsync(c.ptr(from), buf, 4L * count, stream);
            } else {
                g.uniform(buf, count);
                launch1d("roaf_uniform_to_range", count, buf, c.ptr(from), count, a, b);
            }
        }
    }

    /**
     * The cuRAND generator, loaded at the first draw (one log line either way); null when it does not load, and unless
     * the system property {@code roaf.cuda.curand=true} asks for it. Until the sixteenth session JCurand never loaded
     * (its JNI library was not found under the name JCuda 12.6 asks for; the build now ships it so); with that
     * library not yet run on a GPU, cuRAND stays opt-in, and the draws are made on the host, bit for bit the CPU
     * engine's.
     */
    private CurandDraws curand() {
        if (curandReason == null) {
            OptionalLibrary<CurandDraws> loaded = !"true".equalsIgnoreCase(System.getProperty("roaf.cuda.curand"))
                    ? OptionalLibrary.absent("cuRAND is opt-in until verified on a GPU: -Droaf.cuda.curand=true")
                    : CurandDraws.load(stream);
            curand = loaded.library();
            curandReason = curand != null ? "cuRAND (" + curand.version() + ", Philox4x32-10)"
                    : "the host, with the CPU engine's generator (" + loaded.reason() + ")";
            if (log != null) {
                log.accept("roaf: cuda:" + ordinal + " " + name + ": random draws on " + curandReason);
            }
        }
        return curand;
    }

    /** True: kernels run on the device while the host thread waits, so host work beside them is free. */
    @Override
    public boolean overlapsHostWork() {
        return true;
    }

    /** Where this engine draws random numbers (after the first draw), for logs and tests; null before. */
    public String randomDrawsDescription() {
        return curandReason;
    }

    /** The CPU engine's draws (HostRandom), uploaded a piece of 64 chunks at a time. */
    private void drawOnHost(CudaTensor c, boolean normal, float a, float b, long seed) {
        long n = c.size();
        int chunks = HostRandom.chunks(n), perPiece = 64;
        float[] host = new float[(int) Math.min(n, (long) perPiece * HostRandom.CHUNK)];
        cuStreamSynchronize(stream);
        for (int first = 0; first < chunks; first += perPiece) {
            int f = first, last = Math.min(chunks, first + perPiece);
            java.util.stream.IntStream.range(first, last).parallel().forEach(ch ->
                    HostRandom.fillChunk(host, (ch - f) * HostRandom.CHUNK, n, ch, normal, a, b, seed));
            long from = (long) first * HostRandom.CHUNK;
            long count = Math.min((long) (last - first) * HostRandom.CHUNK, n - from);
            cuMemcpyHtoD(c.ptr(from), Pointer.to(host), 4L * count);
        }
    }

    @Override
    public double sumOfSquares(Tensor t) {
        return op("sumOfSquares", () -> {
            CudaTensor c = f32(t, "t");
            if (c.size() == 0) {
                return 0.0;
            }
            int blocks = blocks(c.size(), MAX_REDUCE_BLOCKS);
            CUdeviceptr partial = scratch("partial", 8L * blocks);
            launch("roaf_sum_squares", blocks, 1, BLOCK, 1, c, c.size(), partial);
            return sumPartials(partial, blocks);
        });
    }

    // ------------------------------------------------------------------------------- products

    @Override
    public void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        // A profile tells products apart by their shape: [M,N,K] of the result and the inner dimension.
        String name = profiler == null || c == null || a == null ? "gemm"
                : "gemm " + (transA ? "T" : "N") + (transB ? "T" : "N") + " M=" + c.rows() + " N=" + c.cols() + " K="
                + (transA ? a.rows() : a.cols());
        op(name, () -> {
            CudaTensor ta = f32(a, "gemm A"), tb = f32(b, "gemm B"), tc = f32(c, "gemm C");
            int m = transA ? ta.cols() : ta.rows();
            int k = transA ? ta.rows() : ta.cols();
            int kb = transB ? tb.cols() : tb.rows();
            int n = transB ? tb.rows() : tb.cols();
            require(k == kb && tc.rows() == m && tc.cols() == n, "gemm: op(A) is [" + m + "," + k + "], op(B) is [" + kb + ","
                    + n + "], C is [" + tc.rows() + "," + tc.cols() + "] (A " + ta + " transposed=" + transA + ", B " + tb
                    + " transposed=" + transB + ")");
            gemmRaw(transA, transB, m, n, k, alpha, ta.ptr(), ta.cols(), tb.ptr(), tb.cols(), beta, tc.ptr(), n);
        });
    }

    /** {@code C = alpha op(A) op(B) + beta C} on raw row-major device matrices; C is contiguous ({@code ldc == n}). */
    void gemmRaw(boolean tA, boolean tB, int m, int n, int k, float alpha, CUdeviceptr a, int lda, CUdeviceptr b, int ldb,
                 float beta, CUdeviceptr c, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0 || alpha == 0f) {
            long count = (long) m * n;
            if (beta == 0f) {
                fillRaw(c, count, 0f);
            } else if (beta != 1f) {
                launch1d("roaf_scale", count, c, count, beta);
            }
            return;
        }
        if (cublas != null) {
            cublas.sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        ownGemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** The split-K partial products {@link #ownGemm} keeps for a {@code tn} product of this shape (none through cuBLAS). */
    @Override
    public long productScratchBytes(int m, int n, int k) {
        if (cublas != null || !splitGemmK || m <= 0 || n <= 0 || k <= 0) {
            return 0;
        }
        long tiled = GemmPlan.of(m, n, k, smCount).partialBytes(m, n);
        return thinGemm && GemmPlan.thinN(true, false, n, k)
                ? Math.max(tiled, 4L * GemmPlan.thinSplit(m, k, smCount).splits() * m * n) : tiled;
    }

    /**
     * The own tiled GEMM (kernels/gemm.cu): 128x128 tiles when they fill the GPU, else 32x32; K split into
     * slices summed by a second kernel when C has too few tiles for the GPU and K is long ({@link GemmPlan}).
     */
    void ownGemm(boolean tA, boolean tB, int m, int n, int k, float alpha, CUdeviceptr a, int lda, CUdeviceptr b, int ldb,
                 float beta, CUdeviceptr c, int ldc) {
        String suffix = (tA ? "t" : "n") + (tB ? "t" : "n");
        if (thinGemm && GemmPlan.thinK(k)) {
            launch1d("roaf_thin_k_gemm_" + suffix, (long) m * n, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        if (thinGemm && splitGemmK && !capturing && GemmPlan.thinN(tA, tB, n, k)) {
            GemmPlan thin = GemmPlan.thinSplit(m, k, smCount);
            // the thin kernel always writes partial sums, one slice's included (partialBytes counts split plans only)
            CUdeviceptr partial = scratch("split-K partial products", 4L * thin.splits() * m * n);
            launch("roaf_thin_n_splitk_gemm_tn", (int) GemmPlan.tiles(m, GemmPlan.THIN_ROWS), thin.splits(),
                    GemmPlan.THIN_ROWS * GemmPlan.THIN_STREAMS, 1, m, n, k, thin.kSlice(), a, lda, b, ldb, partial);
            launch1d("roaf_splitk_reduce", (long) m * n, partial, thin.splits(), m, n, alpha, beta, c, ldc);
            return;
        }
        // K is split only with B untransposed (kernels/gemm.cu ships no split kernels for a transposed B).
        GemmPlan plan = splitGemmK && !capturing && !tB ? GemmPlan.of(m, n, k, smCount) : GemmPlan.unsplit(m, n, k, smCount);
        int tile = plan.bigTiles() ? 128 : 32;
        int tilesN = (int) GemmPlan.tiles(n, tile), tilesM = (int) GemmPlan.tiles(m, tile);
        if (plan.splits() == 1) {
            // roaf_gemm2 ships no tt variant (kernels/gemm.cu)
            launch(plan.bigTiles() ? (gemm2 && !(tA && tB) ? "roaf_gemm2_" : "roaf_gemm_") + suffix : "roaf_gemm_small_" + suffix,
                    tilesN, tilesM, 256, 1, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        CUdeviceptr partial = scratch("split-K partial products", plan.partialBytes(m, n));
        launch(plan.bigTiles() ? "roaf_splitk_gemm_" + suffix : "roaf_splitk_gemm_small_" + suffix, tilesN,
                tilesM * plan.splits(), 256, 1, m, n, k, plan.kSlice(), a, lda, b, ldb, partial);
        launch1d("roaf_splitk_reduce", (long) m * n, partial, plan.splits(), m, n, alpha, beta, c, ldc);
    }

    @Override
    public void addRowVector(Tensor c, Tensor bias) {
        op("addRowVector", () -> {
            CudaTensor tc = f32(c, "c"), tb = f32(bias, "bias");
            int n = tc.cols();
            require(tb.size() == n, "addRowVector: bias " + tb + " does not match the columns of " + tc);
            launch1d("roaf_add_row_vector", tc.size(), tc, tb, (long) tc.rows(), n);
        });
    }

    @Override
    public void sumRows(Tensor src, float beta, Tensor dst) {
        op("sumRows", () -> {
            CudaTensor ts = f32(src, "src"), td = f32(dst, "dst");
            int n = ts.cols(), m = ts.rows();
            require(td.size() == n, "sumRows: dst " + td + " does not match the columns of " + ts);
            sumRowsRaw(ts.ptr(), m, n, beta, td.ptr());
        });
    }

    private void sumRowsRaw(CUdeviceptr src, long rows, int cols, float beta, CUdeviceptr dst) {
        if (cols == 0) {
            return;
        }
        int chunks = (int) Math.max(1, Math.min(64, (rows + 255) / 256));
        long perChunk = (rows + chunks - 1) / chunks;
        CUdeviceptr partial = scratch("rowsums", 8L * chunks * cols);
        launch("roaf_sum_rows_partial", (cols + 31) / 32, chunks, 32, 8, src, rows, cols, Math.max(1, perChunk), partial);
        launch("roaf_sum_rows_final", (cols + BLOCK - 1) / BLOCK, 1, BLOCK, 1, partial, chunks, cols, beta, dst);
    }

    // ------------------------------------------------------------------------ filter operands

    /** A filter resolved for one operation: kind code (kernels/common.cuh) and per-layer pointers. */
    private final class FilterOps {
        final Filter.Kind kind;
        final int code;
        final CudaTensor matrix, index, sign;
        final boolean perLayer;
        final int n;

        FilterOps(Filter o, int n, int layers, String op) {
            require(o != null, op + ": filter must not be null (use Filter.none())");
            kind = o.kind();
            this.n = n;
            perLayer = o.perLayer();
            if (perLayer) {
                require(o.layers() == layers, op + ": " + o.layers() + " per-layer filters for " + layers + " layers");
            }
            code = switch (kind) {
                case NONE -> 0;
                case IDENTITY -> 1;
                case DENSE -> 2;
                case SIGNED_PERMUTATION -> 3;
            };
            if (kind == Filter.Kind.DENSE) {
                matrix = f32(o.matrix(), op + " filter");
                require(matrix.dim(-1) == n, op + ": filter " + matrix + " does not match width " + n);
                index = null;
                sign = null;
            } else if (kind == Filter.Kind.SIGNED_PERMUTATION) {
                matrix = null;
                index = cu(o.index(), op + " filter index");
                sign = f32(o.sign(), op + " filter sign");
                require(index.dim(-1) == n, op + ": permutation " + index + " does not match width " + n);
            } else {
                matrix = null;
                index = null;
                sign = null;
            }
        }

        boolean dense() {
            return kind == Filter.Kind.DENSE;
        }

        /** What a launch sequence reads of this filter, for {@link LaunchGraphs} keys: kind and addresses. */
        String key() {
            return " filter=" + kind + (matrix != null ? " " + matrix.ptr() : "") + (index != null ? " " + index.ptr() + sign.ptr() : "")
                    + (perLayer ? " per-layer" : "");
        }

        CUdeviceptr mat(int l) {
            return matrix.ptr(perLayer ? (long) l * n * n : 0);
        }

        /** The permutation's index pointer of layer l, or null (a null kernel argument) for other filters. */
        CUdeviceptr idx(int l) {
            return index == null ? null : index.ptr(perLayer ? (long) l * n : 0);
        }

        /** The permutation's sign pointer of layer l, or null for other filters. */
        CUdeviceptr sgn(int l) {
            return sign == null ? null : sign.ptr(perLayer ? (long) l * n : 0);
        }
    }

    /**
     * One forward layer/step: {@code out = W in} (and {@code ox = O in} for dense filters) by GEMM,
     * then the fused epilogue. {@code add} is a bias row (stride 0) or per-row projections (stride N).
     */
    private void forwardStep(CUdeviceptr in, CUdeviceptr w, FilterOps f, int layer, CUdeviceptr add, int addStride,
                             float alpha, float beta, CUdeviceptr out, CUdeviceptr z, CUdeviceptr oxScratch, int rows, int n) {
        gemmRaw(false, true, rows, n, n, 1f, in, n, w, n, 0f, out, n);
        CUdeviceptr ox = null;
        if (f.dense()) {
            ox = z != null ? z : oxScratch;
            gemmRaw(false, true, rows, n, n, 1f, in, n, f.mat(layer), n, 0f, ox, n);
        }
        launch1d("roaf_forward_epilogue", (long) rows * n, out, ox, in, add, addStride, f.idx(layer), f.sgn(layer), z,
                (long) rows, n, f.code, alpha, beta);
    }

    /**
     * One backward layer/step: {@code d = flush(beta (1 - z^2) (g + gExtra))} over z, then
     * {@code gIn = flush(d W + alpha O^T gsum)}.
     */
    private void backwardStep(CUdeviceptr z, CUdeviceptr g, CUdeviceptr gExtra, CUdeviceptr gSumScratch, CUdeviceptr w,
                              FilterOps f, int layer, float alpha, float beta, CUdeviceptr gIn, int rows, int n) {
        long count = (long) rows * n;
        CUdeviceptr gsum = g;
        if (gExtra != null && f.kind != Filter.Kind.NONE) {
            gsum = gSumScratch;
        }
        launch1d("roaf_backward_prologue", count, z, g, gExtra, gsum == g ? null : gsum, count, beta);
        gemmRaw(false, false, rows, n, n, 1f, z, n, w, n, 0f, gIn, n);
        if (f.dense()) {
            gemmRaw(false, false, rows, n, n, alpha, gsum, n, f.mat(layer), n, 1f, gIn, n);
        }
        launch1d("roaf_backward_finish", count, gIn, gsum, f.idx(layer), f.sgn(layer), (long) rows, n, f.code, alpha);
    }

    // ----------------------------------------------------------------------- ROAF layer stacks

    @Override
    public void roafStackForward(Tensor x, Tensor w, Tensor b, Filter o, float alpha, float beta, Tensor z) {
        op("roafStackForward", () -> {
            CudaTensor tx = f32(x, "x"), tw = f32(w, "w"), tb = f32(b, "b"), tz = f32(z, "z");
            Shapes.Stack dims = Shapes.stackForward(tx, tw, tb, tz);
            int layers = dims.layers(), n = dims.n(), batch = dims.batch();
            FilterOps f = new FilterOps(o, n, layers, "roafStackForward");
            if (layers == 0 || batch == 0 || n == 0) {
                return;
            }
            MlpStackLayout layout = mlpStackLayout("roafStackForward", true, n, batch, f);
            if (layout != null) {
                launchMlpStackForward(layout, tx, tw, tb, f, alpha, beta, tz, true, layers, batch, n);
                return;
            }
            long plane = (long) batch * n;
            for (int l = 0; l < layers; l++) {
                forwardStep(tx.ptr(l * plane), tw.ptr((long) l * n * n), f, l, tb.ptr((long) l * n), 0, alpha, beta,
                        tx.ptr((l + 1) * plane), tz.ptr(l * plane), null, batch, n);
            }
        });
    }

    @Override
    public void roafStackInfer(Tensor x, Tensor w, Tensor b, Filter o, float alpha, float beta) {
        op("roafStackInfer", () -> {
            CudaTensor tx = f32(x, "x"), tw = f32(w, "w"), tb = f32(b, "b");
            Shapes.Stack dims = Shapes.stackInfer(tx, tw, tb);
            int layers = dims.layers(), n = dims.n(), batch = dims.batch();
            FilterOps f = new FilterOps(o, n, layers, "roafStackInfer");
            if (layers == 0 || batch == 0 || n == 0) {
                return;
            }
            MlpStackLayout layout = mlpStackLayout("roafStackInfer", true, n, batch, f);
            if (layout != null) {
                launchMlpStackForward(layout, tx, tw, tb, f, alpha, beta, null, false, layers, batch, n);
                return;
            }
            long bytes = 4L * batch * n;
            CUdeviceptr other = scratch("inferState", bytes);
            CUdeviceptr ox = f.dense() ? scratch("ox", bytes) : null;
            CUdeviceptr cur = tx.ptr(), next = other;
            for (int l = 0; l < layers; l++) {
                forwardStep(cur, tw.ptr((long) l * n * n), f, l, tb.ptr((long) l * n), 0, alpha, beta, next, null, ox, batch, n);
                CUdeviceptr t = cur;
                cur = next;
                next = t;
            }
            if (layers % 2 == 1 && bytes > 0) {
                cuMemcpyDtoDAsync(tx.ptr(), cur, bytes, stream);
            }
        });
    }

    @Override
    public void roafStackBackward(Tensor x, Tensor w, Filter o, float alpha, float beta, Tensor z, Tensor g, Tensor dw,
                                  Tensor db) {
        op("roafStackBackward", () -> {
            CudaTensor tx = f32(x, "x"), tw = f32(w, "w"), tz = f32(z, "z"), tg = f32(g, "g"), tdw = f32(dw, "dw"),
                    tdb = f32(db, "db");
            Shapes.Stack dims = Shapes.stackBackward(tx, tw, tz, tg, tdw, tdb);
            int layers = dims.layers(), n = dims.n(), batch = dims.batch();
            FilterOps f = new FilterOps(o, n, layers, "roafStackBackward");
            if (layers == 0 || n == 0) {
                return;
            }
            long plane = (long) batch * n;
            MlpStackLayout layout = batch == 0 ? null : mlpStackLayout("roafStackBackward", false, n, batch, f);
            if (layout != null) {
                launchMlpStackBackward(layout, tw, f, alpha, beta, tz, tg, layers, batch, n);
            } else if (batch > 0) {
                CUdeviceptr other = scratch("gradState", 4L * plane);
                CUdeviceptr gCur = tg.ptr(), gNext = other;
                for (int l = layers - 1; l >= 0; l--) {
                    backwardStep(tz.ptr(l * plane), gCur, null, null, tw.ptr((long) l * n * n), f, l, alpha, beta, gNext, batch, n);
                    CUdeviceptr t = gCur;
                    gCur = gNext;
                    gNext = t;
                }
                if (layers % 2 == 1) {
                    cuMemcpyDtoDAsync(tg.ptr(), gCur, 4L * plane, stream);
                }
            }
            // dW_l = d_l^T x_l and db_l for all layers: one launch each, whichever path the sweep took.
            launchStackWeightGrads(tz, tx, tdw, layers, batch, n);
            launchStackBiasGrads(tz, tdb, layers, batch, n);
        });
    }

    /**
     * The fused kernels' layout for this stack, or null for the per-layer path; says once per engine, in
     * one line, which path an (operation, N, filter kind) takes and why.
     */
    private MlpStackLayout mlpStackLayout(String op, boolean forward, int n, int batch, FilterOps f) {
        MlpStackLayout layout = fusedLayout(forward, n, batch, f.dense());
        String path;
        if (layout != null) {
            path = "one fused launch for all layers (" + layout.describe() + ")";
        } else if (!fusedStacks) {
            path = "per-layer launches (fused stack kernels turned off)";
        } else {
            path = "per-layer launches (the fused stack kernels cover N <= 256 on sm_90+, and about N <= 128, dense"
                    + " N <= 64, before; this is sm_" + ccMajor + ccMinor + ")";
        }
        String key = "stack " + op + " " + n + " " + f.kind + " " + (layout == null ? "per-layer" : layout.cluster());
        if (log != null && noticesGiven.add(key)) {
            log.accept("roaf: cuda:" + ordinal + " " + op + " N=" + n + " B=" + batch + " filter "
                    + f.kind.name().toLowerCase(java.util.Locale.ROOT) + ": " + path);
        }
        return layout;
    }

    /** The fused stack kernels' layout on this device, or null (turned off, or the shape is not covered). */
    private MlpStackLayout fusedLayout(boolean forward, int n, int batch, boolean dense) {
        if (!fusedStacks) {
            return null;
        }
        if (forcedStackCluster > 0) {
            return forcedStackLayout(forward, n, batch, dense, forcedStackCluster, forcedStackRows);
        }
        return forward ? MlpStackLayout.forward(n, batch, dense, smCount, maxCluster(), sharedOptIn)
                : MlpStackLayout.backward(n, batch, dense, smCount, maxCluster(), sharedOptIn);
    }

    /** The layout of a team shape given rather than chosen, or null where this device or the kernels cannot run it. */
    private MlpStackLayout forcedStackLayout(boolean forward, int n, int batch, boolean dense, int cluster, int rows) {
        return cluster > maxCluster() ? null
                : MlpStackLayout.of(forward, n, batch, dense, cluster, Math.min(rows, batch), sharedOptIn);
    }

    /** The largest team of blocks the kernels may use: thread-block clusters (suffix _x2/_x4/_x8) exist from sm_90. */
    private int maxCluster() {
        return ccMajor >= 9 ? 8 : 1;
    }

    /**
     * Forces the fused MLP stack kernels' team shape, {@code cluster} blocks per team owning {@code rows} batch rows
     * each, instead of {@link MlpStackLayout}'s choice; 0, 0 restores the choice. A shape the kernels cannot run takes
     * the per-layer path. For GpuBench's sweep over team shapes and the native test that checks each one.
     */
    void forceMlpStackShape(int cluster, int rows) {
        if (cluster < 0 || rows < 0 || (cluster > 0) != (rows > 0)) {
            throw new IllegalArgumentException("forceMlpStackShape: cluster and rows both positive, or both 0; got " + cluster
                    + ", " + rows);
        }
        forcedStackCluster = cluster;
        forcedStackRows = rows;
    }

    /** Whether a forced team shape ({@link #forceMlpStackShape}) can run on this device for both passes at this shape. */
    boolean mlpStackShapeRuns(int cluster, int rows, int n, int batch, boolean dense) {
        return forcedStackLayout(true, n, batch, dense, cluster, rows) != null
                && forcedStackLayout(false, n, batch, dense, cluster, rows) != null;
    }

    /**
     * Which path an MLP stack of width {@code n} over {@code batch} rows takes here, in words starting with
     * "fused" when both passes use the fused kernels (for native-tests and GpuBench).
     */
    String fusedStackDescription(int n, int batch, boolean dense) {
        MlpStackLayout f = fusedLayout(true, n, batch, dense), b = fusedLayout(false, n, batch, dense);
        if (f != null && b != null) {
            return "fused: forward " + f.describe() + "; backward " + b.describe();
        }
        return "per-layer launches" + (f != null ? " (backward; the forward is fused)" : b != null ? " (forward; the backward is fused)" : "");
    }

    /**
     * Turns the fused MLP stack kernels on or off for this engine (native-tests compare both paths with the
     * CPU engine; GpuBench times both).
     */
    void useFusedStacks(boolean on) {
        fusedStacks = on;
    }

    /** Lets the fused stacks take the kernels with the benchmark's layout fixed at compile time where it is theirs, or not. */
    void useFixedStacks(boolean on) {
        fixedStacks = on;
    }

    /**
     * Whether a fixed-layout stack kernel ({@code roaf_mlp_stack_*_fixed_x8} in kernels/mlp_stack.cu) exists for this
     * layout: a cluster of 8 blocks per team of 8 batch rows, 16 lanes per weight row, 2 float4 chunks per lane (N = 128).
     */
    private static boolean fixedStackLayout(MlpStackLayout l) {
        return l.cluster() == 8 && l.rows() == 8 && l.segments() == 16 && l.chunks() == 2;
    }

    /** Whether the fixed-layout stack kernels would run both passes of this shape (for tests and GpuBench). */
    boolean fixedStackApplies(int n, int batch, boolean dense) {
        MlpStackLayout f = fusedLayout(true, n, batch, dense), b = fusedLayout(false, n, batch, dense);
        return f != null && b != null && fixedStackLayout(f) && fixedStackLayout(b);
    }

    /** Launches roaf_mlp_stack_forward (or its cluster variant): all layers; store = false for inference (x is [B,N]). */
    private void launchMlpStackForward(MlpStackLayout l, CudaTensor x, CudaTensor w, CudaTensor b, FilterOps f, float alpha,
                                       float beta, CudaTensor z, boolean store, int layers, int batch, int n) {
        launchWithShared(fixedStacks && fixedStackLayout(l) ? "roaf_mlp_stack_forward_fixed_x8" : l.kernel("roaf_mlp_stack_forward"),
                l.teams() * l.cluster(), 1, l.threads(), 1, l.sharedBytes(),
                x, w, b, f.dense() ? f.mat(0) : null, f.idx(0), f.sgn(0), f.perLayer ? 1 : 0, z, store ? 1 : 0, layers, batch,
                n, f.code, alpha, beta, l.units(), l.rows(), l.segments(), l.chunks());
    }

    /** Launches roaf_mlp_stack_backward (or its cluster variant): the whole sweep, d_l over z_l, g_L in, g_0 out. */
    private void launchMlpStackBackward(MlpStackLayout l, CudaTensor w, FilterOps f, float alpha, float beta, CudaTensor z,
                                        CudaTensor g, int layers, int batch, int n) {
        launchWithShared(fixedStacks && fixedStackLayout(l) ? "roaf_mlp_stack_backward_fixed_x8" : l.kernel("roaf_mlp_stack_backward"),
                l.teams() * l.cluster(), 1, l.threads(), 1, l.sharedBytes(),
                w, f.dense() ? f.mat(0) : null, f.idx(0), f.sgn(0), f.perLayer ? 1 : 0, z, g, layers, batch, n, f.code, alpha,
                beta, l.units(), l.rows(), l.segments(), l.chunks());
    }

    /**
     * {@code dW_l = d_l^T x_l} for every layer in one call: cuBLAS strided-batched when cuBLAS loaded,
     * else roaf_stack_weight_grads (64 x 64 tiles, layers over grid.y).
     */
    private void launchStackWeightGrads(CudaTensor d, CudaTensor x, CudaTensor dw, int layers, int batch, int n) {
        long plane = (long) batch * n;
        if (cublas != null && batch > 0) {
            lastLaunch = "cublasSgemmStridedBatched in " + currentOp;
            cublas.sgemmStridedBatched(true, false, n, n, batch, 1f, d.ptr(), n, plane, x.ptr(), n, plane, 0f, dw.ptr(), n,
                    (long) n * n, layers);
            return;
        }
        int tiles = (n + 63) / 64;
        launch("roaf_stack_weight_grads", tiles * tiles, Math.min(layers, 65535), 256, 1, d, x, dw, layers, batch, n);
    }

    /** {@code db_l = sum_b d_l} for every layer in one launch (double sums, as the CPU engine). */
    private void launchStackBiasGrads(CudaTensor d, CudaTensor db, int layers, int batch, int n) {
        launch1d("roaf_stack_bias_grads", (long) layers * n, d, db, layers, batch, n);
    }

    // ----------------------------------------------------------------------------- recurrences

    @Override
    public void recurrenceForward(Tensor p, Tensor w, Filter o, float alpha, float beta, Tensor h, Tensor z) {
        op("recurrenceForward", () -> {
            CudaTensor tp = f32(p, "p"), tw = f32(w, "w"), th = f32(h, "h");
            CudaTensor tz = z == null ? null : f32(z, "z");
            Shapes.Sequence dims = Shapes.recurrenceForward(tp, tw, o, th, tz);
            int n = dims.n(), steps = dims.steps(), batch = dims.batch();
            FilterOps f = new FilterOps(o, n, 1, "recurrenceForward");
            if (steps == 0 || batch == 0 || n == 0) {
                return;
            }
            RecurrenceLayout layout = recurrenceLayout(true, n, batch, f);
            if (layout != null) {
                launchRecurrenceForward(layout, tp, tw, f, alpha, beta, th, tz, steps, batch, n);
                return;
            }
            long plane = (long) batch * n;
            CUdeviceptr ox = tz == null && f.dense() ? scratch("ox", 4L * plane) : null;
            Supplier<String> key = () -> "recurrenceForward " + tp.ptr() + tw.ptr() + th.ptr() + (tz == null ? "-" : tz.ptr()) + ox
                    + f.key() + " alpha=" + Float.floatToIntBits(alpha) + " beta=" + Float.floatToIntBits(beta) + " T=" + steps + " B="
                    + batch + " N=" + n;
            sequence(key, () -> {
                for (int t = 0; t < steps; t++) {
                    forwardStep(th.ptr(t * plane), tw.ptr(), f, 0, tp.ptr(t * plane), n, alpha, beta, th.ptr((t + 1) * plane),
                            tz == null ? null : tz.ptr(t * plane), ox, batch, n);
                }
            });
        });
    }

    @Override
    public void recurrenceBackward(Tensor w, Filter o, float alpha, float beta, Tensor z, Tensor gOut, Tensor gH0) {
        op("recurrenceBackward", () -> {
            CudaTensor tw = f32(w, "w"), tz = f32(z, "z"), tg = f32(gOut, "gOut");
            CudaTensor th0 = gH0 == null ? null : f32(gH0, "gH0");
            Shapes.Sequence dims = Shapes.recurrenceBackward(tw, o, tz, tg, th0);
            int n = dims.n(), steps = dims.steps(), batch = dims.batch();
            boolean perStep = dims.perStep();
            FilterOps f = new FilterOps(o, n, 1, "recurrenceBackward");
            // T = 0 stays on the per-step path (it writes gH0 = 0, as the CPU engine does).
            RecurrenceLayout layout = steps == 0 ? null : recurrenceLayout(false, n, batch, f);
            if (layout != null) {
                launchRecurrenceBackward(layout, tw, f, alpha, beta, tz, tg, perStep, th0, steps, batch, n);
                return;
            }
            long plane = (long) batch * n;
            CUdeviceptr carry0 = scratch("carry", 4L * plane), next0 = scratch("carry2", 4L * plane),
                    gsum = scratch("gsum", 4L * plane);
            Supplier<String> key = () -> "recurrenceBackward " + tw.ptr() + tz.ptr() + tg.ptr() + (th0 == null ? "-" : th0.ptr())
                    + carry0 + next0 + gsum + f.key() + " alpha=" + Float.floatToIntBits(alpha) + " beta=" + Float.floatToIntBits(beta)
                    + " T=" + steps + " B=" + batch + " N=" + n + " perStep=" + perStep;
            sequence(key, () -> {
                CUdeviceptr carry = carry0, next = next0;
                fillRaw(carry, plane, 0f);
                for (int t = steps - 1; t >= 0; t--) {
                    CUdeviceptr extra = perStep ? tg.ptr(t * plane) : (t == steps - 1 ? tg.ptr() : null);
                    backwardStep(tz.ptr(t * plane), carry, extra, gsum, tw.ptr(), f, 0, alpha, beta, next, batch, n);
                    CUdeviceptr tmp = carry;
                    carry = next;
                    next = tmp;
                }
                if (th0 != null && plane > 0) {
                    cuMemcpyDtoDAsync(th0.ptr(), carry, 4L * plane, stream);
                }
            });
        });
    }

    /**
     * The persistent-kernel layout for this recurrence, or null for the per-step path; says once per
     * engine, in one line, which path a (direction, N, filter kind) takes and why (the line shows the
     * batch of the first call; other batches change only the split, not the path).
     */
    private RecurrenceLayout recurrenceLayout(boolean forward, int n, int batch, FilterOps f) {
        RecurrenceLayout layout = persistentLayout(forward, n, batch, f.dense());
        String what = (forward ? "recurrenceForward" : "recurrenceBackward") + " N=" + n + " B=" + batch + " filter "
                + f.kind.name().toLowerCase(java.util.Locale.ROOT);
        String path;
        if (layout != null) {
            path = "one persistent launch for all steps (" + layout.describe() + ")";
        } else if (!persistentRecurrences) {
            path = "per-step launches (persistent kernels turned off)";
        } else {
            path = "per-step launches (the persistent kernels cover N <= 128, and on sm_90+ dense N <= 256 and"
                    + " permutation/none N <= 512; this is sm_" + ccMajor + ccMinor + ")";
        }
        String key = (forward ? "forward " : "backward ") + n + " " + f.kind + " " + (layout == null ? "per-step" : layout.cluster());
        if (log != null && noticesGiven.add(key)) {
            log.accept("roaf: cuda:" + ordinal + " " + what + ": " + path);
        }
        return layout;
    }

    /** The persistent kernels' layout on this device, or null (turned off, or the shape is not covered). */
    private RecurrenceLayout persistentLayout(boolean forward, int n, int batch, boolean dense) {
        if (!persistentRecurrences) {
            return null;
        }
        if (forcedRecCluster > 0) {
            return forcedRecCluster > maxCluster() ? null
                    : RecurrenceLayout.of(forward, n, batch, dense, forcedRecCluster, forcedRecRows, forcedRecSegments, sharedOptIn);
        }
        return forward ? RecurrenceLayout.forward(n, batch, dense, smCount, maxCluster(), sharedOptIn)
                : RecurrenceLayout.backward(n, batch, dense, smCount, maxCluster(), sharedOptIn);
    }

    /**
     * Which path a recurrence of width {@code n} over {@code batch} rows takes here, in words starting
     * with "persistent" when both sweeps use the persistent kernels (for native-tests and GpuBench).
     */
    String persistentRecurrenceDescription(int n, int batch, boolean dense) {
        RecurrenceLayout f = persistentLayout(true, n, batch, dense), b = persistentLayout(false, n, batch, dense);
        if (f != null && b != null) {
            return "persistent: forward " + f.describe() + "; backward " + b.describe();
        }
        return "per-step launches" + (f != null ? " (backward; the forward is persistent: " + f.describe() + ")"
                : b != null ? " (forward; the backward is persistent: " + b.describe() + ")" : "");
    }

    /**
     * Forces the persistent recurrences' layout: {@code cluster} blocks per team owning {@code rows} batch rows, each
     * weight row over {@code segments} lanes, instead of {@link RecurrenceLayout}'s choice; 0, 0, 0 restores the choice.
     * A layout the kernels cannot run ({@link RecurrenceLayout#of}) takes the per-step path. For GpuBench's sweep over
     * layouts and the native test that checks each one.
     */
    void forceRecurrenceShape(int cluster, int rows, int segments) {
        if (cluster < 0 || rows < 0 || segments < 0 || (cluster > 0) != (rows > 0) || (cluster > 0) != (segments > 0)) {
            throw new IllegalArgumentException("forceRecurrenceShape: cluster, rows and segments all positive, or all 0; got "
                    + cluster + ", " + rows + ", " + segments);
        }
        forcedRecCluster = cluster;
        forcedRecRows = rows;
        forcedRecSegments = segments;
    }

    /**
     * Whether a forced recurrence layout ({@link #forceRecurrenceShape}) runs the forward (or the backward) sweep on the
     * persistent kernels on this device at this shape (the other sweep may not: a dense filter's backward rows are twice
     * as long, and then take more lanes).
     */
    boolean recurrenceShapeRuns(boolean forward, int cluster, int rows, int segments, int n, int batch, boolean dense) {
        return cluster <= maxCluster() && RecurrenceLayout.of(forward, n, batch, dense, cluster, rows, segments, sharedOptIn) != null;
    }

    /** The device's compute capability, major part (9 for an H100). */
    int computeCapabilityMajor() {
        return ccMajor;
    }

    /** Launches roaf_recurrence_forward (or its cluster variant): all steps of the forward sweep. */
    private void launchRecurrenceForward(RecurrenceLayout l, CudaTensor p, CudaTensor w, FilterOps f, float alpha, float beta,
                                         CudaTensor h, CudaTensor z, int steps, int batch, int n) {
        launchWithShared(fixedRecurrence(l, true) ? "roaf_recurrence_forward_fixed_" + l.segments()
                        : l.kernel("roaf_recurrence_forward"), l.teams() * l.cluster(), 1, l.threads(), 1, l.sharedBytes(),
                p, w, f.dense() ? f.mat(0) : null, f.idx(0), f.sgn(0), h, z, steps, batch, n, f.code, alpha, beta,
                l.units(), l.rows(), l.segments(), l.chunks());
    }

    /**
     * Whether this sweep takes the kernels with the layout fixed at compile time ({@code roaf_recurrence_*_fixed_<S>}
     * in kernels/recurrence.cu): when they are turned on and the layout is theirs, one block and one batch row per
     * team, 16 chunks, and S = 2 (forward) or 2 or 4 (backward).
     */
    private boolean fixedRecurrence(RecurrenceLayout l, boolean forward) {
        return fixedRecurrences && fixedLayout(l, forward);
    }

    /** Whether a fixed-layout kernel exists for this layout (kernels/recurrence.cu, ROAF_REC_FIXED_*). */
    private static boolean fixedLayout(RecurrenceLayout l, boolean forward) {
        return l.cluster() == 1 && l.rows() == 1 && l.chunks() == RecurrenceLayout.MAX_CHUNKS
                && (l.segments() == 2 || (!forward && l.segments() == 4));
    }

    /** Launches roaf_recurrence_backward (or its cluster variant): the whole BPTT sweep, d_t over z and gH0. */
    private void launchRecurrenceBackward(RecurrenceLayout l, CudaTensor w, FilterOps f, float alpha, float beta, CudaTensor z,
                                          CudaTensor gOut, boolean perStep, CudaTensor gH0, int steps, int batch, int n) {
        launchWithShared(fixedRecurrence(l, false) ? "roaf_recurrence_backward_fixed_" + l.segments()
                        : l.kernel("roaf_recurrence_backward"), l.teams() * l.cluster(), 1, l.threads(), 1, l.sharedBytes(),
                w, f.dense() ? f.mat(0) : null, f.idx(0), f.sgn(0), z, gOut, perStep ? 1 : 0, gH0, steps, batch, n, f.code,
                alpha, beta, l.units(), l.rows(), l.segments(), l.chunks());
    }

    /**
     * Turns the persistent recurrence kernels on or off for this engine (native-tests compare both
     * paths with the CPU engine; GpuBench times both).
     */
    void usePersistentRecurrences(boolean on) {
        persistentRecurrences = on;
    }

    /** Lets the own GEMM split K ({@link GemmPlan}) or not, for this engine (GpuBench times both). */
    void useSplitGemmK(boolean on) {
        splitGemmK = on;
    }

    /** Lets the persistent recurrences take the fixed-layout kernels where they apply, or not (native tests, GpuBench). */
    void useFixedRecurrences(boolean on) {
        fixedRecurrences = on;
    }

    /** Whether the fixed-layout recurrence kernels would run a sweep of this shape (both sweeps; for tests and GpuBench). */
    boolean fixedRecurrenceApplies(int n, int batch, boolean dense) {
        RecurrenceLayout f = persistentLayout(true, n, batch, dense), b = persistentLayout(false, n, batch, dense);
        return f != null && b != null && fixedLayout(f, true) && fixedLayout(b, false);
    }

    /** Lets the own GEMM's unsplit 128 x 128 tiles run as {@code roaf_gemm2_*} or not, for this engine (native tests, GpuBench). */
    void useGemm2(boolean on) {
        gemm2 = on;
    }

    /** Lets the own GEMM run thin products as {@code roaf_thin_*} or not, for this engine (native tests, GpuBench). */
    void useThinGemm(boolean on) {
        thinGemm = on;
    }

    /** Turns CUDA-graph replay of the per-step sweeps on or off for this engine (native tests and GpuBench). */
    void useLaunchGraphs(boolean on) {
        launchGraphs = on;
    }

    /** Sequences this engine's {@link LaunchGraphs} has captured so far (native tests check that captures happen). */
    long launchGraphCaptures() {
        return graphs.captures();
    }

    /**
     * Runs {@code launches} directly, or through {@link #graphs} when launch graphs are on, keyed by {@code key}
     * (built only then: it formats every address the sequence uses).
     */
    private void sequence(Supplier<String> key, Runnable launches) {
        if (launchGraphs) {
            graphs.run(key.get(), stream, launches, on -> capturing = on, log);
        } else {
            launches.run();
        }
    }

    @Override
    public void lstmForward(Tensor p, Tensor w, Tensor h, Tensor c, Tensor gates) {
        op("lstmForward", () -> {
            CudaTensor tp = f32(p, "p"), tw = f32(w, "w"), th = f32(h, "h"), tc = f32(c, "c");
            CudaTensor tgt = gates == null ? null : f32(gates, "gates");
            Shapes.Sequence dims = Shapes.lstmForward(tp, tw, th, tc, tgt);
            int n = dims.n(), n4 = 4 * n, steps = dims.steps(), batch = dims.batch();
            RecurrenceLayout layout = steps == 0 ? null : lstmLayout(true, n, batch);
            if (layout != null) {
                launchWithShared(layout.kernel("roaf_lstm_forward"), layout.teams() * layout.cluster(), 1, layout.threads(), 1,
                        layout.sharedBytes(), tp, tw, th, tc, tgt, steps, batch, n, layout.units(), layout.rows(), layout.segments(),
                        layout.chunks());
                return;
            }
            long plane = (long) batch * n, plane4 = (long) batch * n4;
            CUdeviceptr tmp = tgt == null ? scratch("lstmGates", 4L * plane4) : null;
            Supplier<String> key = () -> "lstmForward " + tp.ptr() + tw.ptr() + th.ptr() + tc.ptr() + (tgt == null ? tmp : tgt.ptr())
                    + " T=" + steps + " B=" + batch + " N=" + n;
            sequence(key, () -> {
                for (int t = 0; t < steps; t++) {
                    CUdeviceptr acc = tgt == null ? tmp : tgt.ptr(t * plane4);
                    gemmRaw(false, true, batch, n4, n, 1f, th.ptr(t * plane), n, tw.ptr(), n, 0f, acc, n4);
                    launch1d("roaf_lstm_cell_forward", plane, acc, tp.ptr(t * plane4), tc.ptr(t * plane), tc.ptr((t + 1) * plane),
                            th.ptr((t + 1) * plane), acc, (long) batch, n);
                }
            });
        });
    }

    @Override
    public void lstmBackward(Tensor w, Tensor h, Tensor c, Tensor gates, Tensor gOut) {
        op("lstmBackward", () -> {
            CudaTensor tw = f32(w, "w"), th = f32(h, "h"), tc = f32(c, "c"), tgt = f32(gates, "gates"), tg = f32(gOut, "gOut");
            Shapes.Sequence dims = Shapes.lstmBackward(tw, th, tc, tgt, tg);
            int n = dims.n(), n4 = 4 * n, steps = dims.steps(), batch = dims.batch();
            boolean perStep = dims.perStep();
            RecurrenceLayout layout = steps == 0 ? null : lstmLayout(false, n, batch);
            if (layout != null) {
                launchWithShared(layout.kernel("roaf_lstm_backward"), layout.teams() * layout.cluster(), 1, layout.threads(), 1,
                        layout.sharedBytes(), tw, tc, tgt, tg, perStep ? 1 : 0, steps, batch, n, layout.units(), layout.rows(),
                        layout.segments(), layout.chunks());
                return;
            }
            long plane = (long) batch * n, plane4 = (long) batch * n4;
            CUdeviceptr dh = scratch("lstmDh", 4L * plane), dc = scratch("lstmDc", 4L * plane);
            Supplier<String> key = () -> "lstmBackward " + tw.ptr() + th.ptr() + tc.ptr() + tgt.ptr() + tg.ptr() + dh + dc + " T=" + steps + " B="
                    + batch + " N=" + n + " perStep=" + perStep;
            sequence(key, () -> {
                fillRaw(dc, plane, 0f);
                for (int t = steps - 1; t >= 0; t--) {
                    CUdeviceptr gO = perStep ? tg.ptr(t * plane) : (t == steps - 1 ? tg.ptr() : null);
                    launch1d("roaf_lstm_cell_backward", plane, tgt.ptr(t * plane4), tc.ptr((t + 1) * plane), tc.ptr(t * plane),
                            t == steps - 1 ? null : dh, gO, dc, (long) batch, n);
                    if (t > 0) {
                        gemmRaw(false, false, batch, n, n4, 1f, tgt.ptr(t * plane4), n4, tw.ptr(), n, 0f, dh, n);
                    }
                }
            });
        });
    }

    /**
     * The persistent LSTM layout for this sweep, or null for the per-step path; says once per engine, in one line, which
     * path a (direction, N) takes and why.
     */
    private RecurrenceLayout lstmLayout(boolean forward, int n, int batch) {
        RecurrenceLayout layout = persistentLstmLayout(forward, n, batch);
        String path;
        if (layout != null) {
            path = "one persistent launch for all steps (" + layout.describe() + ")";
        } else if (!persistentLstm) {
            path = "per-step launches (a product and a fused cell per step; the persistent LSTM kernels are opt-in until"
                    + " verified on a GPU: -Droaf.cuda.persistentLstm=true)";
        } else {
            path = "per-step launches (the persistent LSTM kernels cover N <= 64 in one block, and on sm_90+ N <= 256"
                    + " forward and N <= 128 backward; this is sm_" + ccMajor + ccMinor + ")";
        }
        String key = "lstm " + (forward ? "forward " : "backward ") + n + " " + (layout == null ? "per-step" : layout.cluster());
        if (log != null && noticesGiven.add(key)) {
            log.accept("roaf: cuda:" + ordinal + " " + (forward ? "lstmForward" : "lstmBackward") + " N=" + n + " B=" + batch + ": "
                    + path);
        }
        return layout;
    }

    /** The persistent LSTM kernels' layout on this device, or null (turned off, or the shape is not covered). */
    private RecurrenceLayout persistentLstmLayout(boolean forward, int n, int batch) {
        if (!persistentLstm) {
            return null;
        }
        return forward ? RecurrenceLayout.lstmForward(n, batch, smCount, maxCluster(), sharedOptIn)
                : RecurrenceLayout.lstmBackward(n, batch, smCount, maxCluster(), sharedOptIn);
    }

    /** Turns the persistent LSTM kernels on or off for this engine (native tests compare both paths; GpuBench times both). */
    void usePersistentLstm(boolean on) {
        persistentLstm = on;
    }

    /**
     * Which path an LSTM of width {@code n} over {@code batch} rows takes here, in words starting with "persistent" when
     * both sweeps take the persistent kernels (for native tests and GpuBench).
     */
    String persistentLstmDescription(int n, int batch) {
        RecurrenceLayout f = persistentLstmLayout(true, n, batch), b = persistentLstmLayout(false, n, batch);
        if (f != null && b != null) {
            return "persistent: forward " + f.describe() + "; backward " + b.describe();
        }
        return "per-step launches" + (f != null ? " (backward; the forward is persistent: " + f.describe() + ")"
                : b != null ? " (forward; the backward is persistent: " + b.describe() + ")" : "");
    }

    // ----------------------------------------------------------------------------------- losses

    @Override
    public double softmaxCrossEntropy(Tensor logits, Tensor labels, float gradScale, Tensor dLogits, Tensor predictions) {
        return op("softmaxCrossEntropy", () -> {
            CudaTensor tl = f32(logits, "logits"), ty = cu(labels, "labels");
            require(ty.dtype() == DType.I32, "softmaxCrossEntropy: labels must be I32, got " + ty);
            CudaTensor td = dLogits == null ? null : f32(dLogits, "dLogits");
            CudaTensor tp = predictions == null ? null : cu(predictions, "predictions");
            int m = tl.rows(), classes = tl.cols();
            require(ty.size() == m, "softmaxCrossEntropy: " + ty.size() + " labels for " + m + " rows");
            if (td != null) {
                require(td.size() == tl.size(), "softmaxCrossEntropy: dLogits " + td + " does not match logits " + tl);
            }
            if (tp != null) {
                require(tp.dtype() == DType.I32 && tp.size() == m, "softmaxCrossEntropy: predictions " + tp + " for " + m + " rows");
            }
            if (m == 0) {
                return 0.0;
            }
            int blocks = (m + BLOCK - 1) / BLOCK;
            CUdeviceptr partial = scratch("partial", 8L * blocks);
            CUdeviceptr bad = scratch("flag", 4);
            cuMemsetD32Async(bad, 0, 1, stream);
            launch("roaf_softmax_xent", blocks, 1, BLOCK, 1, tl, ty, m, classes, gradScale, td, tp, partial, bad);
            double sum = sumPartials(partial, blocks);
            int[] flag = new int[1];
            cuMemcpyDtoH(Pointer.to(flag), bad, 4);
            if (flag[0] != 0) {
                throw new IllegalArgumentException("softmaxCrossEntropy: label " + (flag[0] - 1) + " out of range [0," + classes + ")");
            }
            return sum;
        });
    }

    @Override
    public double squaredError(Tensor pred, Tensor target, float gradScale, Tensor dPred) {
        return op("squaredError", () -> {
            CudaTensor tp = f32(pred, "pred"), tt = f32(target, "target");
            CudaTensor td = dPred == null ? null : f32(dPred, "dPred");
            require(tp.size() == tt.size(), "squaredError: pred " + tp + " and target " + tt + " differ in size");
            if (td != null) {
                require(td.size() == tp.size(), "squaredError: dPred " + td + " does not match pred " + tp);
            }
            if (tp.size() == 0) {
                return 0.0;
            }
            int blocks = blocks(tp.size(), MAX_REDUCE_BLOCKS);
            CUdeviceptr partial = scratch("partial", 8L * blocks);
            launch("roaf_squared_error", blocks, 1, BLOCK, 1, tp, tt, tp.size(), gradScale, td, partial);
            return sumPartials(partial, blocks);
        });
    }

    // ------------------------------------------------------------------------------- optimizers

    @Override
    public void sgdStep(Tensor params, Tensor grads, Tensor velocity, float lr, float momentum, float weightDecay) {
        op("sgdStep", () -> {
            CudaTensor tp = f32(params, "params"), tg = f32(grads, "grads");
            require(tp.size() == tg.size(), "sgdStep: params " + tp + " and grads " + tg + " differ in size");
            requireWeightDecay("sgdStep", weightDecay);
            CudaTensor tv = momentum != 0f ? f32(velocity, "velocity") : null;
            if (tv != null) {
                require(tv.size() == tp.size(), "sgdStep: velocity " + tv + " does not match params " + tp);
            }
            launch1d("roaf_sgd_step", tp.size(), tp, tg, tv, tp.size(), lr, momentum, weightDecay);
        });
    }

    @Override
    public void adamStep(Tensor params, Tensor grads, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, int t,
                         float weightDecay, boolean decoupled) {
        op("adamStep", () -> {
            CudaTensor tp = f32(params, "params"), tg = f32(grads, "grads"), tm = f32(m, "m"), tv = f32(v, "v");
            require(tp.size() == tg.size() && tp.size() == tm.size() && tp.size() == tv.size(),
                    "adamStep: params, grads, m and v must have the same size");
            require(t >= 1, "adamStep: step t must be at least 1, got " + t);
            requireWeightDecay("adamStep", weightDecay);
            double bc1 = 1.0 - Math.pow(beta1, t);
            double bc2 = 1.0 - Math.pow(beta2, t);
            float stepSize = (float) (lr / bc1);
            float sqrtBc2 = (float) Math.sqrt(bc2);
            float l2 = decoupled ? 0f : weightDecay;
            float shrink = decoupled ? (float) (1.0 - (double) lr * weightDecay) : 1f;
            launch1d("roaf_adam_step", tp.size(), tp, tg, tm, tv, tp.size(), beta1, beta2, stepSize, sqrtBc2, eps, l2, shrink);
        });
    }

    private static void requireWeightDecay(String op, float weightDecay) {
        require(weightDecay >= 0f && !Float.isInfinite(weightDecay),
                op + ": weight decay must be a finite number >= 0, got " + weightDecay);
    }

    // ------------------------------------------------------------------------------------ close

    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            cuCtxSetCurrent(context);
            cuStreamSynchronize(stream);
        } catch (jcuda.CudaException e) {
            // closing anyway
        }
        // Tensors still open are freed here (and refuse use afterwards): the primary context may
        // outlive this engine (another engine, cuBLAS), so their memory would otherwise stay taken.
        List<CudaTensor.Storage> left;
        synchronized (liveStorages) {
            left = new ArrayList<>(liveStorages);
            liveStorages.clear();
        }
        for (CudaTensor.Storage st : left) {
            st.open = false;
            try {
                release(st.base, st.bytes);
            } catch (RuntimeException e) {
                // best effort: a broken context frees its memory when it is destroyed
            }
        }
        releaseQuietly();
        closed = true;
    }

    private void releaseQuietly() {
        Runnable[] steps = {
            graphs::close,
            () -> {
                if (profiler != null) {
                    OpProfiler p = profiler;
                    profiler = null;
                    p.close();
                }
            },
            () -> {
                if (cublas != null) {
                    cublas.close();
                }
            },
            () -> {
                if (curand != null) {
                    CurandDraws g = curand;
                    curand = null;
                    g.close();
                }
            },
            () -> {
                for (Scratch s : scratch.values()) {
                    if (s.ptr != null) {
                        CUdeviceptr p = s.ptr;
                        s.ptr = null;
                        try {
                            release(p, s.bytes);
                        } catch (RuntimeException e) {
                            // counted as released; best effort
                        }
                    }
                }
                scratch.clear();
            },
            () -> {
                if (staging != null) {
                    cuMemFreeHost(staging);
                    staging = null;
                }
            },
            () -> {
                for (CUmodule m : modules) {
                    cuModuleUnload(m);
                }
                modules.clear();
            },
            () -> cuEventDestroy(stagingFree),
            () -> cuStreamDestroy(stream),
            () -> {
                if (contextRetained) {
                    contextRetained = false;
                    cuDevicePrimaryCtxRelease(device);
                }
            },
        };
        for (Runnable r : steps) {
            try {
                r.run();
            } catch (RuntimeException e) {
                // best effort: the process may be exiting with a broken context
            }
        }
    }
}
