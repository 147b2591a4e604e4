package dev.roaf.engine;

/**
 * The shape rules of {@link Engine}'s fused operations, checked in one place for every engine: each
 * method validates the operands of one operation (messages name the operation and the operand) and
 * returns the dimensions the engine then works with. Engines still check that the tensors are their
 * own and open; this class only looks at shapes.
 */
public final class Shapes {
    private Shapes() {
    }

    /** Dimensions of a layer stack: L layers of width N over a batch of B rows. */
    public record Stack(int layers, int batch, int n) {
    }

    /** Dimensions of a sequence operation: T steps, B rows, width N; {@code perStep} when gradients come per step. */
    public record Sequence(int steps, int batch, int n, boolean perStep) {
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    private static int stackWeights(String op, Tensor w) {
        require(w.rank() == 3 && w.dim(1) == w.dim(2), op + ": w must be [L,N,N], got " + w);
        return w.dim(0);
    }

    /** {@link Engine#roafStackForward}: x [L+1,B,N], w [L,N,N], b [L,N], z [L,B,N]. */
    public static Stack stackForward(Tensor x, Tensor w, Tensor b, Tensor z) {
        int layers = stackWeights("roafStackForward", w), n = w.dim(1);
        require(x.rank() == 3 && x.dim(0) == layers + 1 && x.dim(2) == n, "roafStackForward: x must be [L+1,B,N] = ["
                + (layers + 1) + ",B," + n + "], got " + x);
        int batch = x.dim(1);
        b.requireShape("roafStackForward b", layers, n);
        z.requireShape("roafStackForward z", layers, batch, n);
        return new Stack(layers, batch, n);
    }

    /** {@link Engine#roafStackInfer}: x [B,N], w [L,N,N], b [L,N]. */
    public static Stack stackInfer(Tensor x, Tensor w, Tensor b) {
        int layers = stackWeights("roafStackInfer", w), n = w.dim(1);
        require(x.rank() == 2 && x.dim(1) == n, "roafStackInfer: x must be [B," + n + "], got " + x);
        b.requireShape("roafStackInfer b", layers, n);
        return new Stack(layers, x.dim(0), n);
    }

    /** {@link Engine#roafStackBackward}: x [L+1,B,N], w [L,N,N], z [L,B,N], g [B,N], dw [L,N,N], db [L,N]. */
    public static Stack stackBackward(Tensor x, Tensor w, Tensor z, Tensor g, Tensor dw, Tensor db) {
        int layers = stackWeights("roafStackBackward", w), n = w.dim(1);
        require(x.rank() == 3 && x.dim(0) == layers + 1 && x.dim(2) == n, "roafStackBackward: x must be [L+1,B,N], got " + x);
        int batch = x.dim(1);
        z.requireShape("roafStackBackward z", layers, batch, n);
        g.requireShape("roafStackBackward g", batch, n);
        dw.requireShape("roafStackBackward dw", layers, n, n);
        db.requireShape("roafStackBackward db", layers, n);
        return new Stack(layers, batch, n);
    }

    /** {@link Engine#recurrenceForward}: p [T,B,N], w [N,N], h [T+1,B,N], z [T,B,N] or null, a shared filter. */
    public static Sequence recurrenceForward(Tensor p, Tensor w, Filter o, Tensor h, Tensor z) {
        require(w.rank() == 2 && w.dim(0) == w.dim(1), "recurrenceForward: w must be [N,N], got " + w);
        int n = w.dim(0);
        require(p.rank() == 3 && p.dim(2) == n, "recurrenceForward: p must be [T,B," + n + "], got " + p);
        int steps = p.dim(0), batch = p.dim(1);
        h.requireShape("recurrenceForward h", steps + 1, batch, n);
        if (z != null) {
            z.requireShape("recurrenceForward z", steps, batch, n);
        }
        require(!o.perLayer(), "recurrenceForward: the filter must be shared by all steps, got a per-layer filter");
        return new Sequence(steps, batch, n, false);
    }

