package de.monticore.mlpipelines.tracking.backend.mlflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.monticore.mlpipelines.pipeline.PythonEnvironment;
import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRestClient;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRun;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.RetryPolicy;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run end during an outage: spooled by the Java tracker in the Python spool format, never turned
 * KILLED by close(), completed by the real Python replay; clean-up deletes only confirmed runs.
 */
class MLflowEndRunSpoolTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ByteArrayOutputStream warnings = new ByteArrayOutputStream();

    private MLflowTracker tracker(String serverUrl, Path spool, Set<RunStatus> cleanUp) {
        return new MLflowTracker(new MLflowConfig("spool-" + UUID.randomUUID(), serverUrl, cleanUp, spool),
                MLflowOptions.defaults().withEnvironment(Map.of())
                        .withRetries(new RetryPolicy(2, Duration.ofMillis(50), Duration.ofMillis(100)),
                                Duration.ofSeconds(1))
                        .withWarnings(new PrintStream(warnings, true, StandardCharsets.UTF_8)));
    }

    @Test
    void anEndDuringAnOutageIsSpooledNotKilledAndReplayedExactlyOnce(@TempDir Path directory) throws Exception {
        Path spool = directory.resolve("spool");
        try (RestartableMLflowServer server = new RestartableMLflowServer(directory)) {
            server.start();
            MLflowTracker tracker = tracker(server.url().toString(), spool, Set.of());
            tracker.startNewRun();
            String runId = tracker.runId();
            String experimentId = tracker.getPythonParams().get("mlflow_experiment_id");
            String experimentName = tracker.getPythonParams().get("mlflow_experiment_name");

            server.stop();
            long before = System.currentTimeMillis();
            tracker.endRun(RunStatus.FINISHED);
            long after = System.currentTimeMillis();

            Path file = onlySpoolFile(spool);
            assertTrue(file.getFileName().toString().matches(runId + "-java-" + ProcessHandle.current().pid()
                    + "-\\d+\\.jsonl"), file.toString());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            assertEquals(2, lines.size(), lines.toString());
            JsonNode header = JSON.readTree(lines.get(0));
            assertEquals("mlpipelines-spool/1", header.path("spool").asText());
            assertEquals(server.url().toString(), header.path("tracking_uri").asText());
            assertEquals(runId, header.path("run_id").asText());
            assertEquals(experimentId, header.path("experiment_id").asText());
            assertEquals(experimentName, header.path("experiment_name").asText());
            JsonNode entry = JSON.readTree(lines.get(1));
            assertEquals(1, entry.path("seq").asInt());
            assertEquals("FINISHED", entry.path("end_run").asText());
            long endTime = entry.path("end_time").asLong();
            assertTrue(before <= endTime && endTime <= after, endTime + " not in [" + before + ", " + after + "]");

            String state = tracker.getRunEndStates().get("MLflow status");
            assertEquals("end pending (FINISHED spooled to " + file + "); complete it with: mlpipelines replay "
                    + spool.toAbsolutePath(), state);
            assertTrue(warnings.toString(StandardCharsets.UTF_8).contains(state));

            tracker.close();
            server.start();
            MLflowRestClient client = server.client();
            assertEquals("RUNNING", client.getRun(runId).status(), "close() must not end a run whose end was spooled");

            Replay first = replay(spool);
            assertEquals(0, first.exitCode(), first.output());
            MLflowRun replayed = client.getRun(runId);
            assertEquals("FINISHED", replayed.status());
            assertEquals(endTime, replayed.endTime());

            // Changed behind replay's back: a second replay that sent the end again would undo this.
            client.updateRun(runId, "FAILED", endTime + 1);
            Replay second = replay(spool);
            assertEquals(0, second.exitCode(), second.output());
            assertTrue(second.output().contains("delivered 0 entries"), second.output());
            assertEquals("FAILED", client.getRun(runId).status());
        }
    }

    @Test
    void aServerBackBetweenTheFailedEndAndCloseNeverMakesTheRunKilled(@TempDir Path directory) throws Exception {
        Path spool = directory.resolve("spool");
        try (RestartableMLflowServer server = new RestartableMLflowServer(directory)) {
            server.start();
            MLflowTracker tracker = tracker(server.url().toString(), spool, Set.of(RunStatus.KILLED));
            tracker.startNewRun();
            String runId = tracker.runId();
            server.stop();
            tracker.endRun(RunStatus.FINISHED);
            server.start();

            tracker.cleanUpRepository();
            tracker.close();
            MLflowRestClient client = server.client();
            assertEquals("RUNNING", client.getRun(runId).status());

            Replay replay = replay(spool);
            assertEquals(0, replay.exitCode(), replay.output());
            assertEquals("FINISHED", client.getRun(runId).status());
        }
    }

    @Test
    void endingARunDeliveredKeepsNoSpoolAndReportsTheStoredStatus(@TempDir Path directory) {
        Path spool = directory.resolve("spool");
        try (MLflowTracker tracker = tracker(TestMLflowServer.url().toString(), spool, Set.of())) {
            tracker.startNewRun();
            assertEquals(Map.of(), tracker.getRunEndStates());
            tracker.endRun(RunStatus.FAILED);
            assertEquals(Map.of("MLflow status", "FAILED"), tracker.getRunEndStates());
            assertFalse(Files.exists(spool));
        }
    }

    @Test
    void cleanUpDeletesOnlyRunsConfirmedInACleanUpState(@TempDir Path directory) throws Exception {
        Path spool = directory.resolve("spool");
        MLflowRestClient client = TestMLflowServer.client();
        try (MLflowTracker tracker = tracker(TestMLflowServer.url().toString(), spool,
                Set.of(RunStatus.KILLED, RunStatus.FAILED))) {
            tracker.startNewRun();
            String experimentId = tracker.getPythonParams().get("mlflow_experiment_id");
            String experimentName = tracker.getPythonParams().get("mlflow_experiment_name");
            String killed = endedRun(client, experimentId, "killed", "KILLED");
            // Ended KILLED on the server, but a FINISHED end waits in the spool: not confirmed.
            String pending = endedRun(client, experimentId, "pending", "KILLED");
            EndRunSpool.write(spool, TestMLflowServer.url().toString(), pending, experimentId, experimentName,
                    "FINISHED", 1_700_000_000_000L);
            // Its spooled end was delivered already (progress says so): the server's FAILED is the truth.
            String replayed = endedRun(client, experimentId, "replayed", "FAILED");
            Path replayedSpool = EndRunSpool.write(spool, TestMLflowServer.url().toString(), replayed, experimentId,
                    experimentName, "FAILED", 1_700_000_000_000L);
            Files.writeString(replayedSpool.resolveSibling(replayedSpool.getFileName() + ".progress"),
                    "{\"delivered\": 1}\n");

            tracker.cleanUpRepository();

            MLflowReader reader = new MLflowReader(TestMLflowServer.url());
            assertEquals("deleted", reader.run(killed).path("info").path("lifecycle_stage").asText());
            assertEquals("deleted", reader.run(replayed).path("info").path("lifecycle_stage").asText());
            assertEquals("active", reader.run(pending).path("info").path("lifecycle_stage").asText());
            assertEquals("active", reader.run(tracker.runId()).path("info").path("lifecycle_stage").asText());
            assertTrue(warnings.toString(StandardCharsets.UTF_8).contains("clean-up keeps run " + pending
                    + ": its end is still pending in " + spool.toAbsolutePath()), warnings.toString());
        }
    }

    @Test
    void anUnreadableSpoolKeepsTheRunsAndCleanUpReportsIt(@TempDir Path directory) throws Exception {
        Path spool = Files.createDirectories(directory.resolve("spool"));
        Files.writeString(spool.resolve("broken.jsonl"), "{\"spool\": \"mlpipelines-spool/1\"}\nnot json\n");
        MLflowRestClient client = TestMLflowServer.client();
        try (MLflowTracker tracker = tracker(TestMLflowServer.url().toString(), spool, Set.of(RunStatus.KILLED))) {
            tracker.startNewRun();
            String experimentId = tracker.getPythonParams().get("mlflow_experiment_id");
            String killed = endedRun(client, experimentId, "unconfirmed", "KILLED");

            TrackingException error = assertThrows(TrackingException.class, tracker::cleanUpRepository);

            assertTrue(error.getMessage().startsWith("clean-up deleted none of the 1 candidate run(s)")
                    && error.getMessage().contains("broken.jsonl:2: not a JSON line"), error.getMessage());
            assertEquals("active", new MLflowReader(TestMLflowServer.url()).run(killed).path("info")
                    .path("lifecycle_stage").asText());
        }
    }

    @Test
    void theReplayCommandIsQuotedForTheShellWhenThePathNeedsIt() {
        assertEquals("mlpipelines replay /tmp/spool", MLflowTracker.replayCommand(Path.of("/tmp/spool")));
        assertEquals("mlpipelines replay '/tmp/my spool/it'\\''s'",
                MLflowTracker.replayCommand(Path.of("/tmp/my spool/it's")));
    }

    private static String endedRun(MLflowRestClient client, String experimentId, String name, String status) {
        String id = client.createRun(experimentId, name, System.currentTimeMillis(), Map.of()).id();
        client.updateRun(id, status, System.currentTimeMillis());
        return id;
    }

    private static Path onlySpoolFile(Path spool) throws IOException {
        try (Stream<Path> files = Files.list(spool)) {
            List<Path> found = files.toList();
            assertEquals(1, found.size(), found.toString());
            return found.get(0);
        }
    }

    private record Replay(int exitCode, String output) {
    }

    /** The real Python replay, {@code python -m mlpipelines.tracking.replay DIR}, within two minutes. */
    private static Replay replay(Path spool) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(PythonEnvironment.interpreter(), "-m", "mlpipelines.tracking.replay",
                spool.toString()).redirectErrorStream(true).start();
        process.getOutputStream().close();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("replay of " + spool + " did not end within 120 s");
        }
        return new Replay(process.exitValue(), new String(process.getInputStream().readAllBytes(),
                StandardCharsets.UTF_8));
    }
}
