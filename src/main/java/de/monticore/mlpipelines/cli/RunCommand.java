package de.monticore.mlpipelines.cli;

import de.monticore.mlpipelines.generator.ExperimentSpec;
import de.monticore.mlpipelines.generator.GeneratedExperiment;
import de.monticore.mlpipelines.pipeline.LaunchResult;
import de.monticore.mlpipelines.pipeline.PreparedRun;
import de.monticore.mlpipelines.pipeline.PythonEnvironment;
import de.monticore.mlpipelines.pipeline.TrainingJob;
import de.monticore.mlpipelines.pipeline.TrainingLauncher;
import de.monticore.mlpipelines.tracking.TrackerFactory;
import de.monticore.mlpipelines.tracking.config.TrackingConfig;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;

import de.monticore.mlpipelines.tracking.backend.mlflow.LocalStore;
import de.monticore.mlpipelines.tracking.backend.mlflow.MLflowConfig;
import de.monticore.mlpipelines.tracking.backend.tensorboard.TensorBoardConfig;
import de.monticore.mlpipelines.tracking.config.ConfiguredBackend;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;

/**
 * {@code mlpipelines run EXPERIMENT.yaml [--tracking TRACKING.yaml] [--out DIR] [--set KEY.PATH=VALUE]…}:
 * generates the training script into a directory of this run alone
 * ({@link PreparedRun}), runs it as a tracked run (see {@link TrainingLauncher})
 * with every hyperparameter given as an option, and prints a summary naming that directory.
 * Exit code 0 when the run FINISHED, 1 when it FAILED, 130 when it was KILLED, 2 for bad input
 * (nothing is started then).
 */
final class RunCommand implements Command {
    @Override
    public String usage() {
        return "run EXPERIMENT.yaml [--tracking TRACKING.yaml] [--out DIR] [--set KEY.PATH=VALUE]... [--processes N]"
                + " [--json FILE]";
    }

