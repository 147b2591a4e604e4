package dev.roaf.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code roaf recipes}: lists the published recipes of {@code roaf train --recipe}, each with the claim
 * it is for, its options, what it measured and its run record; with a name, just that one.
 */
@Command(name = "recipes", mixinStandardHelpOptions = true,
        description = {"List the published training recipes (roaf train --recipe NAME): the claim each is for, its"
                + " options, what it measured and where its run record is."})
final class RecipesCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "0..1", description = "One recipe's name (default: all)")
    String name;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<Recipe> shown = name == null ? Recipe.ALL : List.of(Recipe.named(name));
        for (Recipe r : shown) {
            out.println(r.name() + ": " + r.claim());
            out.println("  roaf train --recipe " + r.name() + "   is   roaf train " + String.join(" ", r.args()));
            if (r.data() != null) {
                out.println("  data:     " + r.data());
            }
            out.println("  measured: " + r.measured());
            out.println("  record:   " + r.record());
        }
        out.println("Options given with --recipe replace the recipe's (--steps its --epochs, --optimizer its weight decay,"
                + " any of --alpha/--beta/--alpha-scale/--beta-scale its whole mix); lstm, rnn, mlp and resmlp run its budget"
                + " without the mix.");
        return 0;
    }
}
