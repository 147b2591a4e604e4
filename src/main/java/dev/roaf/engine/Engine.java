package dev.roaf.engine;

/**
 * A compute engine: allocates {@link Tensor}s on one device and runs the coarse, fused operations
 * every roaf model is made of. The CPU engine is the reference; a CUDA engine implements the same
 * methods with the same semantics (to float32 rounding).
 *
 * <p>Conventions: float32 storage, row-major, a batch is a matrix of B rows. Sequences are
 * time-major ({@code [T,B,·]}). A weight {@code W} is stored as PyTorch stores it, {@code [out,in]},
 * so a layer computes {@code x W^T}. Tensors of rank above 2 are seen as matrices by collapsing all
 * leading dimensions into rows ({@link Tensor#rows()}, {@link Tensor#cols()}). Operations check
 * shapes and throw {@link IllegalArgumentException} naming the operand that does not fit.
 *
 * <p>The nonlinearity {@code phi} is tanh; its derivative is always taken from the stored value
 * {@code z = tanh(a)} as {@code 1 - z^2}.
 *
 * <p>An engine is used by one thread at a time (it may use more threads inside an operation).
 * Closing it releases its thread pool and (for CUDA) its device resources; tensors it made must be
 * closed before it.
 */
public interface Engine extends AutoCloseable {

    /** A short human-readable name of the device, e.g. {@code "cpu (2 threads)"}. */
    String deviceName();

    // ----------------------------------------------------------------------------------- memory

    /** A new zero-filled tensor owned by the caller. */
    Tensor zeros(DType dtype, int... shape);

    /** A new F32 zero-filled tensor owned by the caller. */
    default Tensor zeros(int... shape) {
        return zeros(DType.F32, shape);
    }

    /** Copies {@code src.length} floats from the host into {@code dst} (sizes must match). */
    void upload(float[] src, Tensor dst);

    /** Copies {@code src.length} ints from the host into {@code dst} (sizes must match). */
    void upload(int[] src, Tensor dst);

    /** Copies {@code src} into the host array {@code dst} (sizes must match). */
    void download(Tensor src, float[] dst);

    /** Copies {@code src} into the host array {@code dst} (sizes must match). */
    void download(Tensor src, int[] dst);

    /** A new tensor holding a copy of {@code data}. */
    default Tensor fromHost(float[] data, int... shape) {
        Tensor t = zeros(DType.F32, shape);
        upload(data, t);
        return t;
    }

    /** A new I32 tensor holding a copy of {@code data}. */
    default Tensor fromHost(int[] data, int... shape) {
        Tensor t = zeros(DType.I32, shape);
        upload(data, t);
        return t;
    }

    /** The contents of an F32 tensor as a new host array. */
    default float[] toHost(Tensor t) {
        float[] out = new float[Math.toIntExact(t.size())];
        download(t, out);
        return out;
    }

    /** Sets every element of an F32 tensor to {@code value}. */
    void fill(Tensor t, float value);

    /** {@code dst = src} (same size, same dtype). */
    void copy(Tensor src, Tensor dst);

    /** {@code t *= factor}. */
    void scale(Tensor t, float factor);

    /** Sum of squares of an F32 tensor, accumulated in double; NaN or infinity if any element is. */
    double sumOfSquares(Tensor t);

    // ---------------------------------------------------------------------------- random draws

    /**
     * Fills an F32 tensor with independent N(mean, std^2) samples drawn where the tensor lives (the
     * GPU draws with cuRAND's Philox4x32-10 generator, the CPU with {@link HostRandom}), for
     * initialising large models without a host copy of their parameters. The same engine kind and
     * seed give the same values; the CPU and a GPU do not give the same values (compare
     * statistics, not bits).
     */
    void randomNormal(Tensor t, float mean, float std, long seed);

    /**
     * Fills an F32 tensor with independent U[lo, hi) samples drawn where the tensor lives; see
     * {@link #randomNormal} for the generators and what is reproducible.
     */
    void randomUniform(Tensor t, float lo, float hi, long seed);

    // ------------------------------------------------------------------------------- products

