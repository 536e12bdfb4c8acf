package de.monticore.mlpipelines.tracking.config;

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
     * @throws TrackingConfigException when two backends produce the same option key
     */
    public Map<String, String> pythonDefaults() {
        Map<String, String> defaults = new java.util.TreeMap<>();
        Map<String, String> producedBy = new java.util.HashMap<>();
        List<String> names = new java.util.ArrayList<>();
        defaults.put("tracking_backends", "");
        producedBy.put("tracking_backends", "the tracking configuration");
        for (ConfiguredBackend<?> backend : backends) {
            names.add(backend.name());
            for (Map.Entry<String, String> option : backend.config().pythonOptions().entrySet()) {
                String previous = producedBy.putIfAbsent(option.getKey(), backend.name());
                if (previous != null) {
                    throw new TrackingConfigException(file, "backends", "the Python option '" + option.getKey()
                            + "' is produced by both " + previous + " and " + backend.name()
                            + "; expected each option from one backend");
                }
                defaults.put(option.getKey(), option.getValue());
            }
        }
        defaults.put("tracking_backends", String.join(",", names));
        return java.util.Collections.unmodifiableMap(defaults);
    }
}
