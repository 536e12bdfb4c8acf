package de.monticore.mlpipelines.tracking.backend.mlflow.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * MLflow's REST JSON and our records: request bodies ({@code key}/{@code value} lists, metrics) and
 * answers ({@link MLflowExperiment}, {@link MLflowRun}, {@link RunSearchPage}, error answers), with
 * MLflow's field names in one place.
 */
final class MLflowJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * An MLflow error answer: {@code {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "…"}}.
     *
     * @param errorCode MLflow's error code
     * @param message   the server's explanation
     */
    record ErrorAnswer(String errorCode, String message) {
    }

    private MLflowJson() {
    }

    /** A new, empty request body. */
    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    /** An answer's JSON; an empty answer reads as an empty object. */
    static JsonNode parse(byte[] answer) throws IOException {
        return answer.length == 0 ? JSON.createObjectNode() : JSON.readTree(answer);
    }

    /** The error answer in a body, or empty when the body is not JSON or has no {@code error_code}. */
    static Optional<ErrorAnswer> errorAnswer(byte[] body) {
        try {
            JsonNode error = JSON.readTree(body);
            if (error != null && error.has("error_code")) {
                return Optional.of(new ErrorAnswer(error.path("error_code").asText(), error.path("message").asText()));
            }
        } catch (IOException notJson) {
            // The caller quotes the answer as text.
        }
        return Optional.empty();
    }

    /** {@code [{"key": …, "value": …}, …]} in the map's order. */
    static ArrayNode keyValues(Map<String, String> entries) {
        return keyValues(new ArrayList<>(entries.entrySet()));
    }

    /** {@code [{"key": …, "value": …}, …]} in the list's order. */
    static ArrayNode keyValues(List<Map.Entry<String, String>> entries) {
        ArrayNode array = JSON.createArrayNode();
        entries.forEach(entry -> array.addObject().put("key", entry.getKey()).put("value", entry.getValue()));
        return array;
    }

    /** {@code [{"key", "value", "timestamp", "step"}, …]} in the list's order. */
    static ArrayNode metrics(List<MLflowMetric> metrics) {
        ArrayNode array = JSON.createArrayNode();
        for (MLflowMetric metric : metrics) {
            array.addObject().put("key", metric.key()).put("value", metric.value())
                    .put("timestamp", metric.timestampMillis()).put("step", metric.step());
        }
        return array;
    }

    /** An {@code experiment} object of MLflow's answer. */
    static MLflowExperiment experiment(JsonNode node) {
        Map<String, String> tags = new LinkedHashMap<>();
        node.path("tags").forEach(tag -> tags.put(tag.path("key").asText(), tag.path("value").asText()));
        return new MLflowExperiment(node.path("experiment_id").asText(), node.path("name").asText(),
                node.path("lifecycle_stage").asText("active"), tags);
    }

    /** A {@code run} object of MLflow's answer ({@code info} and {@code data.tags}). */
    static MLflowRun run(JsonNode node) {
        JsonNode info = node.path("info");
        Map<String, String> tags = new LinkedHashMap<>();
        node.path("data").path("tags").forEach(tag -> tags.put(tag.path("key").asText(), tag.path("value").asText()));
        return new MLflowRun(info.path("run_id").asText(), info.path("experiment_id").asText(),
                info.path("run_name").asText(), info.path("status").asText(), info.path("start_time").asLong(),
                info.path("end_time").asLong(0), info.path("artifact_uri").asText(), tags);
    }

    /** A {@code runs/search} answer: its runs and the next page's token (null on the last page). */
    static RunSearchPage runSearchPage(JsonNode answer) {
        List<MLflowRun> runs = new ArrayList<>();
        answer.path("runs").forEach(run -> runs.add(run(run)));
        return new RunSearchPage(runs, answer.path("next_page_token").asText(null));
    }
}