    /**
     * General matrix product {@code C = alpha * op(A) op(B) + beta * C}, where {@code op(X)} is X or
     * its transpose. As matrices: op(A) is {@code [M,K]}, op(B) is {@code [K,N]}, C is {@code [M,N]}.
     * With {@code beta == 0} the old contents of C are ignored (NaN included).
     */
    void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c);

    /** {@code c[i,:] += bias} for every row i. */
    void addRowVector(Tensor c, Tensor bias);

    /** {@code dst = beta * dst + sum_i src[i,:]} (a bias gradient). */
    void sumRows(Tensor src, float beta, Tensor dst);

    // ----------------------------------------------------------------------- ROAF layer stacks

    /**
     * Forward pass through L ROAF layers, {@code x_{l+1} = alpha O_l x_l + beta tanh(W_l x_l + b_l)}.
     *
     * @param x     {@code [L+1,B,N]}: {@code x[0]} is the input; {@code x[1..L]} are written
     * @param w     {@code [L,N,N]} weights, {@code [out,in]} per layer
     * @param b     {@code [L,N]} biases
     * @param o     the filters: per layer ({@code L} of them) or shared; NONE gives a plain MLP,
     *              IDENTITY with alpha = beta = 1 a residual MLP
     * @param z     {@code [L,B,N]} receives {@code tanh(W_l x_l + b_l)} for the backward pass
     */
    void roafStackForward(Tensor x, Tensor w, Tensor b, Filter o, float alpha, float beta, Tensor z);

    /**
     * The same forward pass keeping only the last state: {@code x} ({@code [B,N]}) is replaced by
     * {@code x_L}. For inference; needs no per-layer storage.
     */
    void roafStackInfer(Tensor x, Tensor w, Tensor b, Filter o, float alpha, float beta);

    /**
     * Backward pass through the L layers of {@link #roafStackForward}.
     *
     * @param x  {@code [L+1,B,N]} states from the forward pass (read)
     * @param z  {@code [L,B,N]} stored activations; overwritten with {@code d_l = beta (1 - z^2) g_{l+1}}
     * @param g  {@code [B,N]}: on entry dLoss/dx_L, on return dLoss/dx_0
     * @param dw {@code [L,N,N]} receives {@code dW_l = d_l^T x_l} (summed over the batch; overwritten)
     * @param db {@code [L,N]} receives {@code db_l = sum_b d_l} (overwritten)
     */
    void roafStackBackward(Tensor x, Tensor w, Filter o, float alpha, float beta, Tensor z, Tensor g, Tensor dw, Tensor db);

    // ----------------------------------------------------------------------------- recurrences

    /**
     * Whole-sequence ROAF recurrence {@code h_t = alpha O h_{t-1} + beta tanh(W h_{t-1} + p_t)},
     * t = 1..T, where {@code p_t = U x_t + b} was computed beforehand by one {@link #gemm} over all
     * steps. With filter NONE, alpha = 0 and beta = 1 this is the Elman RNN.
     *
     * @param p {@code [T,B,N]} input projections (bias included)
     * @param w {@code [N,N]} recurrent weight
     * @param o the filter, shared by all steps ([N,N] dense or [N] permutation), or NONE
     * @param h {@code [T+1,B,N]}: {@code h[0]} is the initial state (read); {@code h[1..T]} are written
     * @param z {@code [T,B,N]} receives {@code tanh(a_t)}; may be null when no backward pass follows
     */
    void recurrenceForward(Tensor p, Tensor w, Filter o, float alpha, float beta, Tensor h, Tensor z);

    /**
     * Backpropagation through time for {@link #recurrenceForward}: the sweep
     * {@code d_t = beta (1 - z_t^2) g_t}, {@code g_{t-1} += alpha O^T g_t + W^T d_t}. The weight
     * gradients then follow as single products over all steps ({@code dW = D^T H_{0..T-1}},
     * {@code dU = D^T X}, {@code db = sum D}), done by the caller with {@link #gemm} and
     * {@link #sumRows}.
     *
     * @param gOut dLoss/dh_t from the readout: {@code [T,B,N]} (one per step) or {@code [B,N]}
     *             (last step only). Read only.
     * @param z    {@code [T,B,N]} activations from the forward pass; overwritten with {@code d_t}
     * @param gH0  {@code [B,N]} receives dLoss/dh_0; may be null
     */
    void recurrenceBackward(Tensor w, Filter o, float alpha, float beta, Tensor z, Tensor gOut, Tensor gH0);

    /**
     * Whole-sequence LSTM (gate order i, f, g, o as in PyTorch):
     * {@code [i f g o] = act(p_t + W h_{t-1})}, {@code c_t = f c_{t-1} + i g}, {@code h_t = o tanh(c_t)}.
     *
     * @param p     {@code [T,B,4N]} input projections {@code x_t U^T + b}
     * @param w     {@code [4N,N]} recurrent weight ({@code weight_hh})
     * @param h     {@code [T+1,B,N]}; {@code h[0]} read, the rest written
     * @param c     {@code [T+1,B,N]}; {@code c[0]} read, the rest written
     * @param gates {@code [T,B,4N]} receives the activated gates; may be null when no backward follows
     */
    void lstmForward(Tensor p, Tensor w, Tensor h, Tensor c, Tensor gates);

    /**
     * Backpropagation through time for {@link #lstmForward}. {@code gates} is overwritten with the
     * gradients of the gate pre-activations, from which the caller forms {@code dW = G^T H},
     * {@code dU = G^T X}, {@code db = sum G} as single products.
     *
     * @param gOut dLoss/dh_t: {@code [T,B,N]} or {@code [B,N]} (last step only); read only
     */
    void lstmBackward(Tensor w, Tensor h, Tensor c, Tensor gates, Tensor gOut);

    // ----------------------------------------------------------------------------------- losses

    /**
     * Row-wise softmax cross-entropy. Rows whose label is negative are ignored (loss and gradient 0).
     *
     * @param logits      {@code [M,C]}
     * @param labels      I32 {@code [M]}, values in {@code [0,C)} or negative
     * @param gradScale   the gradient written is {@code gradScale * (softmax - onehot)}
     * @param dLogits     {@code [M,C]} receives the gradient; may be {@code logits} itself, or null
     * @param predictions I32 {@code [M]} receives the arg-max per row; may be null
     * @return the sum of the row losses
     */
    double softmaxCrossEntropy(Tensor logits, Tensor labels, float gradScale, Tensor dLogits, Tensor predictions);

    /**
     * Squared error {@code sum (pred - target)^2}; writes {@code dPred = gradScale * 2 (pred - target)}
     * (dPred may alias pred, or be null).
     */
    double squaredError(Tensor pred, Tensor target, float gradScale, Tensor dPred);

    // ------------------------------------------------------------------------------- optimizers

    /**
     * SGD as in PyTorch ({@code torch.optim.SGD}): with momentum {@code v = mu v + g; p -= lr v}, without
     * {@code p -= lr g} ({@code velocity} may then be null); a weight decay {@code wd > 0} first adds
     * {@code wd p} to the gradient (L2, as torch's {@code weight_decay}). All parameters in one flat
     * tensor, one call.
     */
    void sgdStep(Tensor params, Tensor grads, Tensor velocity, float lr, float momentum, float weightDecay);

    /** {@link #sgdStep(Tensor, Tensor, Tensor, float, float, float)} without weight decay. */
    default void sgdStep(Tensor params, Tensor grads, Tensor velocity, float lr, float momentum) {
        sgdStep(params, grads, velocity, lr, momentum, 0f);
    }

    /**
     * Adam as in PyTorch, step {@code t >= 1}:
     * {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)}.
     * A weight decay {@code wd > 0} either adds {@code wd p} to the gradient first ({@code decoupled}
     * false: {@code torch.optim.Adam}'s {@code weight_decay}) or shrinks the parameters first,
     * {@code p *= 1 - lr wd} ({@code decoupled} true: {@code torch.optim.AdamW}).
     */
    void adamStep(Tensor params, Tensor grads, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, int t,
                  float weightDecay, boolean decoupled);

    /** {@link #adamStep(Tensor, Tensor, Tensor, Tensor, float, float, float, float, int, float, boolean)} without weight decay. */
    default void adamStep(Tensor params, Tensor grads, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                          int t) {
        adamStep(params, grads, m, v, lr, beta1, beta2, eps, t, 0f, false);
    }

    /**
     * Waits until every operation issued so far has finished. The CPU engine runs operations to
     * completion before returning, so this does nothing there; a GPU engine waits for its stream
     * (timings of GPU work must call this inside the measured region).
     */
    default void synchronize() {
    }

    /**
     * Whether host work done while this engine computes runs beside it rather than in its way: true
     * for a GPU engine (operations run on the device while the host thread waits), false for the CPU
     * engine (its threads take every core it was given). The trainer draws the next batch on a
     * background thread only where this is true.
     */
    default boolean overlapsHostWork() {
        return false;
    }

    /**
     * Bytes of scratch memory the engine keeps for a product {@code C[M,N] = A^T[M,K] B[K,N]} (the shape
     * of every weight gradient), beyond A, B and C: what a memory plan adds to a step's workspace. The CPU
     * engine needs none; the CUDA engine's own GEMM keeps partial products when it splits a long K.
     */
    default long productScratchBytes(int m, int n, int k) {
        return 0;
    }

    /** Releases the engine's threads and device resources. */
    @Override
    void close();
}
