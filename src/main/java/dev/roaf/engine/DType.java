package dev.roaf.engine;

/** Element type of a {@link Tensor}: 32-bit floats for values, 32-bit ints for labels and indices. */
public enum DType {
    /** IEEE-754 binary32. */
    F32,
    /** Two's-complement 32-bit integer (class labels, permutation indices). */
    I32;

    /** Size of one element in bytes. */
    public int bytes() {
        return 4;
    }
}
