package de.monticore.mlpipelines.cli;

import de.monticore.mlpipelines.generator.ExperimentLoader;
import de.monticore.mlpipelines.generator.ExperimentSpec;
import de.monticore.mlpipelines.generator.GeneratedExperiment;
import de.monticore.mlpipelines.generator.TrainingScriptGenerator;
import de.monticore.mlpipelines.tracking.TrackerFactory;
import de.monticore.mlpipelines.tracking.config.TrackingConfig;
import de.monticore.mlpipelines.tracking.config.TrackingConfigLoader;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code mlpipelines generate EXPERIMENT.yaml [--tracking TRACKING.yaml] [--out DIR]}: validates both
 * files and writes {@code DIR/<experiment>/train.py} with its runtime, without running it.
 */
final class GenerateCommand implements Command {
    /** Where generated experiments go unless {@code --out} says otherwise. */
    static final Path DEFAULT_OUT = Path.of("build", "generated");
    /** The tracking configuration used without {@code --tracking}: STDOUT only. */
    static final String DEFAULT_TRACKING_RESOURCE = "experiments/tracking/tracking.yaml";

    @Override
    public String usage() {
        return "generate EXPERIMENT.yaml [--tracking TRACKING.yaml] [--out DIR]";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        Arguments arguments = Arguments.parse(args);
        ExperimentSpec experiment = new ExperimentLoader().load(arguments.experiment());
        TrackingConfig tracking = arguments.loadTracking();
        tracking.warnings().forEach(warning -> err.println("warning: " + warning));
        GeneratedExperiment generated = new TrainingScriptGenerator().generate(experiment, arguments.out());
        out.println("wrote " + generated.script() + " (with its tracking runtime and " + generated.requirements()
                .getFileName() + ")");
        out.println("run it on its own: cd " + generated.directory() + " && python train.py --tracking_backends STDOUT,CSV");
        return OK;
    }

    /**
     * The arguments {@code generate} and {@code run} share.
     *
     * @param experiment the experiment file
     * @param tracking   the tracking file; null for the built-in STDOUT-only configuration
     * @param out        the output directory
     */
    record Arguments(Path experiment, Path tracking, Path out) {
        /**
         * Parses {@code EXPERIMENT.yaml [--tracking FILE] [--out DIR]} ({@code --opt=value} works too).
         *
         * @throws UsageException naming what is wrong
         */
        static Arguments parse(List<String> args) {
            Path experiment = null;
            Path tracking = null;
            Path out = DEFAULT_OUT;
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                String option = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
                if (option.equals("--tracking") || option.equals("--out")) {
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
                    if (option.equals("--tracking")) {
                        tracking = Path.of(value);
                    } else {
                        out = Path.of(value);
                    }
                } else if (arg.startsWith("-")) {
                    throw new UsageException("unknown option '" + arg + "'; expected --tracking or --out");
                } else if (experiment == null) {
                    experiment = Path.of(arg);
                } else {
                    throw new UsageException("unexpected argument '" + arg + "'; expected one experiment file");
                }
            }
            if (experiment == null) {
                throw new UsageException("expected the experiment file");
            }
            return new Arguments(experiment, tracking, out);
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
