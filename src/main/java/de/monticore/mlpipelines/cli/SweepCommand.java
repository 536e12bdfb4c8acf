package de.monticore.mlpipelines.cli;

import de.monticore.mlpipelines.generator.sweep.SweepLoader;
import de.monticore.mlpipelines.generator.sweep.SweepPlan;
import de.monticore.mlpipelines.pipeline.PythonEnvironment;
import de.monticore.mlpipelines.sweep.SweepResult;
import de.monticore.mlpipelines.sweep.SweepRunner;
import de.monticore.mlpipelines.tracking.config.TrackingConfig;
import de.monticore.mlpipelines.tracking.config.TrackingConfigException;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code mlpipelines sweep EXPERIMENT.yaml [--tracking T] [--out DIR] [--parallel N] [--set KEY.PATH=VALUE]…}:
 * validates the experiment's {@code sweep:} section and every trial before anything is written, then runs
 * the trials (each what {@code run} does with the trial's values as {@code --set} overrides), up to N at
 * once, under one parent run, and prints a table of the trials with the best marked. Exit code 0 when every
 * trial FINISHED, 1 when any did not, 130 when interrupted, 2 for bad input (nothing is started then).
 */
final class SweepCommand implements Command {
    /** The most trials {@code --parallel} may run at once. */
    static final int MAX_PARALLEL = 64;

    @Override
    public String usage() {
        return "sweep EXPERIMENT.yaml [--tracking TRACKING.yaml] [--out DIR] [--parallel N] [--set KEY.PATH=VALUE]..."
                + " [--json FILE]";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        List<String> rest = new ArrayList<>();
        List<String> all = new ArrayList<>(args);
        java.nio.file.Path json = RunCommand.takeJsonOption(all);
        int parallel = 1;
        for (int i = 0; i < all.size(); i++) {
            String arg = all.get(i);
            if (arg.equals("--parallel") || arg.startsWith("--parallel=")) {
                String value;
                if (arg.contains("=")) {
                    value = arg.substring(arg.indexOf('=') + 1);
                } else if (i + 1 < all.size()) {
                    value = all.get(++i);
                } else {
                    throw new UsageException("--parallel needs a value");
                }
                parallel = parallel(value);
            } else {
                rest.add(arg);
            }
        }
        GenerateCommand.Arguments arguments = GenerateCommand.Arguments.parse(rest, List.of("--parallel", "--json"));
        SweepPlan plan = new SweepLoader().load(arguments.experiment(), arguments.overrides());
        TrackingConfig tracking = arguments.loadTracking();
        if (tracking.backends().isEmpty()) {
            throw new TrackingConfigException(tracking.file(), "backends", "no backend is enabled; a sweep reads "
                    + "each trial's objective from what it logged, so it needs at least one backend (e.g. stdout:)");
        }
        tracking.warnings().forEach(warning -> err.println("warning: " + warning));
        try (SweepRunner runner = new SweepRunner(PythonEnvironment.interpreter(), out, err, parallel,
                Duration.ofSeconds(10))) {
            SweepResult result = runner.run(plan, arguments.experiment(), tracking, arguments.out());
            out.println();
            out.println("== sweep summary");
            SweepRunner.summary(result, plan.experiment().name(), arguments.experiment().toString())
                    .forEach(out::println);
            if (json != null) {
                try {
                    RunMetadata.write(json, RunMetadata.ofSweep(result, plan.experiment().name(),
                            arguments.experiment().toString()));
                    out.println("metadata:   " + json);
                } catch (java.io.IOException | RuntimeException e) {
                    err.println("mlpipelines: could not write the sweep's metadata to " + json + ": " + e.getMessage());
                }
            }
            out.flush();
            return result.commandExitCode();
        }
    }

    private static int parallel(String text) {
        try {
            int value = Integer.parseInt(text.strip());
            if (value >= 1 && value <= MAX_PARALLEL) {
                return value;
            }
        } catch (NumberFormatException e) {
            // Reported below.
        }
        throw new UsageException("--parallel needs a whole number from 1 to " + MAX_PARALLEL + ", got '" + text + "'");
    }
}
