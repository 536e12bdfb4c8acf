package de.monticore.mlpipelines.tracking.config;

import de.monticore.mlpipelines.tracking.TrackingBackendProvider;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;

/** A backend together with its validated configuration, ready to build its tracker. */
public record ConfiguredBackend<C extends BackendConfig>(TrackingBackendProvider<C> provider, C config) {

    /** The backend's name ({@code MLFLOW}). */
    public String name() {
        return provider.name();
    }

    /** A new tracker for this configuration. */
    public RunTracker createTracker() {
        return provider.createTracker(config);
    }

    /** Reads a backend's section and pairs the result with its provider. */
    public static <C extends BackendConfig> ConfiguredBackend<C> parse(TrackingBackendProvider<C> provider,
                                                                      ConfigSection section) {
        section.rejectUnknownKeys(provider.configKeys());
        return new ConfiguredBackend<>(provider, provider.parseConfig(section));
    }
}
