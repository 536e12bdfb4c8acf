package de.monticore.mlpipelines.tracking.backend.mlflow.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.backend.mlflow.Credentials;
import de.monticore.mlpipelines.tracking.backend.mlflow.MLflowReader;
import de.monticore.mlpipelines.tracking.backend.mlflow.TestMLflowServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The REST client. Retries and error answers that a healthy MLflow server cannot be made to give on
 * demand (503, 429) come from a small scripted HTTP server of the JDK; everything else runs against
 * the real MLflow server.
 */
class MLflowRestClientTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final RetryPolicy FAST = new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(50));

    private HttpServer scripted;
    private final ConcurrentLinkedQueue<Map<String, String>> requests = new ConcurrentLinkedQueue<>();

    /** Answers requests in order with the given (status, body) pairs, recording each request. */
    private URI scriptedServer(List<Object[]> answers) throws IOException {
        scripted = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        List<Object[]> remaining = Collections.synchronizedList(new ArrayList<>(answers));
        scripted.createContext("/", exchange -> {
            Map<String, String> request = new LinkedHashMap<>();
            request.put("path", exchange.getRequestURI().toString());
            request.put("authorization", String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            request.put("body", new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            requests.add(request);
            Object[] answer = remaining.size() > 1 ? remaining.remove(0) : remaining.get(0);
            byte[] body = ((String) answer[1]).getBytes(StandardCharsets.UTF_8);
            if ((int) answer[0] == 429) {
                exchange.getResponseHeaders().add("Retry-After", "0");
            }
            exchange.sendResponseHeaders((int) answer[0], body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        scripted.start();
        return URI.create("http://127.0.0.1:" + scripted.getAddress().getPort());
    }

    @AfterEach
    void stopScriptedServer() {
        if (scripted != null) {
            scripted.stop(0);
        }
    }

    private static MLflowRestClient client(URI url, Credentials credentials, RetryPolicy retries) {
        return new MLflowRestClient(url, credentials, retries, Duration.ofSeconds(2), Duration.ofSeconds(10));
    }

    private static final String RUN = "{\"run\":{\"info\":{\"run_id\":\"r1\",\"experiment_id\":\"3\",\"run_name\":\"Run 1\","
            + "\"status\":\"RUNNING\",\"start_time\":5,\"artifact_uri\":\"mlflow-artifacts:/3/r1/artifacts\"}}}";

    @Test
    void retriesServiceUnavailableAndTooManyRequests() throws Exception {
        URI url = scriptedServer(List.of(new Object[]{503, "busy"}, new Object[]{429, "slow down"},
                new Object[]{200, RUN}));
        MLflowRun run = client(url, Credentials.NONE, FAST).getRun("r1");
        assertEquals(new MLflowRun("r1", "3", "Run 1", "RUNNING", 5, 0, "mlflow-artifacts:/3/r1/artifacts", Map.of()),
                run);
        assertEquals(3, requests.size());
    }

    @Test
    void givesUpOnServerErrorsAfterTheLastAttempt() throws Exception {
        URI url = scriptedServer(List.<Object[]>of(new Object[]{500, "{\"error_code\":\"INTERNAL_ERROR\",\"message\":\"db locked\"}"}));
        MLflowRequestException error = assertThrows(MLflowRequestException.class,
                () -> client(url, Credentials.NONE, FAST).getRun("r1"));
        assertEquals("MLflow: could not read run r1 (GET " + url + "/api/2.0/mlflow/runs/get?run_id=r1): HTTP 500 after "
                + "3 attempt(s): INTERNAL_ERROR: db locked", error.getMessage());
        assertEquals(500, error.statusCode());
        assertEquals(3, requests.size());
    }

    @Test
    void doesNotRetryOtherClientErrors() throws Exception {
        URI url = scriptedServer(List.<Object[]>of(new Object[]{404,
                "{\"error_code\":\"RESOURCE_DOES_NOT_EXIST\",\"message\":\"Run 'r9' not found\"}"}));
        MLflowRequestException error = assertThrows(MLflowRequestException.class,
                () -> client(url, Credentials.NONE, FAST).getRun("r9"));
        assertEquals("MLflow: could not read run r9 (GET " + url + "/api/2.0/mlflow/runs/get?run_id=r9): HTTP 404: "
                + "RESOURCE_DOES_NOT_EXIST: Run 'r9' not found", error.getMessage());
        assertTrue(error.hasErrorCode("RESOURCE_DOES_NOT_EXIST"));
        assertEquals(1, requests.size());
    }

    @Test
    void sendsTheTokenAsBearerButNeverShowsIt() throws Exception {
        String token = "secret-token-4711";
        // A server that echoes the credential back must not get it into our message either.
        URI url = scriptedServer(List.<Object[]>of(new Object[]{401, "bad token " + token}));
        Credentials credentials = Credentials.fromEnvironment(Map.of("MLFLOW_TRACKING_TOKEN", token));
        MLflowRequestException error = assertThrows(MLflowRequestException.class,
                () -> client(url, credentials, FAST).getRun("r1"));
        assertEquals("Bearer " + token, requests.peek().get("authorization"));
        assertEquals("MLflow: could not read run r1 (GET " + url + "/api/2.0/mlflow/runs/get?run_id=r1): HTTP 401: "
                + "bad token ********", error.getMessage());
        assertFalse(credentials.toString().contains(token));
    }

    @Test
    void sendsUserAndPasswordAsBasicAuth() throws Exception {
        URI url = scriptedServer(List.<Object[]>of(new Object[]{200, RUN}));
        Credentials credentials = Credentials.fromEnvironment(
                Map.of("MLFLOW_TRACKING_USERNAME", "ada", "MLFLOW_TRACKING_PASSWORD", "pass-word"));
        client(url, credentials, FAST).getRun("r1");
        assertEquals("Basic " + Base64.getEncoder().encodeToString("ada:pass-word".getBytes(StandardCharsets.UTF_8)),
                requests.peek().get("authorization"));
        IllegalArgumentException half = assertThrows(IllegalArgumentException.class,
                () -> Credentials.fromEnvironment(Map.of("MLFLOW_TRACKING_USERNAME", "ada")));
        assertEquals("MLFLOW_TRACKING_PASSWORD is not set, but MLFLOW_TRACKING_USERNAME is; MLflow basic "
                + "authentication needs both", half.getMessage());
    }

    @Test
    void logBatchSplitsToMlflowsLimits() throws Exception {
        URI url = scriptedServer(List.<Object[]>of(new Object[]{200, "{}"}));
        Map<String, String> params = numbered("p", 250);
        Map<String, String> tags = numbered("t", 150);
        List<MLflowMetric> metrics = metrics(2500);
        client(url, Credentials.NONE, FAST).logBatch("r1", params, tags, metrics);

        int paramCount = 0;
        int tagCount = 0;
        int metricCount = 0;
        for (Map<String, String> request : requests) {
            JsonNode body = JSON.readTree(request.get("body"));
            int p = body.path("params").size();
            int t = body.path("tags").size();
            int m = body.path("metrics").size();
            assertTrue(p <= 100 && t <= 100 && m <= 1000 && p + t + m <= 1000, request.get("path") + ": " + p + "/" + t + "/" + m);
            paramCount += p;
            tagCount += t;
            metricCount += m;
        }
        assertEquals(List.of(250, 150, 2500), List.of(paramCount, tagCount, metricCount));
        assertEquals(3, requests.size(), "100+100+800, 100+50+850, 50+0+850");
    }

    @Test
    void logBatchArrivesCompleteAtARealServer() {
        MLflowRestClient client = TestMLflowServer.client();
        String experimentId = client.createExperiment("batch-" + java.util.UUID.randomUUID());
        MLflowRun run = client.createRun(experimentId, "batch", System.currentTimeMillis(), Map.of());
        client.logBatch(run.id(), numbered("p", 250), numbered("t", 150), metrics(2500));

        MLflowReader reader = new MLflowReader(TestMLflowServer.url());
        assertEquals(numbered("p", 250), reader.params(run.id()));
        Map<String, String> tags = reader.tags(run.id());
        numbered("t", 150).forEach((key, value) -> assertEquals(value, tags.get(key)));
        List<JsonNode> history = reader.metricHistory(run.id(), "m");
        assertEquals(2500, history.size());
        history.forEach(value -> assertEquals(value.path("step").asLong() / 2.0, value.path("value").asDouble()));
    }

    @Test
    void mapsRunArtifactRootsToTheArtifactProxy() {
        MLflowRestClient client = client(URI.create("http://127.0.0.1:5000/"), Credentials.NONE, FAST);
        assertEquals(URI.create("http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/3/abc/artifacts/a%20b/c.txt"),
                client.artifactUrl("mlflow-artifacts:/3/abc/artifacts", "a b/c.txt"));
        assertEquals(URI.create("http://other:5001/api/2.0/mlflow-artifacts/artifacts/3/abc/artifacts/x.txt"),
                client.artifactUrl("mlflow-artifacts://other:5001/3/abc/artifacts", "x.txt"));
        assertEquals(URI.create("http://h:1/api/2.0/mlflow-artifacts/artifacts/3/r/artifacts/x.txt"),
                client.artifactUrl("http://h:1/api/2.0/mlflow-artifacts/artifacts/3/r/artifacts/", "x.txt"));
        MLflowRestClient prefixed = client(URI.create("https://host/mlflow"), Credentials.NONE, FAST);
        assertEquals(URI.create("https://host/mlflow/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/d/x.txt"),
                prefixed.artifactUrl("mlflow-artifacts:/1/r/artifacts", "d/x.txt"));
        TrackingException s3 = assertThrows(TrackingException.class, () -> client.artifactUrl("s3://bucket/1/r", "x"));
        assertTrue(s3.getMessage().startsWith("the run's artifact location 's3://bucket/1/r' is not served by the "
                + "MLflow server's artifact proxy"), s3.getMessage());
    }

    @Test
    void refusesUrlsThatAreNotHttpOrCarryCredentials() {
        TrackingException ftp = assertThrows(TrackingException.class,
                () -> client(URI.create("ftp://host"), Credentials.NONE, FAST));
        assertEquals("MLflow server URL 'ftp://host' is not an http(s)://host[:port] URL", ftp.getMessage());
        TrackingException userInfo = assertThrows(TrackingException.class,
                () -> client(URI.create("http://ada:hunter22@host:5000"), Credentials.NONE, FAST));
        assertFalse(userInfo.getMessage().contains("hunter22"), userInfo.getMessage());
    }

    private static Map<String, String> numbered(String prefix, int count) {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            values.put(prefix + i, "value " + i);
        }
        return values;
    }

    private static List<MLflowMetric> metrics(int count) {
        List<MLflowMetric> metrics = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            metrics.add(new MLflowMetric("m", i / 2.0, 1_700_000_000_000L + i, i));
        }
        return metrics;
    }
}
