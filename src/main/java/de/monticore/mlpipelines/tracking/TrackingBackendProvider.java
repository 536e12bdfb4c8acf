package de.monticore.mlpipelines.tracking;

import de.monticore.mlpipelines.tracking.config.BackendConfig;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;

import java.util.Locale;
import java.util.Set;

/**
 * How the tracking layer learns about a backend: its name, how to read its section of
 * tracking.yaml and how to build its tracker. The built-in backends are the constants of
 * {@link TrackingBackend}; a backend from outside the source tree implements this interface and is
 * listed in {@code META-INF/services/de.monticore.mlpipelines.tracking.TrackingBackendProvider}.
 *
 * @param <C> the backend's typed configuration
 */
public interface TrackingBackendProvider<C extends BackendConfig> {

    /** The name users write in tracking.yaml and {@code --tracking_backends}, upper case ({@code MLFLOW}). */
    String name();

    /** The Java tracker class, for {@code mlpipelines backends}. */
    Class<? extends RunTracker> trackerClass();

    /** The keys this backend's section of tracking.yaml may contain; others are rejected. */
    Set<String> configKeys();

    /**
     * Reads and validates this backend's section; only keys from {@link #configKeys()} are present.
     *
     * @throws de.monticore.mlpipelines.tracking.config.TrackingConfigException on bad values
     */
    C parseConfig(ConfigSection section);

    /** Builds the tracker; no side effects (no connection, no files) until it is used. */
    RunTracker createTracker(C config);

    /** The prefix of every key of this backend's {@code getPythonParams()}. */
    default String optionPrefix() {
        return name().toLowerCase(Locale.ROOT) + "_";
    }
}
