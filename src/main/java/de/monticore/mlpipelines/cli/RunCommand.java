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
        return "run EXPERIMENT.yaml [--tracking TRACKING.yaml] [--out DIR] [--set KEY.PATH=VALUE]... [--processes N]";
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
        GenerateCommand.Arguments arguments = GenerateCommand.Arguments.parse(withProcessesAsSet(args));
        ExperimentSpec experiment = arguments.loadExperiment();
        TrackingConfig tracking = arguments.loadTracking();
        tracking.warnings().forEach(warning -> err.println("warning: " + warning));
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
            out.println("time:       " + seconds(generationStart - start) + " config, "
                    + seconds(generationEnd - generationStart) + " generation, "
                    + seconds(result.setup().toNanos()) + " run setup, "
                    + seconds(result.training().toNanos()) + " training, "
                    + seconds(result.finishing().toNanos()) + " end/clean-up/close");
            out.flush();
            return result.commandExitCode();
        }
    }

    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.2f s", Duration.ofNanos(nanos).toMillis() / 1000.0);
    }
}
