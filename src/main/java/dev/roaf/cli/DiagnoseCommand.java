package dev.roaf.cli;

import dev.roaf.Diagnostics;
import dev.roaf.FilterType;
import dev.roaf.Model;
import dev.roaf.ModelFamily;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code roaf diagnose}: measures, for an MLP-family model at initialisation (or a trained
 * checkpoint), the per-layer gradient norms of the loss on one batch and the singular values of the
 * input-output Jacobian, next to a plain tanh MLP and a residual MLP of the same depth and width,
 * and prints them against the bounds of roaf-math.md section 2.
 */
@Command(name = "diagnose", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure per-layer gradient norms and input-output Jacobian singular values of roaf-mlp, mlp and resmlp"
                + " at initialisation (or of a saved model), and compare them with the theoretical bounds.",
                "Writes gradnorms.csv (layer,grad_x_norm,grad_W_norm), jacobian_sv.csv (moderate sizes or --jacobian),"
                        + " gradnorms-<model>.csv / jacobian_sv-<model>.csv for the comparison models, gradnorms.png,"
                        + " jacobian_sv.png and summary.json into --out."})
final class DiagnoseCommand implements Callable<Integer> {
    /** Largest N and L for which the Jacobian is computed without --jacobian. */
    static final int JACOBIAN_MAX_WIDTH = Diagnostics.JACOBIAN_MAX_WIDTH;
    static final int JACOBIAN_MAX_DEPTH = Diagnostics.JACOBIAN_MAX_DEPTH;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", description = "roaf-mlp, mlp or resmlp: the model written to gradnorms.csv (default: ${DEFAULT-VALUE})")
    String model = "roaf-mlp";
    @Option(names = "--depth", description = "Layers L (default: ${DEFAULT-VALUE})")
    int depth = 1000;
    @Option(names = "--hidden", description = "Width N (default: ${DEFAULT-VALUE})")
    int hidden = 64;
    @Option(names = "--batch", description = "Examples in the measured batch (default: ${DEFAULT-VALUE})")
    int batch = 32;
    @Option(names = "--seed", description = "Seeds the initialisation and the batch (default: ${DEFAULT-VALUE})")
    long seed = 1;
    @Option(names = "--alpha", description = "roaf-mlp: weight of the filter term (default: 1 - beta)")
    Double alpha;
    @Option(names = "--beta", description = "roaf-mlp: weight of the nonlinear term (default: from --beta-scale)")
    Double beta;
    @Option(names = "--beta-scale", description = "roaf-mlp: c in beta = min(c / L, 1/2) (default when neither alpha nor beta is given: "
            + TrainCommand.DEFAULT_BETA_SCALE_MLP + ", as roaf train)")
    Double betaScale;
    @Option(names = "--filter", description = "roaf-mlp: haar, haar-shared or permutation (default: ${DEFAULT-VALUE})")
    String filter = "haar";
    @Option(names = "--from", description = "Diagnose this saved model (model.safetensors of an MLP run) instead of a fresh one")
    Path from;
    @Option(names = "--input", description = "mnist (a training batch of the mnist task) or random (U(0,1) inputs, random labels;"
            + " needs no data) (default: ${DEFAULT-VALUE})")
    String input = "mnist";
    @Option(names = "--data-dir", description = "Folder with MNIST IDX files")
    Path dataDir;
    @Option(names = "--only", description = "Measure only --model, not the two comparison models")
    boolean only;
    @Option(names = "--jacobian", description = "Compute the Jacobian singular values at any size (default: only when N <= "
            + JACOBIAN_MAX_WIDTH + " and L <= " + JACOBIAN_MAX_DEPTH + ")")
    boolean jacobian;
    @CommandLine.Mixin
    DeviceOptions devices = new DeviceOptions();
    @Option(names = "--out", description = "Output folder (default: runs/<time>-diagnose-<model>)")
    Path out;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter o = spec.commandLine().getOut();
        devices.validate();
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        }
        if (!input.equals("mnist") && !input.equals("random")) {
            throw new IllegalArgumentException("--input must be mnist or random, got '" + input + "'");
        }
        Diagnostics.Builder b = Diagnostics.builder().optBatchSize(batch).optSeed(seed).optRandomInput(input.equals("random"))
                .optDataDir(dataDir).optOnlyPrimary(only).optJacobian(jacobian);
        ModelFamily family = null;
        if (from != null) {
            CommandLine.ParseResult pr = spec.commandLine().getParseResult();
            for (String name : List.of("--model", "--depth", "--hidden", "--alpha", "--beta", "--beta-scale", "--filter")) {
                if (pr.hasMatchedOption(name)) {
                    throw new IllegalArgumentException(name + " conflicts with --from " + from + ": the model file defines it");
                }
            }
            ModelFamily saved = null;
            try {
                saved = ModelFamily.parse(String.valueOf(Model.readMetadata(from).get("model")));
            } catch (IllegalArgumentException e) {
                // malformed metadata: reported by Diagnostics.run with the file's name
            }
            if (saved != null && saved.isRecurrent()) {
                throw new IllegalArgumentException("--from " + from + " holds a " + saved
                        + " model; diagnose measures MLP models (roaf-mlp, mlp, resmlp)");
            }
            b.optFrom(from);
        } else {
            family = ModelFamily.parse(model);
            if (depth < 1) {
                throw new IllegalArgumentException("--depth must be at least 1, got " + depth);
            }
            if (hidden < 1) {
                throw new IllegalArgumentException("--hidden must be at least 1, got " + hidden);
            }
            if (family.isRecurrent()) {
                throw new IllegalArgumentException("--model must be roaf-mlp, mlp or resmlp, got " + model);
            }
            b.optFamily(family).optDepth(depth).optHiddenSize(hidden);
        }
        if (only && family != null && family != ModelFamily.ROAF_MLP && (alpha != null || beta != null || betaScale != null)) {
            throw new IllegalArgumentException("--alpha, --beta and --beta-scale apply to roaf-mlp, not " + family);
        }
        if (beta != null && !(beta > 0 && Double.isFinite(beta))) {
            throw new IllegalArgumentException("--beta must be > 0, got " + beta);
        }
        if (alpha != null && !(alpha > 0 && alpha <= 1)) {
            throw new IllegalArgumentException("--alpha must be in (0, 1], got " + alpha);
        }
        if (betaScale != null && !(betaScale > 0 && Double.isFinite(betaScale))) {
            throw new IllegalArgumentException("--beta-scale must be > 0, got " + betaScale);
        }
        b.optFilter(FilterType.parse(filter));
        if (alpha != null) {
            b.optAlpha(alpha);
        }
        if (beta != null) {
            b.optBeta(beta);
        }
        if (betaScale != null) {
            b.optBetaScale(betaScale);
        }
        b.optDevice(devices.open(err::println));
        Diagnostics d = b.build();
        try {
            d.run(out, o::println, err::println);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            if (m != null && (m.contains("optBeta") || m.contains("optAlpha"))) {
                throw new IllegalArgumentException(m.replace("optBetaScale", "--beta-scale").replace("optAlpha", "--alpha")
                        .replace("optBeta", "--beta"), e);
            }
            throw devices.asTyped(e);
        }
        o.flush();
        return 0;
    }
}
