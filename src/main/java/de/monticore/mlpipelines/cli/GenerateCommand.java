package de.monticore.mlpipelines.cli;

import de.monticore.mlpipelines.generator.ExperimentLoader;
import de.monticore.mlpipelines.generator.ExperimentSpec;
import de.monticore.mlpipelines.generator.GeneratedExperiment;
import de.monticore.mlpipelines.generator.TrainingScriptGenerator;
import de.monticore.mlpipelines.tracking.TrackerFactory;
import de.monticore.mlpipelines.tracking.config.Suggestions;
import de.monticore.mlpipelines.tracking.config.TrackingConfig;
import de.monticore.mlpipelines.tracking.config.TrackingConfigLoader;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code mlpipelines generate EXPERIMENT.yaml [--tracking TRACKING.yaml] [--out DIR] [--set KEY.PATH=VALUE]…}:
 * validates both files (with the {@code --set} overrides applied to the experiment) and writes
 * {@code DIR/<experiment>/train.py} with its runtime, replacing an earlier generation, without running
 * it. The script's defaults are the experiment's hyperparameters and the tracking file's options.
 */
final class GenerateCommand implements Command {
    /** Where generated experiments go unless {@code --out} says otherwise. */
    static final Path DEFAULT_OUT = Path.of("build", "generated");
    /** The tracking configuration used without {@code --tracking}: STDOUT only. */
    static final String DEFAULT_TRACKING_RESOURCE = "experiments/tracking/tracking.yaml";

    @Override
    public String usage() {
        return "generate EXPERIMENT.yaml [--tracking TRACKING.yaml] [--out DIR] [--set KEY.PATH=VALUE]...";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        Arguments arguments = Arguments.parse(args);
        ExperimentSpec experiment = arguments.loadExperiment();
        TrackingConfig tracking = arguments.loadTracking();
        tracking.warnings().forEach(warning -> err.println("warning: " + warning));
        GeneratedExperiment generated = new TrainingScriptGenerator().generate(experiment, tracking, arguments.out());
        out.println("wrote " + generated.script() + " (with its tracking runtime and " + generated.requirements()
                .getFileName() + ")");
        out.println("run it on its own: cd " + generated.directory() + " && python train.py");
        return OK;
    }

    /**
     * The arguments {@code generate} and {@code run} share.
     *
     * @param experiment the experiment file
     * @param tracking   the tracking file; null for the built-in STDOUT-only configuration
     * @param out        the output directory
     * @param overrides  {@code --set} key paths to value texts, in order; a later one for a key wins
     */
    record Arguments(Path experiment, Path tracking, Path out, Map<String, String> overrides) {
        Arguments {
            overrides = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(overrides));
        }

        /**
         * Parses {@code EXPERIMENT.yaml [--tracking FILE] [--out DIR] [--set KEY.PATH=VALUE]…}
         * ({@code --opt=value} works too).
         *
         * @throws UsageException naming what is wrong
         */
        static Arguments parse(List<String> args) {
            return parse(args, List.of());
        }

        /**
         * As {@link #parse(List)}, for a command that takes {@code commandOptions} too and has taken them
         * off {@code args} already: an unknown option's message lists them with the others.
         */
        static Arguments parse(List<String> args, List<String> commandOptions) {
            Path experiment = null;
            Path tracking = null;
            Path out = DEFAULT_OUT;
            Map<String, String> overrides = new LinkedHashMap<>();
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                String option = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
                if (option.equals("--tracking") || option.equals("--out") || option.equals("--set")) {
                    String value;
                    if (arg.contains("=")) {
                        value = arg.substring(arg.indexOf('=') + 1);
                    } else if (i + 1 < args.size()) {
                        value = args.get(++i);
                    } else {
                        throw new UsageException(option + " needs a value");
                    }
                    if (value.isBlank()) {
                        throw new UsageException(option + " needs a non-empty value");
                    }
                    if (option.equals("--set")) {
                        int equals = value.indexOf('=');
                        if (equals <= 0 || value.substring(0, equals).isBlank()) {
                            throw new UsageException("--set needs KEY.PATH=VALUE, e.g. --set training.epochs=5; got '"
                                    + value + "'");
                        }
                        overrides.put(value.substring(0, equals).strip(), value.substring(equals + 1));
                    } else if (option.equals("--tracking")) {
                        tracking = Path.of(value);
                    } else {
                        out = Path.of(value);
                    }
                } else if (arg.startsWith("-")) {
                    List<String> known = new ArrayList<>(List.of("--tracking", "--out"));
                    known.addAll(commandOptions);
                    known.add("--set");
                    throw new UsageException("unknown option '" + arg + "'; expected "
                            + String.join(", ", known.subList(0, known.size() - 1)) + " or --set"
                            + Suggestions.didYouMean(option, known));
                } else if (experiment == null) {
                    experiment = Path.of(arg);
                } else {
                    throw new UsageException("unexpected argument '" + arg + "'; expected one experiment file");
                }
            }
            if (experiment == null) {
                throw new UsageException("expected the experiment file");
            }
            return new Arguments(experiment, tracking, out, overrides);
        }

        /** The validated experiment: the file with the {@code --set} overrides applied before validation. */
        ExperimentSpec loadExperiment() {
            return new ExperimentLoader().load(experiment, overrides);
        }

        /** The validated tracking configuration: the given file, or the built-in STDOUT-only one. */
        TrackingConfig loadTracking() {
            if (tracking != null) {
                return TrackerFactory.loadConfig(tracking);
            }
            try (InputStream in = GenerateCommand.class.getClassLoader().getResourceAsStream(DEFAULT_TRACKING_RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(DEFAULT_TRACKING_RESOURCE + " is missing from the jar");
                }
                return new TrackingConfigLoader().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8),
                        "built-in tracking.yaml");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
