package de.monticore.mlpipelines.tracking;

import de.monticore.mlpipelines.tracking.config.TrackingConfig;
import de.monticore.mlpipelines.tracking.config.TrackingConfigLoader;
import de.monticore.mlpipelines.tracking.tracker.MultiBackendTracker;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TrackerFactoryTest {
    @Test
    void noTrackingHasNoBackendsAndTellsPythonSo() {
        try (MultiBackendTracker tracker = TrackerFactory.noTracking()) {
            assertEquals(Map.of(), tracker.getTrackers());
            assertEquals(Map.of("tracking_backends", ""), tracker.getPythonParams());
            tracker.startNewRun();
            tracker.logParam("lr", "0.1");
            tracker.endRun(RunStatus.FINISHED);
            assertEquals(List.of(), tracker.getFailures());
        }
    }

    @Test
    void aConfigWithoutBackendsBuildsATrackerWithoutBackends() {
        TrackingConfig config = new TrackingConfigLoader(TrackingBackends.discover(), name -> null)
                .parse("backends: {}\ntags: {team: vision}\n", "tracking.yaml");
        try (MultiBackendTracker tracker = TrackerFactory.createTracker(config)) {
            assertEquals(Map.of(), tracker.getTrackers());
            assertEquals(Map.of("tracking_backends", ""), tracker.getPythonParams());
        }
    }

    @Test
    void aConfigWithBackendsBuildsOneTrackerEach() {
        TrackingConfig config = new TrackingConfigLoader(TrackingBackends.discover(), name -> null)
                .parse("backends:\n  stdout:\n  csv:\n", "tracking.yaml");
        try (MultiBackendTracker tracker = TrackerFactory.createTracker(config)) {
            assertEquals(List.of("STDOUT", "CSV"), List.copyOf(tracker.getTrackers().keySet()));
            assertEquals("STDOUT,CSV", tracker.getPythonParams().get("tracking_backends"));
        }
    }
}
