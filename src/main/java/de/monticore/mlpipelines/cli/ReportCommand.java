package de.monticore.mlpipelines.cli;

import de.monticore.mlpipelines.pipeline.PythonEnvironment;
import de.monticore.mlpipelines.tracking.backend.csv.CsvConfig;
import de.monticore.mlpipelines.tracking.backend.mlflow.LocalStore;
import de.monticore.mlpipelines.tracking.backend.mlflow.MLflowConfig;
import de.monticore.mlpipelines.tracking.config.ConfiguredBackend;
import de.monticore.mlpipelines.tracking.config.TrackingConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code mlpipelines report [TRACKING.yaml] [--experiment NAME] [--runs A,B] [--csv DIR...] [--out FILE.html]
 * [--png DIR]}: the metric curves of one run or several runs of an experiment as one self-contained HTML page
 * (or one PNG per metric). The runs come from the MLflow store tracking.yaml names (its experiment unless
 * {@code --experiment} says otherwise), else from its CSV directory, or from the CSV run directories given with
 * {@code --csv}. Without TRACKING.yaml it reads {@code tracking.yaml} in the working directory, or the default
 * stores, as {@code ui} does. Java resolves tracking.yaml; the Python runtime draws ({@code python -m
 * mlpipelines.report}, its output and exit code passed through).
 */
final class ReportCommand implements Command {
    @Override
    public String usage() {
        return "report [TRACKING.yaml] [--experiment NAME] [--runs A,B] [--csv DIR...] [--out FILE.html] [--png DIR]";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        List<String> passed = new ArrayList<>();
        List<String> csv = new ArrayList<>();
        Path file = null;
        String experiment = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            switch (arg) {
                case "--experiment" -> experiment = value(args, ++i, arg);
                case "--runs", "--out", "--png" -> {
                    passed.add(arg);
                    passed.add(value(args, ++i, arg));
                }
                case "--csv" -> {
                    while (i + 1 < args.size() && !args.get(i + 1).startsWith("-")) {
                        csv.add(args.get(++i));
                    }
                    if (csv.isEmpty()) {
                        throw new UsageException("--csv needs at least one directory");
                    }
                }
                default -> {
                    if (arg.startsWith("-")) {
                        throw new UsageException("unknown option '" + arg + "'; expected --experiment, --runs, --csv, "
                                + "--out or --png");
                    }
                    if (file != null) {
                        throw new UsageException("expected at most one TRACKING.yaml, got '" + file + "' and '" + arg
                                + "'");
                    }
                    file = Path.of(arg);
                }
            }
        }
        List<String> command = new ArrayList<>(List.of(PythonEnvironment.interpreter(), "-m", "mlpipelines.report"));
        if (!csv.isEmpty()) {
            command.add("--csv");
            command.addAll(csv);
        } else {
            TrackingConfig tracking = UiCommand.load(file);
            Optional<MLflowConfig> mlflow = backend(tracking, MLflowConfig.class);
            Optional<CsvConfig> csvConfig = backend(tracking, CsvConfig.class);
            if (mlflow.isPresent()) {
                String uri = mlflow.get().trackingUri().strip();
                command.addAll(List.of("--mlflow_tracking_uri",
                        LocalStore.isServerUrl(uri) ? uri : LocalStore.parse(uri).uri(),
                        "--experiment", experiment != null ? experiment : mlflow.get().experimentName()));
            } else if (csvConfig.isPresent()) {
                command.addAll(List.of("--csv", csvConfig.get().dir().toAbsolutePath().normalize().toString()));
            } else {
                err.println("mlpipelines report: " + tracking.file() + " enables neither MLFLOW nor CSV; give --csv DIR");
                return BAD_INPUT;
            }
        }
        command.addAll(passed);
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        try {
            out.flush();
            err.flush();
            return builder.start().waitFor();
        } catch (IOException e) {
            err.println("mlpipelines: cannot start " + command.get(0) + ": " + e.getMessage() + "; set "
                    + PythonEnvironment.PYTHON_VARIABLE + " to the Python that has mlpipelines installed");
            return BAD_INPUT;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return INTERRUPTED;
        }
    }

    private static String value(List<String> args, int index, String option) {
        if (index >= args.size() || args.get(index).startsWith("-")) {
            throw new UsageException(option + " needs a value");
        }
        return args.get(index);
    }

    private static <C> Optional<C> backend(TrackingConfig tracking, Class<C> type) {
        return tracking.backends().stream().map(ConfiguredBackend::config).filter(type::isInstance).map(type::cast)
                .findFirst();
    }
}
