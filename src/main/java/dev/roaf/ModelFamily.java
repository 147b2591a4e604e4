package dev.roaf;

import dev.roaf.model.ModelKind;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The model families roaf builds, with the names used on the command line and in saved files.
 *
 * <p>Recurrent families read sequences {@code float[batch][steps][features]}; the others read
 * vectors {@code float[batch][features]}.
 */
public enum ModelFamily {
    /** The ROAF recurrent network, {@code h_t = alpha O h_{t-1} + beta tanh(W h_{t-1} + U x_t + b)}. */
    ROAF_RNN(ModelKind.ROAF_RNN),
    /** The Elman RNN, {@code h_t = tanh(W h_{t-1} + U x_t + b)} (a baseline). */
    RNN(ModelKind.RNN),
    /** The LSTM, gate order i, f, g, o as in PyTorch (a baseline). */
    LSTM(ModelKind.LSTM),
    /** Input projection, L ROAF layers {@code x_{l+1} = alpha O_l x_l + beta tanh(W_l x_l + b_l)}, linear head. */
    ROAF_MLP(ModelKind.ROAF_MLP),
    /** A plain tanh MLP of the same shape, {@code x_{l+1} = tanh(W_l x_l + b_l)} (a baseline). */
    MLP(ModelKind.MLP),
    /** A residual tanh MLP, {@code x_{l+1} = x_l + tanh(W_l x_l + b_l)} (a baseline). */
    RESMLP(ModelKind.RESMLP);

    private final ModelKind kind;

    ModelFamily(ModelKind kind) {
        this.kind = kind;
    }

    /**
     * The family's name on the command line and in a saved file's metadata, e.g. {@code roaf-rnn}.
     *
     * @return the name
     */
    public String cliName() {
        return kind.cliName();
    }

    /**
     * Whether models of this family read sequences (otherwise they read vectors).
     *
     * @return true for roaf-rnn, rnn and lstm
     */
    public boolean isRecurrent() {
        return kind.recurrent();
    }

    /**
     * Whether the family has the orthogonal filter and the alpha/beta mix (roaf-rnn and roaf-mlp).
     *
     * @return true for the ROAF families
     */
    public boolean hasFilter() {
        return kind.hasFilter();
    }

    /**
     * Parses a command-line name such as {@code roaf-rnn}.
     *
     * @param name the name
     * @return the family
     * @throws IllegalArgumentException for an unknown name; the message lists the valid ones
     */
    public static ModelFamily parse(String name) {
        for (ModelFamily f : values()) {
            if (f.cliName().equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown model '" + name + "'; expected one of "
                + Arrays.stream(values()).map(ModelFamily::cliName).collect(Collectors.joining(", ")));
    }

    ModelKind kind() {
        return kind;
    }

    static ModelFamily of(ModelKind kind) {
        for (ModelFamily f : values()) {
            if (f.kind == kind) {
                return f;
            }
        }
        throw new AssertionError(kind);
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