    /** {@link Engine#recurrenceBackward}: w [N,N], z [T,B,N], gOut [T,B,N] or [B,N], gH0 [B,N] or null. */
    public static Sequence recurrenceBackward(Tensor w, Filter o, Tensor z, Tensor gOut, Tensor gH0) {
        require(w.rank() == 2 && w.dim(0) == w.dim(1), "recurrenceBackward: w must be [N,N], got " + w);
        int n = w.dim(0);
        require(z.rank() == 3 && z.dim(2) == n, "recurrenceBackward: z must be [T,B," + n + "], got " + z);
        int steps = z.dim(0), batch = z.dim(1);
        boolean perStep = gradientOut("recurrenceBackward", gOut, steps, batch, n);
        if (gH0 != null) {
            gH0.requireShape("recurrenceBackward gH0", batch, n);
        }
        require(!o.perLayer(), "recurrenceBackward: the filter must be shared by all steps");
        return new Sequence(steps, batch, n, perStep);
    }

    /** {@link Engine#lstmForward}: p [T,B,4N], w [4N,N], h and c [T+1,B,N], gates [T,B,4N] or null. */
    public static Sequence lstmForward(Tensor p, Tensor w, Tensor h, Tensor c, Tensor gates) {
        require(w.rank() == 2 && w.dim(0) == 4 * w.dim(1), "lstmForward: w must be [4N,N], got " + w);
        int n = w.dim(1), n4 = 4 * n;
        require(p.rank() == 3 && p.dim(2) == n4, "lstmForward: p must be [T,B," + n4 + "], got " + p);
        int steps = p.dim(0), batch = p.dim(1);
        h.requireShape("lstmForward h", steps + 1, batch, n);
        c.requireShape("lstmForward c", steps + 1, batch, n);
        if (gates != null) {
            gates.requireShape("lstmForward gates", steps, batch, n4);
        }
        return new Sequence(steps, batch, n, false);
    }

    /** {@link Engine#lstmBackward}: w [4N,N], h and c [T+1,B,N], gates [T,B,4N], gOut [T,B,N] or [B,N]. */
    public static Sequence lstmBackward(Tensor w, Tensor h, Tensor c, Tensor gates, Tensor gOut) {
        require(w.rank() == 2 && w.dim(0) == 4 * w.dim(1), "lstmBackward: w must be [4N,N], got " + w);
        int n = w.dim(1), n4 = 4 * n;
        require(gates.rank() == 3 && gates.dim(2) == n4, "lstmBackward: gates must be [T,B," + n4 + "], got " + gates);
        int steps = gates.dim(0), batch = gates.dim(1);
        h.requireShape("lstmBackward h", steps + 1, batch, n);
        c.requireShape("lstmBackward c", steps + 1, batch, n);
        boolean perStep = gradientOut("lstmBackward", gOut, steps, batch, n);
        return new Sequence(steps, batch, n, perStep);
    }

    /** Checks dLoss/dh: {@code [T,B,N]} per step (returns true) or {@code [B,N]} at the last step. */
    private static boolean gradientOut(String op, Tensor gOut, int steps, int batch, int n) {
        if (gOut.rank() == 3) {
            gOut.requireShape(op + " gOut", steps, batch, n);
            return true;
        }
        gOut.requireShape(op + " gOut", batch, n);
        return false;
    }

    /** Checks {@link Engine#randomNormal}'s operands: an F32 tensor, finite mean, finite std >= 0. */
    public static void randomNormal(Tensor t, float mean, float std) {
        require(t.dtype() == DType.F32, "randomNormal: expected an F32 tensor, got " + t);
        require(Float.isFinite(mean) && Float.isFinite(std) && std >= 0f,
                "randomNormal: mean must be finite and std finite and >= 0, got mean " + mean + ", std " + std);
    }

    /** Checks {@link Engine#randomUniform}'s operands: an F32 tensor, finite lo < hi. */
    public static void randomUniform(Tensor t, float lo, float hi) {
        require(t.dtype() == DType.F32, "randomUniform: expected an F32 tensor, got " + t);
        require(Float.isFinite(lo) && Float.isFinite(hi) && lo < hi && Float.isFinite(hi - lo),
                "randomUniform: needs finite lo < hi, got [" + lo + ", " + hi + ")");
    }
}
