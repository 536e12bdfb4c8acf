package de.monticore.mlpipelines.tracking;

import de.monticore.mlpipelines.tracking.config.ConfiguredBackend;
import de.monticore.mlpipelines.tracking.config.TrackingConfig;
import de.monticore.mlpipelines.tracking.config.TrackingConfigLoader;
import de.monticore.mlpipelines.tracking.tracker.MultiBackendTracker;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns tracking.yaml into a {@link MultiBackendTracker}:
 *
 * <pre>{@code
 * TrackingConfig config = TrackerFactory.loadConfig(Path.of("tracking.yaml"));
 * try (MultiBackendTracker tracker = TrackerFactory.createTracker(config)) {
 *     tracker.startNewRun();
 *     tracker.logParam("lr", "0.1");
 *     tracker.endRun(RunStatus.FINISHED);
 * }
 * }</pre>
 */
public final class TrackerFactory {
    private TrackerFactory() {
    }

    /**
     * Reads and validates a tracking.yaml with every discoverable backend.
     *
     * @throws de.monticore.mlpipelines.tracking.config.TrackingConfigException naming file, key path and
     *                                                                            what was expected
     */
    public static TrackingConfig loadConfig(Path file) {
        return new TrackingConfigLoader().load(file);
    }

    /**
     * Builds one tracker per enabled backend; nothing connects or writes until the tracker is used.
     * A configuration without backends yields a tracker that logs nothing, like {@link #noTracking()}
     * but with the configuration's blacklist and tags (which then go nowhere).
     */
    public static MultiBackendTracker createTracker(TrackingConfig config) {
        Map<String, RunTracker> trackers = new LinkedHashMap<>();
        for (ConfiguredBackend<?> backend : config.backends()) {
            trackers.put(backend.name(), backend.createTracker());
        }
        return new MultiBackendTracker(trackers, config.paramBlacklist(), config.tags(), System.err);
    }

    /**
     * A tracker with no backends, for a pipeline run without any tracking.yaml: every call is
     * accepted and logs nothing, and its {@code getPythonParams()} is {@code tracking_backends=""}.
     */
    public static MultiBackendTracker noTracking() {
        return new MultiBackendTracker(Map.of(), List.of(), Map.of(), System.err);
    }

    /** {@link #loadConfig(Path)} then {@link #createTracker(TrackingConfig)}. */
    public static MultiBackendTracker createTracker(Path file) {
        return createTracker(loadConfig(file));
    }
}
