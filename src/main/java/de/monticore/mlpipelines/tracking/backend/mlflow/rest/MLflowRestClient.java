package de.monticore.mlpipelines.tracking.backend.mlflow.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.backend.mlflow.Credentials;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
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
 * ({@code /api/2.0/mlflow-artifacts/artifacts/…}): one method per MLflow call, so that callers read
 * like MLflow's API and not like HTTP. Thread-safe.
 *
 * <p>The layers below, as in MLflow's own Java client: {@link MLflowHttpTransport} sends requests
 * with the {@link Credentials} as an Authorization header, retries connection errors, HTTP 429 and
 * 5xx answers by the {@link RetryPolicy} (other answers are not retried) and turns every failure into
 * an {@link MLflowRequestException} saying what was attempted and what the server answered, with
 * credentials masked; {@link MLflowJson} maps request bodies and answers.
 */
public final class MLflowRestClient {
    /** Most params (and, separately, tags) in one {@code runs/log-batch} request. */
    public static final int MAX_PARAMS_TAGS_PER_BATCH = 100;
    /** Most metrics in one {@code runs/log-batch} request. */
    public static final int MAX_METRICS_PER_BATCH = 1000;
    /** Most params, tags and metrics together in one {@code runs/log-batch} request. */
    public static final int MAX_ENTITIES_PER_BATCH = 1000;

    /** Most runs one {@link #deleteRuns} request deletes (the server route's limit). */
    public static final int MAX_RUNS_PER_DELETE = 1000;

    private static final String API = "/api/2.0/mlflow/";
    /** The route of the {@code mlpipelines} MLflow app plugin ({@code python/mlpipelines/mlflow_server_app.py}). */
    private static final String DELETE_RUNS_ROUTE = "/api/2.0/mlpipelines/runs/delete";
    private static final String ARTIFACT_ROUTE = "/api/2.0/mlflow-artifacts/artifacts";

    private final MLflowHttpTransport transport;

    /**
     * A client for the server at {@code serverUrl} ({@code http(s)://host:port[/prefix]}).
     *
     * @param connectTimeout how long to wait for a TCP connection per attempt
     * @param requestTimeout how long to wait for an answer per attempt (artifact uploads get ten times as long)
     * @throws TrackingException if the URL is not http(s) or carries user info (credentials belong in the environment)
     */
    public MLflowRestClient(URI serverUrl, Credentials credentials, RetryPolicy retryPolicy,
                            Duration connectTimeout, Duration requestTimeout) {
        this.transport = new MLflowHttpTransport(serverUrl, credentials, retryPolicy, connectTimeout, requestTimeout);
    }

    /** The server's base URL, without a trailing slash. */
    public URI serverUrl() {
        return transport.serverUrl();
    }

