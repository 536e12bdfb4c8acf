package de.monticore.mlpipelines.tracking;

import de.monticore.mlpipelines.tracking.config.BackendConfig;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;

import java.util.Set;
import java.util.function.Function;

/** A {@link TrackingBackendProvider} assembled from a config parser and a tracker constructor. */
record BackendDefinition<C extends BackendConfig>(
        String name,
        Class<? extends RunTracker> trackerClass,
        Set<String> configKeys,
        Function<ConfigSection, C> parser,
        Function<C, RunTracker> factory) implements TrackingBackendProvider<C> {

    @Override
    public C parseConfig(ConfigSection section) {
        return parser.apply(section);
    }

    @Override
    public RunTracker createTracker(C config) {
        return factory.apply(config);
    }
}
