package dev.roaf.engine.cuda;

import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place that touches the CUDA driver first. JCuda's first use extracts its JNI library and
 * loads {@code libcuda.so.1}; where there is no driver that throws {@link UnsatisfiedLinkError}
 * with a multi-page message, and every later touch of the class throws
 * {@link NoClassDefFoundError}. This class catches that once and keeps a one-line answer.
 */
public final class CudaProbe {
    private static volatile CudaProbe cached;

    private final boolean usable;
    private final String reason;
    private final int devices;
    private final int driverVersion;

    private CudaProbe(boolean usable, String reason, int devices, int driverVersion) {
        this.usable = usable;
        this.reason = reason;
        this.devices = devices;
        this.driverVersion = driverVersion;
    }

    /** Probes the driver on first call (cuInit, device count) and remembers the answer. */
    public static CudaProbe get() {
        CudaProbe p = cached;
        if (p == null) {
            synchronized (CudaProbe.class) {
                p = cached;
                if (p == null) {
                    p = run();
                    cached = p;
                }
            }
        }
        return p;
    }

    private static CudaProbe run() {
        try {
            JCudaDriver.setExceptionsEnabled(true);
            JCudaDriver.cuInit(0);
            int[] count = new int[1];
            JCudaDriver.cuDeviceGetCount(count);
            int[] version = new int[1];
            JCudaDriver.cuDriverGetVersion(version);
            if (count[0] == 0) {
                return new CudaProbe(false, "no usable CUDA driver: the driver reports no CUDA device", 0, version[0]);
            }
            // Touch device 0 so that a broken installation fails here, not in the engine.
            CUdevice d = new CUdevice();
            JCudaDriver.cuDeviceGet(d, 0);
            return new CudaProbe(true, "", count[0], version[0]);
        } catch (LinkageError e) {
            return new CudaProbe(false, "no usable CUDA driver: " + shortReason(e), 0, 0);
        } catch (jcuda.CudaException e) {
            return new CudaProbe(false, "no usable CUDA driver: " + firstLine(e.getMessage()), 0, 0);
        } catch (RuntimeException e) {
            return new CudaProbe(false, "no usable CUDA driver: " + e.getClass().getSimpleName() + ": " + firstLine(e.getMessage()), 0, 0);
        }
    }

    private static final Pattern MISSING_LIB = Pattern.compile("(lib[A-Za-z0-9_.+-]+\\.so[0-9.]*): cannot open shared object file");

    /** "libcuda.so.1 not found" and the like, from JCuda's long native-library message. */
    static String shortReason(Throwable e) {
        String msg = e.getMessage() == null ? "" : e.getMessage();
        Matcher m = MISSING_LIB.matcher(msg);
        if (m.find()) {
            return m.group(1) + " not found (is the NVIDIA driver installed?)";
        }
        if (e instanceof NoClassDefFoundError) {
            return "the JCuda driver bindings failed to initialise earlier in this process";
        }
        return e.getClass().getSimpleName() + ": " + firstLine(msg);
    }

    static String firstLine(String s) {
        if (s == null || s.isBlank()) {
            return "(no message)";
        }
        String line = s.strip().lines().findFirst().orElse("");
        return line.length() > 160 ? line.substring(0, 157) + "..." : line;
    }

    /** Whether at least one CUDA device can be opened. */
    public boolean usable() {
        return usable;
    }

    /** One line saying why CUDA is not usable ("" when it is). */
    public String reason() {
        return reason;
    }

    /** Number of CUDA devices (0 when not usable). */
    public int devices() {
        return devices;
    }

    /** The driver's CUDA version as an integer, e.g. 13000 (0 when unknown). */
    public int driverVersion() {
        return driverVersion;
    }
}
