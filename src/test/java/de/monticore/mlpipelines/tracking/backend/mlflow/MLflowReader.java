package de.monticore.mlpipelines.tracking.backend.mlflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads what a test wrote straight from MLflow's REST API with plain {@code java.net.http}, independent of
 * the client under test.
 */
public final class MLflowReader {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI server;
    private final HttpClient http = HttpClient.newHttpClient();

    public MLflowReader(URI server) {
        this.server = server;
    }

    /** {@code GET runs/get}: the run as JSON ({@code info}, {@code data}). */
    public JsonNode run(String runId) {
        return get("/api/2.0/mlflow/runs/get?run_id=" + encode(runId)).path("run");
    }

    /** The run's params, key to value. */
    public Map<String, String> params(String runId) {
        return keyValues(run(runId).path("data").path("params"));
    }

    /** The run's tags, key to value. */
    public Map<String, String> tags(String runId) {
        return keyValues(run(runId).path("data").path("tags"));
    }

    /** {@code GET metrics/get-history}: every value of the metric (key, value, timestamp, step). */
    public List<JsonNode> metricHistory(String runId, String key) {
        List<JsonNode> values = new ArrayList<>();
        get("/api/2.0/mlflow/metrics/get-history?run_id=" + encode(runId) + "&metric_key=" + encode(key))
                .path("metrics").forEach(values::add);
        return values;
    }

    /** The bytes of an artifact of the run, through the artifact proxy. */
    public byte[] artifact(String runId, String path) {
        String root = run(runId).path("info").path("artifact_uri").asText();
        String relative = root.replaceFirst("^mlflow-artifacts:/+", "");
        return send(server + "/api/2.0/mlflow-artifacts/artifacts/" + relative + "/" + path).body();
    }

    /** The experiment with the name (JSON), or a missing node. */
    public JsonNode experimentByName(String name) {
        HttpResponse<byte[]> response = send(server + "/api/2.0/mlflow/experiments/get-by-name?experiment_name="
                + encode(name));
        return response.statusCode() == 404 ? JSON.missingNode() : parse(response).path("experiment");
    }

    /** Every run of the experiment (ACTIVE_ONLY or ALL), across all pages. */
    public List<JsonNode> runs(String experimentId, String viewType) {
        List<JsonNode> runs = new ArrayList<>();
        String token = null;
        do {
            String body = "{\"experiment_ids\":[\"" + experimentId + "\"],\"run_view_type\":\"" + viewType
                    + "\",\"max_results\":1000" + (token == null ? "" : ",\"page_token\":\"" + token + "\"") + "}";
            JsonNode answer = parse(send(HttpRequest.newBuilder(URI.create(server + "/api/2.0/mlflow/runs/search"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body))
                    .build()));
            answer.path("runs").forEach(runs::add);
            token = answer.path("next_page_token").asText(null);
        } while (token != null && !token.isEmpty());
        return runs;
    }

    private JsonNode get(String pathAndQuery) {
        return parse(send(server + pathAndQuery));
    }

    private HttpResponse<byte[]> send(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).GET().build());
    }

    private HttpResponse<byte[]> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("reading " + request.uri() + " failed", e);
        }
    }

    private static JsonNode parse(HttpResponse<byte[]> response) {
        if (response.statusCode() != 200) {
            throw new IllegalStateException(response.uri() + " answered " + response.statusCode() + ": "
                    + new String(response.body(), StandardCharsets.UTF_8));
        }
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> keyValues(JsonNode array) {
        Map<String, String> result = new LinkedHashMap<>();
        array.forEach(entry -> result.put(entry.path("key").asText(), entry.path("value").asText()));
        return result;
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
