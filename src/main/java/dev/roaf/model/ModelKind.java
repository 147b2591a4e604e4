package dev.roaf.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The model families roaf trains, with the names used on the command line and in saved files. */
public enum ModelKind {
    /** h_t = alpha O h_{t-1} + beta tanh(W h_{t-1} + U x_t + b): the ROAF recurrent network. */
    ROAF_RNN("roaf-rnn", true),
    /** The Elman RNN, h_t = tanh(W h_{t-1} + U x_t + b): ROAF without the filter (baseline). */
    RNN("rnn", true),
    /** The LSTM, gate order i, f, g, o as in PyTorch (baseline). */
    LSTM("lstm", true),
    /** Input projection, L ROAF layers x_{l+1} = alpha O_l x_l + beta tanh(W_l x_l + b_l), linear head. */
    ROAF_MLP("roaf-mlp", false),
    /** Plain tanh MLP of the same shape, x_{l+1} = tanh(W_l x_l + b_l) (comparison model). */
    MLP("mlp", false),
    /** Residual tanh MLP, x_{l+1} = x_l + tanh(W_l x_l + b_l) (comparison model). */
    RESMLP("resmlp", false);

    private final String cliName;
    private final boolean recurrent;

    ModelKind(String cliName, boolean recurrent) {
        this.cliName = cliName;
        this.recurrent = recurrent;
    }

    /** The name used on the command line and in a saved file's metadata. */
    public String cliName() {
        return cliName;
    }

    /** Whether the model reads sequences (otherwise it reads vectors). */
    public boolean recurrent() {
        return recurrent;
    }

    /** Whether the model has an orthogonal filter and the alpha/beta mix. */
    public boolean hasFilter() {
        return this == ROAF_RNN || this == ROAF_MLP;
    }

    /** Parses a command-line name, listing the valid ones when it is unknown. */
    public static ModelKind parse(String name) {
        for (ModelKind k : values()) {
            if (k.cliName.equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown model '" + name + "'; expected one of "
                + Arrays.stream(values()).map(ModelKind::cliName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return cliName;
    }
}
