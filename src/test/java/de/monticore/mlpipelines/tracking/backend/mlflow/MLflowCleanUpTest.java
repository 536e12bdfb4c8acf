package de.monticore.mlpipelines.tracking.backend.mlflow;

import com.fasterxml.jackson.databind.JsonNode;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRestClient;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clean-up's two ways of deleting runs, each against a real server: the local store's server (started
 * by the keeper with the {@code mlpipelines} app plugin) deletes many runs per request; a plain
 * {@code mlflow server} has no such route, and the runs are deleted one per request.
 */
class MLflowCleanUpTest {
    private final ByteArrayOutputStream warnings = new ByteArrayOutputStream();

    @Test
    void theLocalStoresServerDeletesManyRunsInOneRequestAndNamesTheRunsItCannotDelete() {
        MLflowRestClient client = TestMLflowServer.client();
        String experimentId = client.createExperiment("clean-up-" + UUID.randomUUID());
        List<String> runIds = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            runIds.add(client.createRun(experimentId, "failed " + i, System.currentTimeMillis(), Map.of()).id());
        }
        List<String> request = new ArrayList<>(runIds);
        request.add(2, "no-such-run");

        Optional<Map<String, String>> failures = client.deleteRuns(request);

        assertTrue(failures.isPresent(), "the keeper serves the local store with the mlpipelines app plugin");
        assertEquals(Set.of("no-such-run"), failures.get().keySet());
        assertTrue(failures.get().get("no-such-run").contains("not found"), failures.get().toString());
        MLflowReader reader = new MLflowReader(TestMLflowServer.url());
        assertEquals(Set.copyOf(runIds), ids(reader.runs(experimentId, "DELETED_ONLY")));
        assertEquals(Set.of(), ids(reader.runs(experimentId, "ACTIVE_ONLY")));
    }

    @Test
    void onAPlainMlflowServerCleanUpDeletesRunByRun(@TempDir Path directory) throws Exception {
        try (RestartableMLflowServer server = new RestartableMLflowServer(directory)) {
            server.start();
            MLflowRestClient client = server.client();
            String experiment = "clean-up-" + UUID.randomUUID();
            assertEquals(Optional.empty(), client.deleteRuns(List.of("any")), "a plain server has no such route");
            MLflowConfig config = new MLflowConfig(experiment, server.url().toString(), Set.of(RunStatus.FAILED));
            try (MLflowTracker tracker = new MLflowTracker(config, MLflowOptions.defaults().withEnvironment(Map.of())
                    .withWarnings(new PrintStream(warnings, true, StandardCharsets.UTF_8)))) {
                String experimentId = tracker.getPythonParams().get("mlflow_experiment_id");
                List<String> failed = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    String runId = client.createRun(experimentId, "failed " + i, System.currentTimeMillis(), Map.of())
                            .id();
                    client.updateRun(runId, "FAILED", System.currentTimeMillis());
                    failed.add(runId);
                }
                String finished = client.createRun(experimentId, "finished", System.currentTimeMillis(), Map.of()).id();
                client.updateRun(finished, "FINISHED", System.currentTimeMillis());

                tracker.cleanUpRepository();

                MLflowReader reader = new MLflowReader(server.url());
                assertEquals(Set.copyOf(failed), ids(reader.runs(experimentId, "DELETED_ONLY")));
                assertEquals(Set.of(finished), ids(reader.runs(experimentId, "ACTIVE_ONLY")));
            }
        }
        assertEquals("", warnings.toString(StandardCharsets.UTF_8), "a missing route is not a failure");
    }

    private static Set<String> ids(List<JsonNode> runs) {
        return runs.stream().map(run -> run.path("info").path("run_id").asText()).collect(Collectors.toSet());
    }
}