    /** The experiment with this name (also a deleted one), or empty if there is none. */
    public Optional<MLflowExperiment> getExperimentByName(String name) {
        try {
            JsonNode answer = call("look up experiment '" + name + "'", "GET",
                    API + "experiments/get-by-name?experiment_name=" + encode(name), null);
            return Optional.of(MLflowJson.experiment(answer.path("experiment")));
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
        return createExperiment(name, Map.of());
    }

    /**
     * Creates an experiment with tags (e.g. {@code mlflow.experimentKind}) and returns its id.
     *
     * @throws MLflowRequestException with error code {@code RESOURCE_ALREADY_EXISTS} if the name is taken
     */
    public String createExperiment(String name, Map<String, String> tags) {
        ObjectNode body = MLflowJson.object().put("name", name);
        body.set("tags", MLflowJson.keyValues(tags));
        return call("create experiment '" + name + "'", "POST", API + "experiments/create", body)
                .path("experiment_id").asText();
    }

    /** Sets a tag of an experiment (replacing its value). */
    public void setExperimentTag(String experimentId, String key, String value) {
        ObjectNode body = MLflowJson.object().put("experiment_id", experimentId).put("key", key).put("value", value);
        call("set tag '" + key + "' of experiment " + experimentId, "POST", API + "experiments/set-experiment-tag", body);
    }

    /** Creates a RUNNING run with the given name, start time and tags. */
    public MLflowRun createRun(String experimentId, String runName, long startTimeMillis, Map<String, String> tags) {
        ObjectNode body = MLflowJson.object()
                .put("experiment_id", experimentId)
                .put("run_name", runName)
                .put("start_time", startTimeMillis);
        body.set("tags", MLflowJson.keyValues(tags));
        return MLflowJson.run(call("create run '" + runName + "' in experiment " + experimentId, "POST",
                API + "runs/create", body).path("run"));
    }

    /** The run's current info. */
    public MLflowRun getRun(String runId) {
        return MLflowJson.run(call("read run " + runId, "GET", API + "runs/get?run_id=" + encode(runId), null)
                .path("run"));
    }

    /** Gives the run a new name. */
    public void renameRun(String runId, String runName) {
        ObjectNode body = MLflowJson.object().put("run_id", runId).put("run_name", runName);
        call("rename run " + runId + " to '" + runName + "'", "POST", API + "runs/update", body);
    }

    /** Sets the run's status and end time. */
    public void updateRun(String runId, String status, long endTimeMillis) {
        ObjectNode body = MLflowJson.object().put("run_id", runId).put("status", status)
                .put("end_time", endTimeMillis);
        call("set status " + status + " of run " + runId, "POST", API + "runs/update", body);
    }

    /** Removes a tag from the run. */
    public void deleteTag(String runId, String key) {
        ObjectNode body = MLflowJson.object().put("run_id", runId).put("key", key);
        call("delete tag '" + key + "' of run " + runId, "POST", API + "runs/delete-tag", body);
    }

    /** Marks the run as deleted (MLflow keeps it restorable until garbage collection). */
    public void deleteRun(String runId) {
        call("delete run " + runId, "POST", API + "runs/delete", MLflowJson.object().put("run_id", runId));
    }

    /**
     * Marks the runs deleted with one request per {@value #MAX_RUNS_PER_DELETE}, on a server that runs the
     * {@code mlpipelines} MLflow app plugin (the local store's server does when the interpreter has it).
     *
     * @return the runs the server could not delete, each with its reason (empty if all were deleted);
     *         {@link Optional#empty()} if the server has no such route (HTTP 404 or 405): delete them one by one
     * @throws TrackingException if a request failed otherwise; runs of earlier requests may be deleted then
     */
    public Optional<Map<String, String>> deleteRuns(List<String> runIds) {
        Map<String, String> failures = new LinkedHashMap<>();
        for (int from = 0; from < runIds.size(); from += MAX_RUNS_PER_DELETE) {
            List<String> chunk = runIds.subList(from, Math.min(runIds.size(), from + MAX_RUNS_PER_DELETE));
            ObjectNode body = MLflowJson.object();
            ArrayNode ids = body.putArray("run_ids");
            chunk.forEach(ids::add);
            JsonNode answer;
            try {
                answer = call("delete " + chunk.size() + " run(s)", "POST", DELETE_RUNS_ROUTE, body);
            } catch (MLflowRequestException e) {
                if (from == 0 && (e.statusCode() == 404 || e.statusCode() == 405)) {
                    return Optional.empty();
                }
                throw e;
            }
            for (JsonNode failure : answer.path("failures")) {
                failures.put(failure.path("run_id").asText(), failure.path("message").asText());
            }
        }
        return Optional.of(failures);
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
            ObjectNode body = MLflowJson.object().put("run_id", runId);
            body.set("params", MLflowJson.keyValues(paramList.subList(p, p + paramCount)));
            body.set("tags", MLflowJson.keyValues(tagList.subList(t, t + tagCount)));
            body.set("metrics", MLflowJson.metrics(metrics.subList(m, m + metricCount)));
            call("log " + paramCount + " params, " + tagCount + " tags and " + metricCount + " metrics to run "
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
        return searchRuns(experimentIds, filter, viewType, maxResults, pageToken, List.of());
    }

    /**
     * One page of runs as {@link #searchRuns(List, String, String, int, String)} finds them, in the
     * given order.
     *
     * @param orderBy MLflow order clauses, e.g. {@code attributes.run_name DESC}; empty for the
     *                server's default (newest first)
     */
    public RunSearchPage searchRuns(List<String> experimentIds, String filter, String viewType, int maxResults,
                                    String pageToken, List<String> orderBy) {
        ObjectNode body = MLflowJson.object().put("filter", filter).put("run_view_type", viewType)
                .put("max_results", maxResults);
        ArrayNode ids = body.putArray("experiment_ids");
        experimentIds.forEach(ids::add);
        if (!orderBy.isEmpty()) {
            ArrayNode order = body.putArray("order_by");
            orderBy.forEach(order::add);
        }
        if (pageToken != null) {
            body.put("page_token", pageToken);
        }
        return MLflowJson.runSearchPage(call("search runs of experiment(s) " + experimentIds + " with filter \""
                + filter + "\"", "POST", API + "runs/search", body));
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
        } catch (FileNotFoundException e) {
            throw new TrackingException("cannot upload artifact " + file + ": file not found");
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(target).PUT(bodyPublisher)
                .header("Content-Type", contentType(file)).timeout(transport.requestTimeout().multipliedBy(10));
        transport.execute("upload " + file + " as artifact '" + relativePath + "'", "PUT", target, request);
    }

    /** Downloads an artifact's bytes through the server's artifact proxy. */
    public byte[] downloadArtifact(String artifactUri, String relativePath) {
        URI target = artifactUrl(artifactUri, relativePath);
        HttpRequest.Builder request = HttpRequest.newBuilder(target).GET()
                .timeout(transport.requestTimeout().multipliedBy(10));
        return transport.execute("download artifact '" + relativePath + "'", "GET", target, request).body();
    }

    /** True if the server answers {@code GET /health} with 200 (one attempt, no retries). */
    public boolean isHealthy() {
        return transport.isHealthy();
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
        URI serverUrl = transport.serverUrl();
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

    /** One REST call: a GET when {@code body} is null, else {@code method} with the JSON body; the answer's JSON. */
    private JsonNode call(String action, String method, String pathAndQuery, JsonNode body) {
        URI target = URI.create(transport.serverUrl() + pathAndQuery);
        byte[] answer = transport.send(action, method, target, body == null ? null : body.toString());
        try {
            return MLflowJson.parse(answer);
        } catch (IOException e) {
            throw transport.failure(action, method, target, 200, null,
                    "an answer that is not JSON: " + MLflowHttpTransport.snippet(answer), e);
        }
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
}
