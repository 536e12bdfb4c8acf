package de.monticore.mlpipelines.tracking.backend.mlflow.rest;

import de.monticore.mlpipelines.tracking.backend.mlflow.Credentials;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.secret.Secrets;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * MLflow's tracking REST API ({@code /api/2.0/mlflow/…}) and its artifact proxy
 * ({@code /api/2.0/mlflow-artifacts/artifacts/…}) over {@code java.net.http}: one method per MLflow
 * call, so that callers read like MLflow's API and not like HTTP. Thread-safe.
 *
 * <p>Requests carry the {@link Credentials} as an Authorization header. Connection errors, HTTP 429
 * and 5xx answers are retried by the {@link RetryPolicy}; other answers are not. Every failure is an
 * {@link MLflowRequestException} saying what was attempted and what the server answered, with
 * credentials masked.
 */
public final class MLflowRestClient {
    /** Most params (and, separately, tags) in one {@code runs/log-batch} request. */
    public static final int MAX_PARAMS_TAGS_PER_BATCH = 100;
    /** Most metrics in one {@code runs/log-batch} request. */
    public static final int MAX_METRICS_PER_BATCH = 1000;
    /** Most params, tags and metrics together in one {@code runs/log-batch} request. */
    public static final int MAX_ENTITIES_PER_BATCH = 1000;

    private static final String API = "/api/2.0/mlflow/";
    private static final String ARTIFACT_ROUTE = "/api/2.0/mlflow-artifacts/artifacts";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI serverUrl;
    private final Credentials credentials;
    private final RetryPolicy retryPolicy;
    private final Duration requestTimeout;
    private final HttpClient http;

    /**
     * A client for the server at {@code serverUrl} ({@code http(s)://host:port[/prefix]}).
     *
     * @param connectTimeout how long to wait for a TCP connection per attempt
     * @param requestTimeout how long to wait for an answer per attempt (artifact uploads get ten times as long)
     * @throws TrackingException if the URL is not http(s) or carries user info (credentials belong in the environment)
     */
    public MLflowRestClient(URI serverUrl, Credentials credentials, RetryPolicy retryPolicy,
                            Duration connectTimeout, Duration requestTimeout) {
        this.serverUrl = checkServerUrl(serverUrl);
        this.credentials = credentials;
        this.retryPolicy = retryPolicy;
        this.requestTimeout = requestTimeout;
        this.http = HttpClient.newBuilder().connectTimeout(connectTimeout).build();
    }

    /** The server's base URL, without a trailing slash. */
    public URI serverUrl() {
        return serverUrl;
    }

