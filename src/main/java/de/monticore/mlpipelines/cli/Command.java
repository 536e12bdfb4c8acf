package de.monticore.mlpipelines.cli;

import java.io.PrintStream;
import java.util.List;

/** One subcommand of {@code mlpipelines}. */
public interface Command {
    /** Exit code: the command did its job. */
    int OK = 0;
    /** Exit code: the training failed (its run is FAILED). */
    int TRAINING_FAILED = 1;
    /** Exit code: bad usage or bad input; one message on stderr, nothing written. */
    int BAD_INPUT = 2;
    /** Exit code: interrupted (the run is KILLED). */
    int INTERRUPTED = 130;

    /** The usage line shown by {@code mlpipelines --help}. */
    String usage();

    /**
     * Runs the command.
     *
     * @param args the arguments after the command's name
     * @return the exit code
     * @throws UsageException on bad arguments (exit 2 with the usage)
     */
    int run(List<String> args, PrintStream out, PrintStream err);
}
