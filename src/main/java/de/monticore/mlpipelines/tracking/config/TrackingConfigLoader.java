package de.monticore.mlpipelines.tracking.config;

import de.monticore.mlpipelines.tracking.TrackingBackendProvider;
import de.monticore.mlpipelines.tracking.TrackingBackends;
import de.monticore.mlpipelines.tracking.secret.Secrets;
import de.monticore.mlpipelines.tracking.tracker.ParamBlacklist;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads and validates tracking.yaml (see DESIGN §4) into a {@link TrackingConfig}.
 *
 * <p>A file without backends ({@code backends: {}}, {@code backends:} or no {@code backends} key, e.g.
 * only {@code tags}) is valid and turns tracking off; an empty file is still an error, since it is
 * more likely truncated than meant. {@code param_blacklist} patterns must compile; one written for the
 * old anywhere-in-the-key matching ({@code ^_}) gets a warning naming the pattern to write instead
 * (see {@link ParamBlacklist}).
 */
public final class TrackingConfigLoader {
    private static final Set<String> TOP_LEVEL_KEYS = Set.of("backends", "param_blacklist", "tags");

    private final TrackingBackends backends;
    private final Function<String, String> environment;

    /** A loader that knows the given backends and resolves {@code ${…}} with the given lookup. */
    public TrackingConfigLoader(TrackingBackends backends, Function<String, String> environment) {
        this.backends = backends;
        this.environment = environment;
    }

    /** A loader for every discoverable backend and the process environment. */
    public TrackingConfigLoader() {
        this(TrackingBackends.discover(), System::getenv);
    }

    /** Reads and validates a tracking.yaml file. */
    public TrackingConfig load(Path file) {
        return validate(YamlFile.read(file, environment));
    }

    /** Validates YAML text; {@code name} stands for the file in messages. */
    public TrackingConfig parse(String yaml, String name) {
        return validate(YamlFile.parse(yaml, name, environment));
    }

    private TrackingConfig validate(ConfigSection top) {
        top.rejectUnknownKeys(TOP_LEVEL_KEYS);
        List<String> warnings = new ArrayList<>();
        collectLiteralSecrets(top, warnings);

        ConfigSection backendsSection = top.section("backends");
        Map<String, ConfiguredBackend<?>> enabled = new LinkedHashMap<>();
        for (String name : backendsSection.keys()) {
            TrackingBackendProvider<?> provider = backends.require(name, top.file(), backendsSection.pathOf(name));
            if (enabled.containsKey(provider.name())) {
                throw backendsSection.error(name, "backend " + provider.name() + " is configured twice");
            }
            enabled.put(provider.name(), ConfiguredBackend.parse(provider, backendsSection.section(name)));
        }

        List<Pattern> blacklist = new ArrayList<>();
        List<String> regexes = top.stringList("param_blacklist");
        for (int i = 0; i < regexes.size(); i++) {
            try {
                blacklist.add(Pattern.compile(regexes.get(i)));
            } catch (PatternSyntaxException e) {
                throw new TrackingConfigException(top.file(), "param_blacklist[" + i + "]",
                        "'" + regexes.get(i) + "' is not a valid regular expression: " + e.getDescription()
                                + " near index " + e.getIndex());
            }
            String index = "param_blacklist[" + i + "]";
            ParamBlacklist.anchorHint(regexes.get(i))
                    .ifPresent(hint -> warnings.add(top.file() + ": " + index + ": " + hint));
        }
        Map<String, String> tags = top.stringMap("tags");
        return new TrackingConfig(top.file(), new ArrayList<>(enabled.values()), blacklist, tags, warnings);
    }

    /** Warns about secret-looking keys whose value is written into the file instead of referenced. */
    private static void collectLiteralSecrets(ConfigSection section, List<String> warnings) {
        for (String key : section.keys()) {
            Object raw = section.rawValue(key);
            if (raw instanceof Map) {
                collectLiteralSecrets(section.section(key), warnings);
            } else if (raw instanceof String && Secrets.isSecretKey(key)
                    && !ConfigSection.isOnlyEnvironmentReferences((String) raw)) {
                warnings.add(section.file() + ": " + section.pathOf(key) + ": holds a literal secret; "
                        + "reference an environment variable instead, e.g. ${" + key.toUpperCase(java.util.Locale.ROOT)
                        + "}");
            }
        }
    }
}
