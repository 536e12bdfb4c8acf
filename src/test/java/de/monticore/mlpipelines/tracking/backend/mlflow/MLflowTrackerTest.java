package de.monticore.mlpipelines.tracking.backend.mlflow;

import com.fasterxml.jackson.databind.JsonNode;
import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRestClient;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRun;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.RetryPolicy;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MLflowTracker against a real MLflow server on 127.0.0.1, read back through MLflow's REST API. */
class MLflowTrackerTest {
    private static MLflowReader reader;

    private final ByteArrayOutputStream warnings = new ByteArrayOutputStream();

    @BeforeAll
    static void startServer() {
        reader = new MLflowReader(TestMLflowServer.url());
    }

    private MLflowTracker tracker(String experiment, Set<RunStatus> cleanUp) {
        return new MLflowTracker(new MLflowConfig(experiment, TestMLflowServer.url().toString(), cleanUp),
                MLflowOptions.defaults().withEnvironment(Map.of())
                        .withWarnings(new PrintStream(warnings, true, StandardCharsets.UTF_8)));
    }

    private static String uniqueExperiment() {
        return "test-" + UUID.randomUUID();
    }

    @Test
    void logsParamsTagsMetricsAndEndsTheRun() {
        try (MLflowTracker tracker = tracker(uniqueExperiment(), Set.of())) {
            tracker.startNewRun();
            Map<String, String> params = new LinkedHashMap<>();
            for (int i = 0; i < 150; i++) {
                params.put("p" + i, "value " + i);
            }
            params.put("text", "spaces, 'quotes', \"double\", ümlaut, 日本");
            tracker.logParams(params);
            tracker.logParam("lr", "0.1");
            tracker.logTag("team", "vision");
            tracker.logMetric("loss", 0.5, 1_700_000_000_000L, 0);
            tracker.logMetric("loss", 0.25, 1_700_000_000_500L, 1);
            tracker.logMetric("loss", Double.NaN, 1_700_000_001_000L, 2);
            tracker.endRun(RunStatus.FINISHED);

            String runId = tracker.runId();
            Map<String, String> stored = reader.params(runId);
            assertEquals(152, stored.size());
            params.forEach((key, value) -> assertEquals(value, stored.get(key), key));
            assertEquals("0.1", stored.get("lr"));
            Map<String, String> tags = reader.tags(runId);
            assertEquals("vision", tags.get("team"));
            assertEquals("Run 1", tags.get("mlflow.runName"));

            List<JsonNode> loss = reader.metricHistory(runId, "loss");
            loss.sort((a, b) -> Long.compare(a.path("step").asLong(), b.path("step").asLong()));
            assertEquals(3, loss.size());
            assertEquals(0.5, loss.get(0).path("value").asDouble());
            assertEquals(1_700_000_000_000L, loss.get(0).path("timestamp").asLong());
            assertEquals(0.25, loss.get(1).path("value").asDouble());
            assertEquals(1, loss.get(1).path("step").asLong());
            assertEquals(1_700_000_000_500L, loss.get(1).path("timestamp").asLong());
            assertEquals("NaN", loss.get(2).path("value").asText());

            JsonNode info = reader.run(runId).path("info");
            assertEquals("FINISHED", info.path("status").asText());
            long start = info.path("start_time").asLong();
            long end = info.path("end_time").asLong();
            assertTrue(end >= start && start > 0, "end time " + end + " after start " + start);
        }
    }

    @Test
    void runNamesCountUpAndIgnoreRunsNamedOtherwise() {
        String experiment = uniqueExperiment();
        try (MLflowTracker tracker = tracker(experiment, Set.of())) {
            tracker.startNewRun();
            assertEquals("Run 1", tracker.runName());
            String experimentId = tracker.getPythonParams().get("mlflow_experiment_id");
            MLflowRestClient client = TestMLflowServer.client();
            client.createRun(experimentId, "baseline by hand", System.currentTimeMillis(), Map.of());
            client.createRun(experimentId, "Run x", System.currentTimeMillis(), Map.of());
            client.createRun(experimentId, "Run 7", System.currentTimeMillis(), Map.of());
            tracker.startNewRun();
            assertEquals("Run 8", tracker.runName());
            tracker.startNewRun();
            assertEquals("Run 9", tracker.runName());
            tracker.endRun(RunStatus.FINISHED);
        }
    }

