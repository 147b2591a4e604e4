package dev.roaf;

import dev.roaf.model.FilterKind;

import java.util.Arrays;
import java.util.stream.Collectors;

/** How the fixed random orthogonal filters {@code O} of a ROAF model are drawn. */
public enum FilterType {
    /** An independent Haar-random orthogonal matrix per layer (one for a recurrence); the default. */
    HAAR(FilterKind.HAAR),
    /** One Haar-random orthogonal matrix shared by every layer. */
    HAAR_SHARED(FilterKind.HAAR_SHARED),
    /** A random signed permutation per layer: {@code O x} costs O(N) time and memory. */
    PERMUTATION(FilterKind.PERMUTATION);

    private final FilterKind kind;

    FilterType(FilterKind kind) {
        this.kind = kind;
    }

    /**
     * The name on the command line and in a saved file's metadata, e.g. {@code haar-shared}.
     *
     * @return the name
     */
    public String cliName() {
        return kind.cliName();
    }

    /**
     * Parses a command-line name: {@code haar}, {@code haar-shared} or {@code permutation}.
     *
     * @param name the name
     * @return the filter type
     * @throws IllegalArgumentException for an unknown name; the message lists the valid ones
     */
    public static FilterType parse(String name) {
        for (FilterType f : values()) {
            if (f.cliName().equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown filter '" + name + "'; expected one of "
                + Arrays.stream(values()).map(FilterType::cliName).collect(Collectors.joining(", ")));
    }

    FilterKind kind() {
        return kind;
    }

    static FilterType of(FilterKind kind) {
        for (FilterType f : values()) {
            if (f.kind == kind) {
                return f;
            }
        }
        return null;
    }

    /**
     * The command-line name.
     *
     * @return {@link #cliName()}
     */
    @Override
    public String toString() {
        return cliName();
    }
}
