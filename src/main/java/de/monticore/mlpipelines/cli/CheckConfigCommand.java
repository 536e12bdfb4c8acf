package de.monticore.mlpipelines.cli;

import de.monticore.mlpipelines.tracking.TrackerFactory;
import de.monticore.mlpipelines.tracking.config.ConfiguredBackend;
import de.monticore.mlpipelines.tracking.config.TrackingConfig;
import de.monticore.mlpipelines.tracking.secret.Secrets;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@code mlpipelines check-config TRACKING.yaml}: validates and lists the enabled backends, secrets masked;
 * says so when no backend is enabled (tracking is off).
 */
final class CheckConfigCommand implements Command {
    @Override
    public String usage() {
        return "check-config TRACKING.yaml";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.size() != 1 || args.get(0).startsWith("-")) {
            throw new UsageException("expected exactly one argument, the tracking file");
        }
        TrackingConfig config = TrackerFactory.loadConfig(Path.of(args.get(0)));
        config.warnings().forEach(warning -> err.println("warning: " + warning));
        out.println(config.file() + ": OK, " + config.backends().size() + " backend"
                + (config.backends().size() == 1 ? "" : "s") + " enabled");
        if (config.backends().isEmpty()) {
            out.println("  tracking is off: no backend is enabled; `run` trains without recording anything");
        }
        for (ConfiguredBackend<?> backend : config.backends()) {
            out.println("  " + backend.name());
            for (Map.Entry<String, String> setting : backend.config().settings().entrySet()) {
                out.println("    " + setting.getKey() + ": " + Secrets.maskIfSecret(setting.getKey(), setting.getValue()));
            }
        }
        if (!config.paramBlacklist().isEmpty()) {
            out.println("  param_blacklist: " + config.paramBlacklist().stream().map(Pattern::pattern)
                    .collect(Collectors.joining(", ", "[", "]")));
        }
        if (!config.tags().isEmpty()) {
            out.println("  tags: " + config.tags().entrySet().stream()
                    .map(tag -> tag.getKey() + "=" + Secrets.maskIfSecret(tag.getKey(), tag.getValue()))
                    .collect(Collectors.joining(", ")));
        }
        return OK;
    }
}
