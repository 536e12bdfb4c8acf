package de.monticore.mlpipelines.cli;

import de.monticore.mlpipelines.pipeline.PythonEnvironment;
import de.monticore.mlpipelines.tracking.config.Suggestions;
import de.monticore.mlpipelines.tracking.secret.Secrets;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code mlpipelines replay SPOOL_DIR [--tracking_uri URI]}: resends the metrics the Python MLflow backend kept on disk
 * during an outage into their runs, exactly once. The Python runtime owns the spool format, so this
 * runs {@code python -m mlpipelines.tracking.replay} and passes its output and exit code through.
 * {@code --tracking_uri} sends to another server than the one recorded in the spool, as in Python.
 */
final class ReplayCommand implements Command {
    @Override
    public String usage() {
        return "replay SPOOL_DIR [--tracking_uri URI]";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        String spoolArgument = null;
        String trackingUri = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String option = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            if (option.equals("--tracking_uri")) {
                if (arg.contains("=")) {
                    trackingUri = arg.substring(arg.indexOf('=') + 1);
                } else if (i + 1 < args.size()) {
                    trackingUri = args.get(++i);
                } else {
                    throw new UsageException("--tracking_uri needs a value");
                }
                if (trackingUri.isBlank()) {
                    throw new UsageException("--tracking_uri needs a non-empty value");
                }
                if (Secrets.looksSecret(trackingUri)) {
                    throw new UsageException("--tracking_uri holds credentials (USER:PASSWORD@), which must not "
                            + "travel on a command line; set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, "
                            + "or MLFLOW_TRACKING_TOKEN, in the environment");
                }
            } else if (arg.startsWith("-")) {
                throw new UsageException("unknown option '" + arg + "'; expected --tracking_uri"
                        + Suggestions.didYouMean(option, List.of("--tracking_uri")));
            } else if (spoolArgument == null) {
                spoolArgument = arg;
            } else {
                throw new UsageException("unexpected argument '" + arg + "'; expected one spool directory");
            }
        }
        if (spoolArgument == null) {
            throw new UsageException("expected exactly one argument, the spool directory (or one spool file)");
        }
        Path spool = Path.of(spoolArgument);
        if (!Files.exists(spool)) {
            err.println("mlpipelines: " + spool + ": no such file or directory; expected the spool directory "
                    + "named in the training script's closing message");
            return BAD_INPUT;
        }
        List<String> command = new ArrayList<>(List.of(PythonEnvironment.interpreter(), "-m",
                "mlpipelines.tracking.replay", spool.toString()));
        if (trackingUri != null) {
            command.add("--tracking_uri=" + trackingUri);
        }
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
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