    @Test
    void eightConcurrentStartNewRunGetDistinctNamesInOneExperiment() throws Exception {
        String experiment = uniqueExperiment();
        int pipelines = 8;
        CyclicBarrier together = new CyclicBarrier(pipelines);
        ExecutorService pool = Executors.newFixedThreadPool(pipelines);
        List<Future<String[]>> results = new ArrayList<>();
        for (int i = 0; i < pipelines; i++) {
            results.add(pool.submit(() -> {
                try (MLflowTracker tracker = tracker(experiment, Set.of())) {
                    together.await();
                    tracker.startNewRun();
                    tracker.endRun(RunStatus.FINISHED);
                    return new String[]{tracker.runName(), tracker.getPythonParams().get("mlflow_experiment_id")};
                }
            }));
        }
        Set<String> names = new HashSet<>();
        Set<String> experimentIds = new HashSet<>();
        for (Future<String[]> result : results) {
            String[] nameAndExperiment = result.get();
            names.add(nameAndExperiment[0]);
            experimentIds.add(nameAndExperiment[1]);
        }
        pool.shutdown();
        assertEquals(Set.of("Run 1", "Run 2", "Run 3", "Run 4", "Run 5", "Run 6", "Run 7", "Run 8"), names);
        assertEquals(1, experimentIds.size());
        String experimentId = experimentIds.iterator().next();
        assertEquals(experimentId, reader.experimentByName(experiment).path("experiment_id").asText());
        List<JsonNode> runs = reader.runs(experimentId, "ALL");
        Set<String> storedNames = new HashSet<>();
        runs.forEach(run -> storedNames.add(run.path("info").path("run_name").asText()));
        assertEquals(8, runs.size());
        assertEquals(names, storedNames);
    }

