package dev.roaf.engine;

/**
 * The fixed orthogonal filter {@code O} of a ROAF layer or recurrence, as an engine operand.
 *
 * <p>Kinds: {@link Kind#DENSE} holds the matrix ({@code [N,N]} shared, or {@code [L,N,N]} one per
 * layer); {@link Kind#SIGNED_PERMUTATION} holds {@code index} (I32) and {@code sign} (F32), each
 * {@code [N]} or {@code [L,N]}, with {@code (O x)_i = sign_i * x_{index_i}}; {@link Kind#IDENTITY}
 * is {@code O = I} (the residual MLP); {@link Kind#NONE} drops the filter term (plain MLP, Elman RNN).
 * A filter does not own its tensors.
 */
public final class Filter {
    /** What {@code O} is. */
    public enum Kind { NONE, IDENTITY, DENSE, SIGNED_PERMUTATION }

    private static final Filter NONE = new Filter(Kind.NONE, null, null, null);
    private static final Filter IDENTITY = new Filter(Kind.IDENTITY, null, null, null);

    private final Kind kind;
    private final Tensor matrix;
    private final Tensor index;
    private final Tensor sign;

    private Filter(Kind kind, Tensor matrix, Tensor index, Tensor sign) {
        this.kind = kind;
        this.matrix = matrix;
        this.index = index;
        this.sign = sign;
    }

    /** No filter term at all. */
    public static Filter none() {
        return NONE;
    }

    /** {@code O = I}. */
    public static Filter identity() {
        return IDENTITY;
    }

    /** A dense orthogonal matrix {@code [N,N]} (shared by every layer) or {@code [L,N,N]} (one per layer). */
    public static Filter dense(Tensor matrix) {
        if (matrix.dtype() != DType.F32 || (matrix.rank() != 2 && matrix.rank() != 3) || matrix.dim(-1) != matrix.dim(-2)) {
            throw new IllegalArgumentException("dense filter must be F32 [N,N] or [L,N,N], got " + matrix);
        }
        return new Filter(Kind.DENSE, matrix, null, null);
    }

    /** A signed permutation: {@code index} I32 and {@code sign} F32, both {@code [N]} or {@code [L,N]}. */
    public static Filter signedPermutation(Tensor index, Tensor sign) {
        if (index.dtype() != DType.I32 || sign.dtype() != DType.F32 || !java.util.Arrays.equals(index.shape(), sign.shape())
                || index.rank() < 1 || index.rank() > 2) {
            throw new IllegalArgumentException("signed permutation needs I32 index and F32 sign of equal shape [N] or [L,N], got " + index + ", " + sign);
        }
        return new Filter(Kind.SIGNED_PERMUTATION, null, index, sign);
    }

    public Kind kind() {
        return kind;
    }

    /** The dense matrix, or null. */
    public Tensor matrix() {
        return matrix;
    }

    /** The permutation indices, or null. */
    public Tensor index() {
        return index;
    }

    /** The permutation signs, or null. */
    public Tensor sign() {
        return sign;
    }

    /** Whether there is one filter per layer (rank 3 dense, rank 2 permutation). */
    public boolean perLayer() {
        return switch (kind) {
            case DENSE -> matrix.rank() == 3;
            case SIGNED_PERMUTATION -> index.rank() == 2;
            default -> false;
        };
    }

    /** Number of per-layer filters held (1 when shared or structural). */
    public int layers() {
        return !perLayer() ? 1 : (kind == Kind.DENSE ? matrix.dim(0) : index.dim(0));
    }

    /** The filter of layer {@code l} (itself when shared). */
    public Filter layer(int l) {
        if (!perLayer()) {
            return this;
        }
        return kind == Kind.DENSE ? new Filter(kind, matrix.slice(l), null, null)
                : new Filter(kind, null, index.slice(l), sign.slice(l));
    }

    /** The filters of layers {@code [from, to)} (itself when shared). */
    public Filter layers(int from, int to) {
        if (!perLayer()) {
            return this;
        }
        return kind == Kind.DENSE ? new Filter(kind, matrix.slice(from, to), null, null)
                : new Filter(kind, null, index.slice(from, to), sign.slice(from, to));
    }

    /** Width N of the filtered vectors, or -1 for NONE and IDENTITY. */
    public int width() {
        return switch (kind) {
            case DENSE -> matrix.dim(-1);
            case SIGNED_PERMUTATION -> index.dim(-1);
            default -> -1;
        };
    }
}