    /** The experiment with this name (also a deleted one), or empty if there is none. */
    public Optional<MLflowExperiment> getExperimentByName(String name) {
        try {
            JsonNode answer = send("look up experiment '" + name + "'", "GET",
                    API + "experiments/get-by-name?experiment_name=" + encode(name), null);
            return Optional.of(experiment(answer.path("experiment")));
        } catch (MLflowRequestException e) {
            if (e.hasErrorCode("RESOURCE_DOES_NOT_EXIST")) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * Creates an experiment and returns its id.
     *
     * @throws MLflowRequestException with error code {@code RESOURCE_ALREADY_EXISTS} if the name is taken
     */
    public String createExperiment(String name) {
        ObjectNode body = JSON.createObjectNode().put("name", name);
        return send("create experiment '" + name + "'", "POST", API + "experiments/create", body)
                .path("experiment_id").asText();
    }

    /** Creates a RUNNING run with the given name, start time and tags. */
    public MLflowRun createRun(String experimentId, String runName, long startTimeMillis, Map<String, String> tags) {
        ObjectNode body = JSON.createObjectNode()
                .put("experiment_id", experimentId)
                .put("run_name", runName)
                .put("start_time", startTimeMillis);
        body.set("tags", keyValues(tags));
        return run(send("create run '" + runName + "' in experiment " + experimentId, "POST",
                API + "runs/create", body).path("run"));
    }

    /** The run's current info. */
    public MLflowRun getRun(String runId) {
        return run(send("read run " + runId, "GET", API + "runs/get?run_id=" + encode(runId), null).path("run"));
    }

    /** Gives the run a new name. */
    public void renameRun(String runId, String runName) {
        ObjectNode body = JSON.createObjectNode().put("run_id", runId).put("run_name", runName);
        send("rename run " + runId + " to '" + runName + "'", "POST", API + "runs/update", body);
    }

    /** Sets the run's status and end time. */
    public void updateRun(String runId, String status, long endTimeMillis) {
        ObjectNode body = JSON.createObjectNode().put("run_id", runId).put("status", status)
                .put("end_time", endTimeMillis);
        send("set status " + status + " of run " + runId, "POST", API + "runs/update", body);
    }

    /** Removes a tag from the run. */
    public void deleteTag(String runId, String key) {
        ObjectNode body = JSON.createObjectNode().put("run_id", runId).put("key", key);
        send("delete tag '" + key + "' of run " + runId, "POST", API + "runs/delete-tag", body);
    }

    /** Marks the run as deleted (MLflow keeps it restorable until garbage collection). */
    public void deleteRun(String runId) {
        send("delete run " + runId, "POST", API + "runs/delete", JSON.createObjectNode().put("run_id", runId));
    }

    /**
     * Logs params, tags and metrics with as few {@code runs/log-batch} requests as MLflow's limits
     * allow (100 params, 100 tags, 1000 metrics, 1000 items per request), in the given order.
     */
    public void logBatch(String runId, Map<String, String> params, Map<String, String> tags,
                         List<MLflowMetric> metrics) {
        List<Map.Entry<String, String>> paramList = new ArrayList<>(params.entrySet());
        List<Map.Entry<String, String>> tagList = new ArrayList<>(tags.entrySet());
        int p = 0;
        int t = 0;
        int m = 0;
        while (p < paramList.size() || t < tagList.size() || m < metrics.size()) {
            int paramCount = Math.min(MAX_PARAMS_TAGS_PER_BATCH, paramList.size() - p);
            int tagCount = Math.min(MAX_PARAMS_TAGS_PER_BATCH, tagList.size() - t);
            int metricCount = Math.min(Math.min(MAX_METRICS_PER_BATCH, metrics.size() - m),
                    MAX_ENTITIES_PER_BATCH - paramCount - tagCount);
            ObjectNode body = JSON.createObjectNode().put("run_id", runId);
            body.set("params", keyValues(paramList.subList(p, p + paramCount)));
            body.set("tags", keyValues(tagList.subList(t, t + tagCount)));
            ArrayNode metricArray = body.putArray("metrics");
            for (MLflowMetric metric : metrics.subList(m, m + metricCount)) {
                metricArray.addObject().put("key", metric.key()).put("value", metric.value())
                        .put("timestamp", metric.timestampMillis()).put("step", metric.step());
            }
            send("log " + paramCount + " params, " + tagCount + " tags and " + metricCount + " metrics to run "
                    + runId, "POST", API + "runs/log-batch", body);
            p += paramCount;
            t += tagCount;
            m += metricCount;
        }
    }

    /**
     * One page of runs of the experiments matching an MLflow filter expression.
     *
     * @param filter      e.g. {@code attributes.status = 'FAILED'}; empty for all runs
     * @param viewType    ACTIVE_ONLY, DELETED_ONLY or ALL
     * @param maxResults  page size, 1 to 50000
     * @param pageToken   {@code null} for the first page, else the previous page's token
     */
    public RunSearchPage searchRuns(List<String> experimentIds, String filter, String viewType, int maxResults,
                                    String pageToken) {
        ObjectNode body = JSON.createObjectNode().put("filter", filter).put("run_view_type", viewType)
                .put("max_results", maxResults);
        ArrayNode ids = body.putArray("experiment_ids");
        experimentIds.forEach(ids::add);
        if (pageToken != null) {
            body.put("page_token", pageToken);
        }
        JsonNode answer = send("search runs of experiment(s) " + experimentIds + " with filter \"" + filter + "\"",
                "POST", API + "runs/search", body);
        List<MLflowRun> runs = new ArrayList<>();
        answer.path("runs").forEach(run -> runs.add(run(run)));
        return new RunSearchPage(runs, answer.path("next_page_token").asText(null));
    }

    /**
     * Uploads one file through the server's artifact proxy.
     *
     * @param artifactUri  the run's artifact root ({@link MLflowRun#artifactUri()})
     * @param relativePath where the file goes under that root, {@code /}-separated
     * @throws TrackingException if the run's artifacts are not served by this server's proxy
     */
    public void uploadArtifact(String artifactUri, String relativePath, Path file) {
        URI target = artifactUrl(artifactUri, relativePath);
        HttpRequest.BodyPublisher bodyPublisher;
        try {
            bodyPublisher = HttpRequest.BodyPublishers.ofFile(file);
        } catch (java.io.FileNotFoundException e) {
            throw new TrackingException("cannot upload artifact " + file + ": file not found");
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(target).PUT(bodyPublisher)
                .header("Content-Type", contentType(file)).timeout(requestTimeout.multipliedBy(10));
        execute("upload " + file + " as artifact '" + relativePath + "'", "PUT", target, request);
    }

    /** Downloads an artifact's bytes through the server's artifact proxy. */
    public byte[] downloadArtifact(String artifactUri, String relativePath) {
        URI target = artifactUrl(artifactUri, relativePath);
        HttpRequest.Builder request = HttpRequest.newBuilder(target).GET().timeout(requestTimeout.multipliedBy(10));
        return execute("download artifact '" + relativePath + "'", "GET", target, request).body();
    }

    /** True if the server answers {@code GET /health} with 200 (one attempt, no retries). */
    public boolean isHealthy() {
        try {
            HttpRequest request = HttpRequest.newBuilder(serverUrl.resolve(serverUrl.getPath() + "/health"))
                    .timeout(Duration.ofSeconds(2)).GET().build();
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * The proxy URL of an artifact below a run's artifact root, as MLflow's
     * {@code MlflowArtifactsRepository.resolve_uri} maps it: {@code mlflow-artifacts:/1/abc/artifacts}
     * becomes {@code <server>/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts}; an
     * {@code mlflow-artifacts://host:port/…} root names its own server; an http(s) root that already
     * points into the proxy is used as it is.
     *
     * @throws TrackingException for roots the proxy does not serve (s3://, a local path, …)
     */
    public URI artifactUrl(String artifactUri, String relativePath) {
        URI root = URI.create(artifactUri);
        String base;
        if ("mlflow-artifacts".equals(root.getScheme())) {
            String authority = root.getRawAuthority() != null ? root.getRawAuthority() : serverUrl.getRawAuthority();
            String path = root.getRawPath() == null ? "" : root.getRawPath();
            base = serverUrl.getScheme() + "://" + authority + serverUrl.getRawPath() + ARTIFACT_ROUTE + "/"
                    + path.replaceAll("^/+", "");
        } else if (("http".equals(root.getScheme()) || "https".equals(root.getScheme()))
                && root.getRawPath() != null && root.getRawPath().contains(ARTIFACT_ROUTE)) {
            base = artifactUri;
        } else {
            throw new TrackingException("the run's artifact location '" + artifactUri + "' is not served by the "
                    + "MLflow server's artifact proxy; start the server with --serve-artifacts and an experiment "
                    + "whose artifact location is mlflow-artifacts:/…");
        }
        StringBuilder url = new StringBuilder(base.replaceAll("/+$", ""));
        for (String segment : relativePath.split("/")) {
            if (!segment.isEmpty()) {
                url.append('/').append(encode(segment).replace("+", "%20"));
            }
        }
        return URI.create(url.toString());
    }

    private JsonNode send(String action, String method, String pathAndQuery, JsonNode body) {
        URI target = URI.create(serverUrl + pathAndQuery);
        HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(requestTimeout);
        if (body == null) {
            request.GET();
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        }
        byte[] answer = execute(action, method, target, request).body();
        try {
            return answer.length == 0 ? JSON.createObjectNode() : JSON.readTree(answer);
        } catch (IOException e) {
            throw failure(action, method, target, 200, null, "an answer that is not JSON: " + snippet(answer), e);
        }
    }

    private HttpResponse<byte[]> execute(String action, String method, URI target, HttpRequest.Builder request) {
        credentials.authorizationHeader().ifPresent(value -> request.header("Authorization", value));
        HttpRequest built = request.build();
        for (int attempt = 1; ; attempt++) {
            HttpResponse<byte[]> response;
            try {
                response = http.send(built, HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                if (attempt >= retryPolicy.maxAttempts()) {
                    throw failure(action, method, target, 0, null, "no answer after " + attempt + " attempt(s): "
                            + describe(e), e);
                }
                pause(retryPolicy.delayAfter(attempt), action);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failure(action, method, target, 0, null, "interrupted", e);
            }
            int status = response.statusCode();
            if (status >= 200 && status < 300) {
                return response;
            }
            boolean retriable = status == 429 || status >= 500;
            if (!retriable || attempt >= retryPolicy.maxAttempts()) {
                String errorCode = null;
                String message = snippet(response.body());
                try {
                    JsonNode error = JSON.readTree(response.body());
                    if (error != null && error.has("error_code")) {
                        errorCode = error.path("error_code").asText();
                        message = errorCode + ": " + error.path("message").asText();
                    }
                } catch (IOException notJson) {
                    // The answer stays quoted as text.
                }
                String attempts = retriable ? " after " + attempt + " attempt(s)" : "";
                throw failure(action, method, target, status, errorCode, "HTTP " + status + attempts + ": " + message,
                        null);
            }
            pause(retryAfter(response).orElse(retryPolicy.delayAfter(attempt)), action);
        }
    }

    private Optional<Duration> retryAfter(HttpResponse<?> response) {
        return response.headers().firstValue("Retry-After").flatMap(value -> {
            try {
                Duration wait = Duration.ofSeconds(Long.parseLong(value.strip()));
                return Optional.of(wait.compareTo(retryPolicy.maxDelay()) > 0 ? retryPolicy.maxDelay() : wait);
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }

    private void pause(Duration wait, String action) {
        try {
            Thread.sleep(wait.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrackingException("interrupted while waiting to retry: " + action, e);
        }
    }

    private MLflowRequestException failure(String action, String method, URI target, int status, String errorCode,
                                           String answer, Throwable cause) {
        String message = "MLflow: could not " + action + " (" + method + " " + target + "): " + answer;
        message = Secrets.redactEnvironmentSecrets(credentials.redact(message));
        // The cause's own message could quote a header; keep only its type.
        Throwable safeCause = cause == null ? null : new TrackingException(cause.getClass().getName());
        return new MLflowRequestException(message, status, errorCode, safeCause);
    }

    private static String describe(IOException e) {
        if (e instanceof ConnectException) {
            return "connection refused or unreachable";
        }
        if (e instanceof HttpConnectTimeoutException) {
            return "connection timed out";
        }
        if (e instanceof HttpTimeoutException) {
            return "no answer in time";
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
    }

    private static String snippet(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).strip();
        return text.length() > 500 ? text.substring(0, 500) + "…" : text;
    }

    private static ArrayNode keyValues(Map<String, String> entries) {
        return keyValues(new ArrayList<>(entries.entrySet()));
    }

    private static ArrayNode keyValues(List<Map.Entry<String, String>> entries) {
        ArrayNode array = JSON.createArrayNode();
        entries.forEach(entry -> array.addObject().put("key", entry.getKey()).put("value", entry.getValue()));
        return array;
    }

    private static MLflowExperiment experiment(JsonNode node) {
        return new MLflowExperiment(node.path("experiment_id").asText(), node.path("name").asText(),
                node.path("lifecycle_stage").asText("active"));
    }

    private static MLflowRun run(JsonNode node) {
        JsonNode info = node.path("info");
        Map<String, String> tags = new LinkedHashMap<>();
        node.path("data").path("tags").forEach(tag -> tags.put(tag.path("key").asText(), tag.path("value").asText()));
        return new MLflowRun(info.path("run_id").asText(), info.path("experiment_id").asText(),
                info.path("run_name").asText(), info.path("status").asText(), info.path("start_time").asLong(),
                info.path("end_time").asLong(0), info.path("artifact_uri").asText(), tags);
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    private static String contentType(Path file) {
        try {
            String probed = Files.probeContentType(file);
            return probed != null ? probed : "application/octet-stream";
        } catch (IOException e) {
            return "application/octet-stream";
        }
    }

    private static URI checkServerUrl(URI url) {
        String scheme = url.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme) || url.getHost() == null) {
            throw new TrackingException("MLflow server URL '" + url + "' is not an http(s)://host[:port] URL");
        }
        if (url.getRawUserInfo() != null) {
            throw new TrackingException("MLflow server URL " + url.getScheme() + "://" + Secrets.MASK + "@"
                    + url.getHost() + " contains credentials; put them in " + Credentials.USERNAME_VARIABLE + "/"
                    + Credentials.PASSWORD_VARIABLE + " or " + Credentials.TOKEN_VARIABLE + " instead");
        }
        String text = url.toString().replaceAll("/+$", "");
        return URI.create(text);
    }
}
