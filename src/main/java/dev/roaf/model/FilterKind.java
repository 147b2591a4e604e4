package dev.roaf.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/** How the fixed orthogonal filters O are drawn. */
public enum FilterKind {
    /** An independent Haar-random orthogonal matrix per layer (one for a recurrence). */
    HAAR("haar"),
    /** One Haar-random orthogonal matrix shared by every layer. */
    HAAR_SHARED("haar-shared"),
    /** A random signed permutation per layer: O x costs O(N) and is stored as indices and signs. */
    PERMUTATION("permutation");

    private final String cliName;

    FilterKind(String cliName) {
        this.cliName = cliName;
    }

    /** The name used on the command line and in a saved file's metadata. */
    public String cliName() {
        return cliName;
    }

    /** Parses a command-line name, listing the valid ones when it is unknown. */
    public static FilterKind parse(String name) {
        for (FilterKind k : values()) {
            if (k.cliName.equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown filter '" + name + "'; expected one of "
                + Arrays.stream(values()).map(FilterKind::cliName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return cliName;
    }
}