    @Test
    void threadsAndSeparateProcessesStartingRunsAtOnceGetDistinctNames(@TempDir Path directory) throws Exception {
        String experiment = uniqueExperiment();
        Path go = directory.resolve("go");
        List<Process> probes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            probes.add(MLflowProbe.start("run", TestMLflowServer.url().toString(), experiment, go.toString()));
        }
        for (Process probe : probes) {
            assertEquals("ready=true", MLflowProbe.firstLine(probe));
        }
        CyclicBarrier together = new CyclicBarrier(5);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<String>> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            threads.add(pool.submit(() -> {
                try (MLflowTracker tracker = tracker(experiment, Set.of())) {
                    tracker.getPythonParams();
                    together.await();
                    tracker.startNewRun();
                    tracker.endRun(RunStatus.FINISHED);
                    return tracker.runName();
                }
            }));
        }
        together.await();
        Files.writeString(go, "");
        List<String> names = new ArrayList<>();
        for (Future<String> thread : threads) {
            names.add(thread.get());
        }
        pool.shutdown();
        for (Process probe : probes) {
            List<String> lines = MLflowProbe.output(probe);
            assertEquals(1, lines.size(), lines.toString());
            names.add(lines.get(0).replaceFirst("^name=", ""));
        }
        assertEquals(Set.of("Run 1", "Run 2", "Run 3", "Run 4", "Run 5", "Run 6", "Run 7", "Run 8"), Set.copyOf(names),
                names.toString());
    }

    @Test
    void aParamLongerThanMlflowAllowsIsTruncatedAndKeptInFullAsArtifact() {
        String longValue = "abcdefghij".repeat(700);
        try (MLflowTracker tracker = tracker(uniqueExperiment(), Set.of())) {
            tracker.startNewRun();
            tracker.logParam("model/config", longValue);
            tracker.logParam("model/config", longValue);

            String stored = reader.params(tracker.runId()).get("model/config");
            assertEquals(MLflowTracker.MAX_PARAM_VALUE_LENGTH, stored.length());
            String marker = "… [truncated: 7000 characters, full value in artifact long_params/model_config.txt]";
            assertTrue(stored.endsWith(marker), stored.substring(5900));
            assertTrue(longValue.startsWith(stored.substring(0, stored.length() - marker.length())));
            assertEquals(longValue, new String(reader.artifact(tracker.runId(), "long_params/model_config.txt"),
                    StandardCharsets.UTF_8));
            assertTrue(warnings.toString(StandardCharsets.UTF_8).contains("param 'model/config' has 7000 characters"));
        }
    }

    @Test
    void reloggingAParamWithTheSameValueIsHarmlessButAnotherValueIsRefused() {
        try (MLflowTracker tracker = tracker(uniqueExperiment(), Set.of())) {
            tracker.startNewRun();
            tracker.logParam("epochs", "10");
            tracker.logParams(Map.of("epochs", "10", "batch", "32"));
            assertEquals(Map.of("epochs", "10", "batch", "32"), reader.params(tracker.runId()));

            TrackingException error = assertThrows(TrackingException.class, () -> tracker.logParam("epochs", "20"));
            assertTrue(error.getMessage().contains("could not log 1 params"), error.getMessage());
            assertTrue(error.getMessage().contains("HTTP 400: INVALID_PARAMETER_VALUE: Changing param values is not allowed"), error.getMessage());
            assertEquals("10", reader.params(tracker.runId()).get("epochs"));
        }
    }

    @Test
    void logsFilesDirectoriesAndTextAsArtifacts(@TempDir Path directory) throws Exception {
        Path file = Files.writeString(directory.resolve("model summary.txt"), "layers: 3\n");
        Path plots = Files.createDirectories(directory.resolve("plots"));
        Files.writeString(plots.resolve("loss.csv"), "step,loss\n0,0.5\n");
        Files.createDirectories(plots.resolve("deep/er"));
        Files.write(plots.resolve("deep/er/weights.bin"), new byte[]{0, 1, 2, (byte) 255});
        try (MLflowTracker tracker = tracker(uniqueExperiment(), Set.of())) {
            tracker.startNewRun();
            tracker.logArtifact(file.toFile(), null);
            tracker.logArtifact(plots.toFile(), "results");
            tracker.logText("hello ✓", "notes/readme.md");

            String runId = tracker.runId();
            assertEquals("layers: 3\n", new String(reader.artifact(runId, "model%20summary.txt"), StandardCharsets.UTF_8));
            assertEquals("step,loss\n0,0.5\n",
                    new String(reader.artifact(runId, "results/plots/loss.csv"), StandardCharsets.UTF_8));
            assertEquals(List.of((byte) 0, (byte) 1, (byte) 2, (byte) 255),
                    toList(reader.artifact(runId, "results/plots/deep/er/weights.bin")));
            assertEquals("hello ✓", new String(reader.artifact(runId, "notes/readme.md"), StandardCharsets.UTF_8));
        }
    }

    @Test
    void badArtifactInputGetsClearErrors(@TempDir Path directory) {
        try (MLflowTracker tracker = tracker(uniqueExperiment(), Set.of())) {
            tracker.startNewRun();
            File missing = directory.resolve("missing.txt").toFile();
            TrackingException noFile = assertThrows(TrackingException.class, () -> tracker.logArtifact(missing, null));
            assertTrue(noFile.getMessage().contains(missing + " to MLflow run " + tracker.runId()
                    + ": no such file or directory"), noFile.getMessage());
            TrackingException escape = assertThrows(TrackingException.class,
                    () -> tracker.logArtifact(directory.toFile(), "../outside"));
            assertTrue(escape.getMessage().contains("artifact path '../outside' must be a relative path"),
                    escape.getMessage());
        }
    }

    @Test
    void endRunRejectsAStatusThatDoesNotEndARun() {
        try (MLflowTracker tracker = tracker(uniqueExperiment(), Set.of())) {
            tracker.startNewRun();
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                    () -> tracker.endRun(RunStatus.RUNNING));
            assertEquals("RUNNING does not end a run; expected FINISHED, FAILED or KILLED", error.getMessage());
        }
    }

    @Test
    void closeKillsARunStillRunning() {
        MLflowTracker tracker = tracker(uniqueExperiment(), Set.of());
        tracker.startNewRun();
        String runId = tracker.runId();
        assertEquals("RUNNING", reader.run(runId).path("info").path("status").asText());
        tracker.close();
        tracker.close();
        JsonNode info = reader.run(runId).path("info");
        assertEquals("KILLED", info.path("status").asText());
        assertTrue(info.path("end_time").asLong() >= info.path("start_time").asLong());
    }

    @Test
    void cleanUpDeletesEveryRunInTheConfiguredStatesAcrossAllPages() {
        String experiment = uniqueExperiment();
        MLflowConfig config = new MLflowConfig(experiment, TestMLflowServer.url().toString(),
                Set.of(RunStatus.FAILED, RunStatus.KILLED));
        // Pages of 10: the 25 FAILED runs span three pages, the last one partly filled.
        MLflowOptions options = MLflowOptions.defaults().withEnvironment(Map.of()).withSearchPageSize(10);
        List<String> kept = new ArrayList<>();
        try (MLflowTracker tracker = new MLflowTracker(config, options)) {
            tracker.startNewRun();
            tracker.endRun(RunStatus.FAILED);
            String experimentId = tracker.getPythonParams().get("mlflow_experiment_id");
            // The other 24 matching runs as other pipelines would leave them; the tracker is not under test there.
            MLflowRestClient client = TestMLflowServer.client();
            for (int i = 0; i < 24; i++) {
                MLflowRun other = client.createRun(experimentId, "other " + i, System.currentTimeMillis(), Map.of());
                client.updateRun(other.id(), "FAILED", System.currentTimeMillis());
            }
            for (int i = 0; i < 3; i++) {
                MLflowRun finished = client.createRun(experimentId, "finished " + i, System.currentTimeMillis(), Map.of());
                client.updateRun(finished.id(), "FINISHED", System.currentTimeMillis());
                kept.add(finished.id());
            }
            tracker.startNewRun();
            kept.add(tracker.runId());
            assertEquals(29, reader.runs(experimentId, "ACTIVE_ONLY").size());

            tracker.cleanUpRepository();

            List<String> remaining = new ArrayList<>();
            reader.runs(experimentId, "ACTIVE_ONLY").forEach(run -> remaining.add(run.path("info").path("run_id").asText()));
            assertEquals(Set.copyOf(kept), Set.copyOf(remaining));
            assertEquals(25, reader.runs(experimentId, "DELETED_ONLY").size());
        }
    }

    @Test
    void pythonParamsAndRunUrlNameTheServerExperimentAndRun() {
        String experiment = uniqueExperiment();
        try (MLflowTracker tracker = tracker(experiment, Set.of())) {
            Map<String, String> beforeRun = tracker.getPythonParams();
            assertFalse(beforeRun.containsKey("mlflow_run_id"));
            tracker.startNewRun();
            Map<String, String> params = tracker.getPythonParams();
            String experimentId = reader.experimentByName(experiment).path("experiment_id").asText();
            assertEquals(Map.of("mlflow_tracking_uri", TestMLflowServer.url().toString(),
                    "mlflow_experiment_name", experiment,
                    "mlflow_experiment_id", experimentId,
                    "mlflow_spool_dir", Path.of(MLflowConfig.DEFAULT_SPOOL_DIR).toAbsolutePath().toString(),
                    "mlflow_system_metrics_interval", "0",
                    "mlflow_run_id", tracker.runId()), params);
            String url = TestMLflowServer.url() + "/#/experiments/" + experimentId + "/runs/" + tracker.runId();
            assertEquals(Map.of("MLflow run", url, "MLflow run name", tracker.runName()), tracker.getRunLocations());
        }
    }

    @Test
    void theRunLocationsNameTheSpoolWhenThePythonHalfSpooledThisRun(@TempDir Path directory) throws Exception {
        Path spool = directory.resolve("spool");
        MLflowConfig config = new MLflowConfig(uniqueExperiment(), TestMLflowServer.url().toString(), Set.of(),
                directory.resolve("x/../spool"));
        try (MLflowTracker tracker = new MLflowTracker(config, MLflowOptions.defaults().withEnvironment(Map.of())
                .withWarnings(new PrintStream(warnings, true, StandardCharsets.UTF_8)))) {
            tracker.startNewRun();
            assertEquals(spool.toString(), tracker.getPythonParams().get("mlflow_spool_dir"));
            assertEquals(Set.of("MLflow run", "MLflow run name"), tracker.getRunLocations().keySet(), "no spool directory yet");
            Files.createDirectories(spool);
            // As the Python half names them: <run id>-<pid>-<ms>.jsonl; replay's progress files beside them.
            Files.writeString(spool.resolve("other-run-12-1700000000000.jsonl"), "{}\n");
            Files.writeString(spool.resolve("new-run-12-1700000000000.jsonl"), "{}\n");
            assertEquals(Set.of("MLflow run", "MLflow run name"), tracker.getRunLocations().keySet(), "other runs' spool files");
            Files.writeString(spool.resolve(tracker.runId() + "-4242-1700000000000.jsonl"), "{}\n");
            Files.writeString(spool.resolve(tracker.runId() + "-4242-1700000000000.jsonl.progress"), "{}\n");
            assertEquals(spool + " holds 1 spool file of this run that did not reach MLflow; deliver with: "
                    + "mlpipelines replay " + spool, tracker.getRunLocations().get("MLflow spool"));
        }
    }

    @Test
    void concurrentGetOrCreateOfOneExperimentCreatesItOnce() throws Exception {
        String experiment = uniqueExperiment();
        CyclicBarrier together = new CyclicBarrier(6);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<String>> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ids.add(pool.submit(() -> {
                try (MLflowTracker tracker = tracker(experiment, Set.of())) {
                    together.await();
                    return tracker.getPythonParams().get("mlflow_experiment_id");
                }
            }));
        }
        Set<String> distinct = new HashSet<>();
        for (Future<String> id : ids) {
            distinct.add(id.get());
        }
        pool.shutdown();
        assertEquals(1, distinct.size());
        assertNotEquals("0", distinct.iterator().next(), "nothing may land in the Default experiment");
    }

    @Test
    void experimentsAreTaggedAsModelTrainingSoMlflow3OpensTheRunsTable() {
        String created = uniqueExperiment();
        String untagged = uniqueExperiment();
        MLflowRestClient client = TestMLflowServer.client();
        String untaggedId = client.createExperiment(untagged);
        assertEquals(Map.of(), client.getExperimentByName(untagged).orElseThrow().tags());
        for (String experiment : List.of(created, untagged)) {
            try (MLflowTracker tracker = tracker(experiment, Set.of())) {
                tracker.startNewRun();
                tracker.endRun(RunStatus.FINISHED);
            }
            assertEquals("custom_model_development", client.getExperimentByName(experiment).orElseThrow().tags()
                    .get("mlflow.experimentKind"), experiment);
        }
        assertEquals(untaggedId, client.getExperimentByName(untagged).orElseThrow().id());
    }

    @Test
    void aDeletedExperimentGetsAClearError() {
        String experiment = uniqueExperiment();
        MLflowRestClient client = TestMLflowServer.client();
        String id = client.createExperiment(experiment);
        deleteExperiment(id);
        try (MLflowTracker tracker = tracker(experiment, Set.of())) {
            TrackingException error = assertThrows(TrackingException.class, tracker::startNewRun);
            assertTrue(error.getMessage().contains("MLflow experiment '" + experiment + "' (id " + id + ")"),
                    error.getMessage());
            assertTrue(error.getMessage().contains("is deleted; restore it"), error.getMessage());
        }
    }

    @Test
    void anUnreachableServerGivesAClearErrorInBoundedTime() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port;
        MLflowOptions options = MLflowOptions.defaults().withEnvironment(Map.of())
                .withRetries(new RetryPolicy(3, Duration.ofMillis(100), Duration.ofMillis(400)), Duration.ofSeconds(2));
        try (MLflowTracker tracker = new MLflowTracker(new MLflowConfig("unreachable", url, Set.of()), options)) {
            // A guard against hanging, not a speed test: three attempts of a refused connection.
            TrackingException error = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> assertThrows(TrackingException.class, tracker::startNewRun));
            assertEquals("MLflow: could not look up experiment 'unreachable' (GET " + url
                    + "/api/2.0/mlflow/experiments/get-by-name?experiment_name=unreachable): no answer after 3 "
                    + "attempt(s): connection refused or unreachable", error.getMessage());
        }
    }

    @Test
    void credentialsNeverAppearInOutputErrorsOrPythonParams() throws Exception {
        String token = "tok-" + UUID.randomUUID();
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
        List<String> messages = new ArrayList<>();
        System.setOut(capture);
        System.setErr(capture);
        try {
            MLflowOptions options = MLflowOptions.defaults().withEnvironment(Map.of("MLFLOW_TRACKING_TOKEN", token))
                    .withWarnings(capture)
                    .withRetries(new RetryPolicy(2, Duration.ofMillis(50), Duration.ofMillis(50)), Duration.ofSeconds(2));
            try (MLflowTracker tracker = new MLflowTracker(new MLflowConfig(uniqueExperiment(),
                    TestMLflowServer.url().toString(), Set.of()), options)) {
                tracker.startNewRun();
                tracker.logParam("p", "1");
                tracker.logParam("long", "x".repeat(7000));
                tracker.logMetric("m", Double.POSITIVE_INFINITY, System.currentTimeMillis(), 0);
                messages.add(assertThrows(TrackingException.class, () -> tracker.logParam("p", "2")).getMessage());
                messages.addAll(tracker.getPythonParams().values());
                messages.addAll(tracker.getRunLocations().values());
            }
            String deadUrl;
            try (ServerSocket socket = new ServerSocket(0)) {
                deadUrl = "http://127.0.0.1:" + socket.getLocalPort();
            }
            try (MLflowTracker dead = new MLflowTracker(new MLflowConfig("x", deadUrl, Set.of()), options)) {
                messages.add(assertThrows(TrackingException.class, dead::startNewRun).getMessage());
            }
            String userInfoUrl = "http://user:" + token + "@127.0.0.1:1";
            try (MLflowTracker withUserInfo = new MLflowTracker(new MLflowConfig("x", userInfoUrl, Set.of()), options)) {
                messages.add(assertThrows(TrackingException.class, withUserInfo::startNewRun).getMessage());
            }
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
        String output = captured.toString(StandardCharsets.UTF_8);
        assertTrue(output.contains("metric 'm' is Infinity"), output);
        // 1 refusal, 6 Python params (with mlflow_system_metrics_interval), 2 locations (URL, run name), 2 errors.
        assertEquals(11, messages.size(), messages.toString());
        for (String text : messages) {
            assertFalse(text.contains(token), text);
        }
        assertFalse(output.contains(token));
        assertTrue(messages.get(messages.size() - 1).contains("contains credentials; put them in"),
                messages.get(messages.size() - 1));
    }

    private static void deleteExperiment(String id) {
        try {
            java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(TestMLflowServer.url()
                                    + "/api/2.0/mlflow/experiments/delete"))
                            .header("Content-Type", "application/json")
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"experiment_id\":\"" + id + "\"}"))
                            .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
        } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Byte> toList(byte[] bytes) {
        List<Byte> list = new ArrayList<>();
        for (byte b : bytes) {
            list.add(b);
        }
        return list;
    }
}
