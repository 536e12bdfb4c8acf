package de.monticore.mlpipelines.tracking.config;

import java.util.Map;

/** The validated configuration of one backend, parsed from its section of tracking.yaml. */
public interface BackendConfig {
    /** The effective settings, key to value as in tracking.yaml, for {@code check-config}; not yet masked. */
    Map<String, String> settings();
}
