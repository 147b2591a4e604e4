package dev.roaf.cli;

import dev.roaf.TrainingDivergedException;
import dev.roaf.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

/**
 * The {@code roaf} command line: {@code train}, {@code eval}, {@code data fetch}, {@code diagnose}, {@code bench},
 * {@code plot}, {@code recipes}.
 *
 * <p>Exit codes: 0 success, 2 bad usage or bad input (a bad option value, a missing or malformed
 * file), 1 any other failure. Errors are one line on stderr; {@code --verbose} adds the stack trace.
 */
@Command(name = "roaf", mixinStandardHelpOptions = true, version = "roaf " + Version.VERSION,
        description = "Train and evaluate ROAF networks (random orthogonal additive filters) and their baselines.",
        subcommands = {TrainCommand.class, EvalCommand.class, DataCommand.class, DiagnoseCommand.class, BenchCommand.class,
                PlotCommand.class, RecipesCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces with errors.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: try 'roaf train' or 'roaf --help'");
    }

    /** Runs the command line and returns the exit code (does not call System.exit). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = parseResult.hasMatchedOption("--verbose")
                    || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"));
            Throwable cause = ex;
            if (cause instanceof UncheckedIOException u) {
                cause = u.getCause();
            }
            commandLine.getErr().println("roaf: " + message(cause));
            if (verbose) {
                ex.printStackTrace(commandLine.getErr());
            }
            commandLine.getErr().flush();
            return exitCode(cause);
        });
        return cl.execute(args);
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "file not found: " + m;
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied: " + m;
        }
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return m.replace('\n', ' ');
    }

    static int exitCode(Throwable e) {
        if (e instanceof IllegalArgumentException || e instanceof java.nio.file.NoSuchFileException) {
            return 2;
        }
        if (e instanceof TrainingDivergedException || e instanceof IOException) {
            return 1;
        }
        return 1;
    }

    /** Entry point of {@code java -jar roaf.jar}. */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = run(args, out, err);
        out.flush();
        err.flush();
        System.exit(code);
    }
}
