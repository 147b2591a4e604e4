package dev.roaf.cli;

import dev.roaf.Datasets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code roaf data}: data management; {@code roaf data fetch mnist|fashion} downloads and verifies a dataset. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Manage datasets.",
        subcommands = {DataCommand.Fetch.class})
final class DataCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: try 'roaf data fetch mnist'");
    }

    /** Downloads the four IDX files of MNIST or Fashion-MNIST and checks their SHA-256. */
    @Command(name = "fetch", mixinStandardHelpOptions = true,
            description = "Download MNIST or Fashion-MNIST into the per-user data folder (or --dir) and verify SHA-256.")
    static final class Fetch implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", description = "mnist or fashion")
        String dataset;
        @Option(names = "--dir", description = "Target folder (default: the per-user data folder, found by later runs)")
        Path dir;
        @Option(names = "--mirror", description = "Base URL of the files (default: the dataset's usual mirror)")
        URI mirror;

        @Override
        public Integer call() {
            String title = Datasets.title(dataset);
            PrintStream log = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true);
            Path target = Datasets.fetch(dataset, dir, mirror, log::println);
            spec.commandLine().getOut().println("fetched " + title + " into " + target);
            return 0;
        }
    }
}
