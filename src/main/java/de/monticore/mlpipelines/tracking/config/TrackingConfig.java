package de.monticore.mlpipelines.tracking.config;

import de.monticore.mlpipelines.tracking.PythonOptions;
import de.monticore.mlpipelines.tracking.TrackingException;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A validated tracking.yaml.
 *
 * @param file           the file as the user named it
 * @param backends       the enabled backends in file order
 * @param paramBlacklist params whose key one of these matches are never logged (see {@code ParamBlacklist})
 * @param tags           manual tags logged on every run
 * @param warnings       complaints that do not stop the run (a literal secret), already phrased
 */
public record TrackingConfig(String file,
                             List<ConfiguredBackend<?>> backends,
                             List<Pattern> paramBlacklist,
                             Map<String, String> tags,
                             List<String> warnings) {
    public TrackingConfig {
        backends = List.copyOf(backends);
        paramBlacklist = List.copyOf(paramBlacklist);
        tags = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(tags));
        warnings = List.copyOf(warnings);
    }

    /**
     * What a script generated for this configuration takes as its tracking defaults: every enabled
     * backend's {@link BackendConfig#pythonOptions()} plus {@code tracking_backends}, the enabled
     * names comma-separated in file order (empty when none is enabled).
     *
     * @throws TrackingConfigException when an option key breaks the rule of {@link PythonOptions} or two
     *                                  backends produce the same key
     */
    public Map<String, String> pythonDefaults() {
        List<PythonOptions.BackendOptions> options = backends.stream()
                .map(backend -> new PythonOptions.BackendOptions(backend.name(), backend.config().pythonOptions()))
                .toList();
        try {
            return PythonOptions.merge(options);
        } catch (TrackingException e) {
            throw new TrackingConfigException(file, "backends", e.getMessage(), e);
        }
    }
}