    /**
     * {@code --processes N} (also {@code --processes=N}) is {@code --set distributed.processes=N}: the same
     * checks and messages (PyTorch experiments only), and the value is what the run logs.
     */
    static List<String> withProcessesAsSet(List<String> args) {
        List<String> result = new java.util.ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--processes")) {
                if (i + 1 >= args.size()) {
                    throw new UsageException("--processes needs a value, e.g. --processes 2");
                }
                result.addAll(List.of("--set", "distributed.processes=" + args.get(++i)));
            } else if (arg.startsWith("--processes=")) {
                result.addAll(List.of("--set", "distributed.processes=" + arg.substring("--processes=".length())));
            } else {
                result.add(arg);
            }
        }
        return result;
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        long start = System.nanoTime();
        List<String> rest = new java.util.ArrayList<>(args);
        java.nio.file.Path json = takeJsonOption(rest);
        GenerateCommand.Arguments arguments = GenerateCommand.Arguments.parse(withProcessesAsSet(rest),
                List.of("--processes", "--json"));
        ExperimentSpec experiment = arguments.loadExperiment();
        TrackingConfig tracking = arguments.loadTracking();
        tracking.warnings().forEach(warning -> err.println("warning: " + warning));
        // A local MLflow server starts while the script is generated; the tracker then finds it running.
        WarmServer warm = WarmServer.startFor(tracking);
        try {
            return run(arguments, experiment, tracking, start, json, out, err);
        } finally {
            warm.close();
        }
    }

    /**
     * Removes {@code --json FILE} (or {@code --json=FILE}) from the arguments and checks that FILE can be
     * written; null when the option is absent.
     *
     * @throws UsageException when the file is missing, given twice or cannot be written where it is
     */
    static java.nio.file.Path takeJsonOption(List<String> args) {
        java.nio.file.Path json = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String value;
            if (arg.equals("--json")) {
                if (i + 1 >= args.size() || args.get(i + 1).startsWith("-")) {
                    throw new UsageException("--json needs a file to write the run's metadata to");
                }
                value = args.remove(i + 1);
            } else if (arg.startsWith("--json=")) {
                value = arg.substring("--json=".length());
            } else {
                continue;
            }
            args.remove(i--);
            if (json != null) {
                throw new UsageException("--json is given twice");
            }
            if (value.isEmpty()) {
                throw new UsageException("--json needs a file to write the run's metadata to");
            }
            json = java.nio.file.Path.of(value);
            RunMetadata.checkWritable(json);
        }
        return json;
    }

    private static int run(GenerateCommand.Arguments arguments, ExperimentSpec experiment, TrackingConfig tracking,
                           long start, java.nio.file.Path json, PrintStream out, PrintStream err) {
        long generationStart = System.nanoTime();
        PreparedRun prepared = PreparedRun.prepare(experiment, arguments.experiment(), tracking, arguments.out());
        GeneratedExperiment generated = prepared.generated();
        long generationEnd = System.nanoTime();
        out.println("generated " + generated.script());
        if (tracking.backends().isEmpty()) {
            out.println("tracking is off: no backend is enabled in " + tracking.file());
        }

        RunTracker tracker = TrackerFactory.createTracker(tracking);
        TrainingJob job = prepared.job();
        // Closed after the summary: an interrupted launcher still prints it before the JVM exits.
        try (TrainingLauncher launcher = new TrainingLauncher(PythonEnvironment.interpreter(), out, err)) {
            LaunchResult result = launcher.launch(tracker, job);
            out.println();
            out.println("== summary");
            result.summary(experiment.name(), arguments.experiment().toString(), generated.script().toString())
                    .forEach(out::println);
            java.util.Optional<String> ui = uiCommand(tracking);
            ui.ifPresent(command -> out.println("ui:         " + command + "   (MLflow and TensorBoard; Ctrl-C stops "
                    + "them)"));
            out.println("time:       " + seconds(generationStart - start) + " config, "
                    + seconds(generationEnd - generationStart) + " generation, "
                    + seconds(result.setup().toNanos()) + " run setup, "
                    + seconds(result.training().toNanos()) + " training, "
                    + seconds(result.finishing().toNanos()) + " end/clean-up/close");
            if (json != null) {
                RunMetadata.Timings timings = new RunMetadata.Timings(Duration.ofNanos(generationStart - start),
                        Duration.ofNanos(generationEnd - generationStart), result.setup(), result.training(),
                        result.finishing(), Duration.ofNanos(System.nanoTime() - start));
                try {
                    RunMetadata.write(json, RunMetadata.of(result, experiment.name(), arguments.experiment().toString(),
                            generated.script().toString(), ui.orElse(null), timings));
                    out.println("metadata:   " + json);
                } catch (java.io.IOException | RuntimeException e) {
                    err.println("mlpipelines: could not write the run's metadata to " + json + ": " + e.getMessage());
                }
            }
            out.flush();
            return result.commandExitCode();
        }
    }

    /**
     * {@code mlpipelines ui TRACKING.yaml} when the configuration has a store it shows (a local MLflow
     * store or a TensorBoard log directory), with the file quoted for a shell when needed.
     */
    static java.util.Optional<String> uiCommand(TrackingConfig tracking) {
        boolean shown = tracking.backends().stream().map(ConfiguredBackend::config).anyMatch(config ->
                config instanceof TensorBoardConfig
                        || config instanceof MLflowConfig mlflow && !LocalStore.isServerUrl(mlflow.trackingUri()));
        if (!shown || !java.nio.file.Files.isRegularFile(java.nio.file.Path.of(tracking.file()))) {
            return java.util.Optional.empty();
        }
        String file = tracking.file();
        String quoted = file.matches("[A-Za-z0-9_./:@%+=,-]+") ? file : "'" + file.replace("'", "'\\''") + "'";
        return java.util.Optional.of("mlpipelines ui " + quoted);
    }

    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.2f s", Duration.ofNanos(nanos).toMillis() / 1000.0);
    }
}
