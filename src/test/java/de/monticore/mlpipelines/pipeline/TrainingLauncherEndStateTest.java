package de.monticore.mlpipelines.pipeline;

import de.monticore.mlpipelines.generator.StdOutOnlyRuntime;
import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The summary says how the run's end stands in each store, pending ends with their command. */
class TrainingLauncherEndStateTest {
    private static final String PENDING = "end pending (FINISHED spooled to /spool/abc-java-1-2.jsonl); "
            + "complete it with: mlpipelines replay /spool";

    @TempDir
    Path temp;

    /** A {@link RecordingTracker} that reports end states (or fails to). */
    private static final class EndStateTracker implements RunTracker {
        private final RecordingTracker recording = new RecordingTracker(Map.of());
        private final Map<String, String> endStates;

        EndStateTracker(Map<String, String> endStates) {
            this.endStates = endStates;
        }

        @Override
        public void startNewRun() {
            recording.startNewRun();
        }

        @Override
        public void endRun(RunStatus status) {
            recording.endRun(status);
        }

        @Override
        public void logParam(String key, String value) {
            recording.logParam(key, value);
        }

        @Override
        public void logMetric(String key, double value, long timestampMillis, long step) {
            recording.logMetric(key, value, timestampMillis, step);
        }

        @Override
        public void logTag(String key, String value) {
            recording.logTag(key, value);
        }

        @Override
        public void logArtifact(File localFile, String artifactPath) {
            recording.logArtifact(localFile, artifactPath);
        }

        @Override
        public Map<String, String> getRunLocations() {
            return recording.getRunLocations();
        }

        @Override
        public Map<String, String> getRunEndStates() {
            if (endStates == null) {
                throw new TrackingException("store unreadable");
            }
            return endStates;
        }
    }

    private List<String> summaryOf(RunTracker tracker) throws IOException {
        Path script = Files.writeString(temp.resolve("train.py"), "print('trained')\n");
        Path experiment = Files.writeString(temp.resolve("digits.yaml"), "name: digits\n");
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream stream = new PrintStream(sink, true, StandardCharsets.UTF_8);
        try (TrainingLauncher launcher = new TrainingLauncher(StdOutOnlyRuntime.python(), stream, stream,
                Duration.ofSeconds(5))) {
            LaunchResult result = launcher.launch(tracker, new TrainingJob(script, experiment, Map.of()));
            assertEquals(RunStatus.FINISHED, result.status(), sink.toString(StandardCharsets.UTF_8));
            return result.summary("digits", experiment.toString(), script.toString());
        }
    }

    @Test
    void aPendingEndIsInTheSummaryWithTheCommandBeforeTheLocations() throws IOException {
        List<String> summary = summaryOf(new EndStateTracker(Map.of("MLflow status", PENDING)));

        int state = summary.indexOf("MLflow status: " + PENDING);
        int location = summary.indexOf("CSV file: runs/csv/run_1/metrics.csv");
        assertTrue(state >= 0 && location > state, summary.toString());
    }

    @Test
    void endStatesThatCannotBeReadAreAProblemAndTheLocationsStay() throws IOException {
        List<String> summary = summaryOf(new EndStateTracker(null));

        assertTrue(summary.contains("CSV file: runs/csv/run_1/metrics.csv"), summary.toString());
        assertTrue(summary.stream().anyMatch(line -> line.startsWith("problem:") && line.contains("getRunEndStates()")
                && line.contains("store unreadable")), summary.toString());
    }
}
