package de.monticore.mlpipelines.cli;

import de.monticore.mlpipelines.pipeline.PythonEnvironment;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code mlpipelines replay SPOOL_DIR}: resends the metrics the Python MLflow backend kept on disk
 * during an outage into their runs, exactly once. The Python runtime owns the spool format, so this
 * runs {@code python -m mlpipelines.tracking.replay} and passes its output and exit code through.
 */
final class ReplayCommand implements Command {
    @Override
    public String usage() {
        return "replay SPOOL_DIR";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.size() != 1 || args.get(0).startsWith("-")) {
            throw new UsageException("expected exactly one argument, the spool directory (or one spool file)");
        }
        Path spool = Path.of(args.get(0));
        if (!Files.exists(spool)) {
            err.println("mlpipelines: " + spool + ": no such file or directory; expected the spool directory "
                    + "named in the training script's closing message");
            return BAD_INPUT;
        }
        ProcessBuilder builder = new ProcessBuilder(PythonEnvironment.interpreter(), "-m",
                "mlpipelines.tracking.replay", spool.toString()).inheritIO();
        try {
            out.flush();
            err.flush();
            return builder.start().waitFor();
        } catch (IOException e) {
            err.println("mlpipelines: cannot start " + builder.command().get(0) + ": " + e.getMessage()
                    + "; set " + PythonEnvironment.PYTHON_VARIABLE + " to the Python that has mlpipelines installed");
            return BAD_INPUT;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return INTERRUPTED;
        }
    }
}
