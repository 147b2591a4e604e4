package dev.roaf;

import dev.roaf.engine.Engine;
import dev.roaf.engine.Engines;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * A device to run a {@link Model} on: the CPU (with a number of worker threads), a CUDA GPU by index,
 * or the best available one.
 *
 * <p>A {@code Device} is an immutable description, not a resource: it holds no memory and needs no
 * closing. Each {@link Model} opens its own engine on its device when it is built or loaded and
 * releases it in {@link Model#close()}. Instances are compared by value.
 *
 * <p>Without a usable CUDA GPU (driver, device), building or loading a model on {@link #gpu(int)}
 * fails with {@link IllegalArgumentException} saying why, and {@link #best()} runs on the CPU and
 * says so to the {@link #withNotices notice sink}, if any.
 */
public final class Device {
    private final String name;
    private final int threads;
    private final Consumer<String> notices;

    private Device(String name, int threads, Consumer<String> notices) {
        this.name = name;
        this.threads = threads;
        this.notices = notices;
    }

    /**
     * The CPU device with one worker thread per available processor.
     *
     * @return the CPU device
     */
    public static Device cpu() {
        return new Device("cpu", 0, null);
    }

    /**
     * The CPU device with a fixed number of worker threads.
     *
     * @param threads worker threads, at least 1 (0 means one per available processor)
     * @return the CPU device
     * @throws IllegalArgumentException if {@code threads} is negative
     */
    public static Device cpu(int threads) {
        return new Device("cpu", checkThreads(threads), null);
    }

    /**
     * The CUDA GPU with index {@code index} (as {@code nvidia-smi} numbers them).
     *
     * @param index the GPU index, 0 or more
     * @return the GPU device
     * @throws IllegalArgumentException if {@code index} is negative
     */
    public static Device gpu(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("GPU index must be >= 0, got " + index);
        }
        return new Device("cuda:" + index, 0, null);
    }

    /**
     * The best available device: the first GPU when a CUDA engine is usable, otherwise the CPU with
     * one thread per available processor.
     *
     * @return the automatic device
     */
    public static Device best() {
        return new Device("auto", 0, null);
    }

    /**
     * Parses a device name as the command line gives it: {@code auto}, {@code cpu}, {@code cuda} or
     * {@code cuda:N}.
     *
     * @param name    the device name
     * @param threads CPU worker threads (0 means one per available processor); used by {@code cpu}
     *                and by {@code auto} when it falls back to the CPU
     * @return the device
     * @throws IllegalArgumentException for an unknown name (the message lists the valid ones) or a
     *                                  negative thread count
     */
    public static Device parse(String name, int threads) {
        Objects.requireNonNull(name, "name");
        checkThreads(threads);
        if (name.equals("auto") || name.equals("cpu")) {
            return new Device(name, threads, null);
        }
        if (name.equals("cuda")) {
            return new Device("cuda:0", threads, null);
        }
        if (name.startsWith("cuda:")) {
            try {
                return new Device("cuda:" + gpuIndex(name), threads, null);
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("unknown device '" + name + "'; expected auto, cpu, cuda or cuda:N");
    }

    private static int gpuIndex(String name) {
        int i = Integer.parseInt(name.substring("cuda:".length()));
        if (i < 0) {
            throw new NumberFormatException("negative");
        }
        return i;
    }

    private static int checkThreads(int threads) {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0 (0 = one per processor), got " + threads);
        }
        return threads;
    }

    /**
     * This device with a sink for one-line notices, such as {@link #best()} saying that it falls
     * back to the CPU, or a CPU device saying that the JVM lacks the module
     * {@code jdk.incubator.vector} (its products then run as plain loops, about half as fast).
     *
     * @param sink receives each notice line (for example {@code System.err::println}); null for none
     * @return a device equal to this one that reports its notices to {@code sink}
     */
    public Device withNotices(Consumer<String> sink) {
        return new Device(name, threads, sink);
    }

    /**
     * The device's name: {@code cpu}, {@code cuda:N} or {@code auto}.
     *
     * @return the name, as {@link #parse} accepts it
     */
    public String name() {
        return name;
    }

    /**
     * The CPU worker threads asked for.
     *
     * @return the thread count, 0 meaning one per available processor
     */
    public int threads() {
        return threads;
    }

    /**
     * Whether this device names a GPU ({@code cuda:N}).
     *
     * @return true for {@link #gpu(int)} devices
     */
    public boolean isGpu() {
        return name.startsWith("cuda:");
    }

    /** Opens an engine on this device; the caller owns (closes) it. */
    Engine open() {
        return Engines.open(name, threads, notices);
    }

    /**
     * Compares name and thread count (the notice sink does not count).
     *
     * @param o another object
     * @return whether {@code o} is a device with the same name and thread count
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof Device d && d.name.equals(name) && d.threads == threads;
    }

    /**
     * A hash of name and thread count.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return name.hashCode() * 31 + threads;
    }

    /**
     * The name, with the thread count when one was given, e.g. {@code cpu(4)}.
     *
     * @return a short description
     */
    @Override
    public String toString() {
        return threads > 0 ? name + "(" + threads + ")" : name;
    }
}
