package de.monticore.mlpipelines.tracking.config;

import java.util.Map;

/** The validated configuration of one backend, parsed from its section of tracking.yaml. */
public interface BackendConfig {
    /** The effective settings, key to value as in tracking.yaml, for {@code check-config}; not yet masked. */
    Map<String, String> settings();

    /**
     * The options the backend's Python half reads, as {@code --key=value} pairs (keys start with the
     * backend's prefix, {@code csv_dir}), derived from the configuration alone: no connection, no
     * file touched, paths absolute. The generator writes them into the script as defaults, so that a
     * script run on its own honours the tracking.yaml it was generated with; a started run's tracker
     * adds the run's identity to them. Empty for a backend whose Python half needs no option.
     */
    default Map<String, String> pythonOptions() {
        return Map.of();
    }
}
