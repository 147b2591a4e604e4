package dev.roaf.engine;

/**
 * Seed mixing shared by every random stream of the project (tasks, initialisation, engine draws):
 * SplitMix64's finaliser and a two-value mix built on it. Pure functions; the values are part of
 * what makes recorded runs reproducible, so they must never change.
 */
public final class SeedMix {
    private SeedMix() {
    }

    /** SplitMix64's finaliser: a bijection on longs that spreads every input bit over the output. */
    public static long fmix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Mixes two values into one seed; different pairs give unrelated seeds (order matters). */
    public static long mix(long a, long b) {
        return fmix(fmix(a) + 0x9e3779b97f4a7c15L * (b + 1));
    }
}
