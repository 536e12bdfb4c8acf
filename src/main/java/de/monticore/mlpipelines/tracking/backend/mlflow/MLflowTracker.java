package de.monticore.mlpipelines.tracking.backend.mlflow;

import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.artifact.LocalArtifacts;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowExperiment;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowMetric;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRequestException;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRestClient;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRun;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.RunSearchPage;
import de.monticore.mlpipelines.tracking.backend.mlflow.server.LocalMLflowServer;
import de.monticore.mlpipelines.tracking.secret.Secrets;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * The Java half of the MLFLOW backend, over MLflow's REST API ({@link MLflowRestClient}).
 *
 * <p>On first use it connects: to the configured http(s) server, or, for a local store
 * ({@code sqlite:///…}, a directory), to a local server started for it ({@link LocalMLflowServer}),
 * and gets or creates the experiment. {@link #startNewRun()} creates a run named "Run N"
 * ({@link NumberedRuns}); params, tags and metrics go through {@code runs/log-batch}; artifacts go
 * through the server's artifact proxy.
 *
 * <p>Long values: a param value longer than MLflow's limit of {@value #MAX_PARAM_VALUE_LENGTH}
 * characters is stored in full as the artifact {@code long_params/<key>.txt}, and the param holds
 * the value's beginning followed by {@code … [truncated: N characters, full value in artifact
 * long_params/<key>.txt]}, {@value #MAX_PARAM_VALUE_LENGTH} characters in all; a warning says so.
 * A tag value longer than {@value #MAX_TAG_VALUE_LENGTH} characters is cut to that length, with a
 * warning. Re-logging a param with its current value is harmless; a different value is refused by
 * MLflow (params are immutable) and reported as a {@link TrackingException}.
 *
 * <p>Ending a run: if the status and end time cannot be delivered after the retries (the server
 * does not answer, or answers 429/5xx), they are spooled ({@link EndRunSpool}) to the spool
 * directory ({@code backends.mlflow.spool_dir}, the directory the Python half spools to as well) and
 * {@link #getRunEndStates()} says that the end is pending and names the {@code mlpipelines replay}
 * command that completes it. A run whose end was requested is never ended again, so {@link #close()}
 * does not turn it KILLED. Clean-up deletes only runs whose status it confirmed.
 *
 * <p>Credentials come from {@code MLFLOW_TRACKING_TOKEN} or
 * {@code MLFLOW_TRACKING_USERNAME}/{@code MLFLOW_TRACKING_PASSWORD}; they never appear in
 * {@link #getPythonParams()}, in output or in exception messages.
 */
public class MLflowTracker implements RunTracker {
    /** MLflow's longest param value, in characters (code points). */
    public static final int MAX_PARAM_VALUE_LENGTH = 6000;
    /** MLflow's longest tag value, in characters (code points). */
    public static final int MAX_TAG_VALUE_LENGTH = 8000;
    /**
     * The experiment tag by which MLflow 3's UI chooses its view; experiments we create (or find without
     * it) are tagged {@value #EXPERIMENT_KIND}, model training, so they open on the runs table, not the
     * GenAI traces view.
     */
    public static final String EXPERIMENT_KIND_TAG = "mlflow.experimentKind";
    /** MLflow's experiment kind for training models ({@code ExperimentKind.CUSTOM_MODEL_DEVELOPMENT}). */
    public static final String EXPERIMENT_KIND = "custom_model_development";
    /** The label under which {@link #getRunLocations()} gives the run's name. */
    public static final String RUN_NAME_LOCATION = "MLflow run name";
    /** Artifact directory that holds the full values of truncated params. */
    public static final String LONG_PARAMS_DIRECTORY = "long_params";
    /** Concurrent delete requests of {@link #cleanUpRepository()} (MLflow deletes one run per request). */
    public static final int CLEAN_UP_THREADS = 8;

    private final MLflowConfig config;
    private final MLflowOptions options;
    private final Set<String> infiniteMetricWarnings = new HashSet<>();
    private MLflowRestClient client;
    private LocalMLflowServer.Lease localServer;
    private MLflowExperiment experiment;
    private MLflowRun run;
    private boolean runActive;
    /** False once the server answered that it has no route to delete many runs at once. */
    private boolean serverDeletesManyRuns = true;
    private boolean closed;
    /** How the last run's end stands in MLflow, for the summary; null before an end was requested. */
    private String endState;

    /** A tracker with {@link MLflowOptions#defaults()}: credentials from the process environment. */
    public MLflowTracker(MLflowConfig config) {
        this(config, MLflowOptions.defaults());
    }

    /** A tracker with the given options; nothing connects until the tracker is used. */
    public MLflowTracker(MLflowConfig config, MLflowOptions options) {
        this.config = config;
        this.options = options;
    }

    /**
     * Creates a run named "Run N" in the experiment (ending a run of this tracker that is still
     * running as KILLED first).
     *
     * @throws TrackingException if the server cannot be reached or the experiment is deleted
     */
    @Override
    public synchronized void startNewRun() {
        connect();
        if (runActive) {
            endRun(RunStatus.KILLED);
        }
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("mlflow.user", System.getProperty("user.name", "unknown"));
        tags.put("mlflow.source.type", "LOCAL");
        tags.put("mlflow.source.name", "mlpipelines");
        run = NumberedRuns.create(client, experiment.id(), System.currentTimeMillis(), tags);
        runActive = true;
        endState = null;
        infiniteMetricWarnings.clear();
    }

    /**
     * Sets the run's status and end time; a no-op without a running run. When the server cannot be
     * reached (after the retries) the end is spooled instead, with a warning naming the replay
     * command; either way the run counts as ended and is never ended again.
     *
     * @throws IllegalArgumentException for a status that does not end a run
     * @throws TrackingException        if MLflow refused the end, or it could be neither delivered nor spooled
     */
    @Override
    public synchronized void endRun(RunStatus status) {
        if (!status.isTerminal()) {
            throw new IllegalArgumentException(status + " does not end a run; expected " + RunStatus.terminalChoices());
        }
        if (!runActive) {
            return;
        }
        // The end is requested from here on: whatever happens below, close() must not re-mark the run.
        runActive = false;
        long endTime = System.currentTimeMillis();
        try {
            client.updateRun(run.id(), status.name(), endTime);
            endState = status.name();
        } catch (MLflowRequestException e) {
            if (!isUnreachable(e)) {
                endState = "not ended: MLflow refused " + status + ": " + e.getMessage();
                throw e;
            }
            spoolEnd(status, endTime, e);
        }
    }

    /**
     * {@code "MLflow status"} to how the last run's end stands in MLflow: its status (e.g.
     * {@code FINISHED}), or {@code end pending (FINISHED spooled to FILE); complete it with: mlpipelines
     * replay DIR}, or why it did not end. Empty before an end was requested.
     */
    @Override
    public synchronized Map<String, String> getRunEndStates() {
        return endState == null ? Map.of() : Map.of("MLflow status", endState);
    }

    /** The directory undelivered run ends are spooled to, absolute: the Python half's spool directory. */
    public Path spoolDirectory() {
        return config.absoluteSpoolDir();
    }

    /** The command that delivers what is spooled in {@code directory}, ready to paste into a shell. */
    public static String replayCommand(Path directory) {
        String path = directory.toString();
        String quoted = path.matches("[A-Za-z0-9_./:@%+=,-]+") ? path : "'" + path.replace("'", "'\\''") + "'";
        return "mlpipelines replay " + quoted;
    }

    private void spoolEnd(RunStatus status, long endTime, MLflowRequestException undelivered) {
        Path directory = spoolDirectory();
        try {
            Path file = EndRunSpool.write(directory, spoolTrackingUri(), run.id(), experiment.id(), experiment.name(),
                    status.name(), endTime);
            endState = "end pending (" + status + " spooled to " + file + "); complete it with: "
                    + replayCommand(directory);
            warn("could not end run " + run.id() + " as " + status + " (" + undelivered.getMessage() + "); "
                    + endState);
        } catch (IOException | UncheckedIOException e) {
            endState = "RUNNING: the end " + status + " could be neither delivered nor spooled";
            TrackingException failure = new TrackingException("could not end MLflow run " + run.id() + " as "
                    + status + " (" + undelivered.getMessage() + ") nor spool the end to " + directory + ": " + e,
                    undelivered);
            failure.addSuppressed(e);
            throw failure;
        }
    }

    /** Where replay sends a spooled end: the configured server, or the local store itself (its server stops with us). */
    private String spoolTrackingUri() {
        return LocalStore.isServerUrl(config.trackingUri()) ? client.serverUrl().toString()
                : LocalStore.parse(config.trackingUri()).uri();
    }

    /** No answer, or one that says "try later" (429, 5xx): worth spooling, unlike a refusal. */
    private static boolean isUnreachable(MLflowRequestException e) {
        return e.statusCode() == 0 || e.statusCode() == 429 || e.statusCode() >= 500;
    }

    @Override
    public void logParam(String key, String value) {
        logParams(Map.of(key, value));
    }

    /** Logs the params in as few requests as MLflow allows; long values follow the documented policy. */
    @Override
    public synchronized void logParams(Map<String, String> params) {
        String runId = requireRun("log params");
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, String> param : params.entrySet()) {
            String value = param.getValue() == null ? "" : param.getValue();
            values.put(param.getKey(), value.codePointCount(0, value.length()) > MAX_PARAM_VALUE_LENGTH
                    ? storeLongParam(param.getKey(), value) : value);
        }
        client.logBatch(runId, values, Map.of(), List.of());
    }

    /**
     * Logs one metric value. NaN is kept; MLflow stores ±Infinity as ±{@link Double#MAX_VALUE}, which
     * one warning per key says.
     */
    @Override
    public synchronized void logMetric(String key, double value, long timestampMillis, long step) {
        String runId = requireRun("log metric '" + key + "'");
        if (Double.isInfinite(value) && infiniteMetricWarnings.add(key)) {
            warn("metric '" + key + "' is " + value + "; MLflow stores it as " + (value > 0 ? "" : "-")
                    + Double.MAX_VALUE);
        }
        client.logBatch(runId, Map.of(), Map.of(), List.of(new MLflowMetric(key, value, timestampMillis, step)));
    }

    @Override
    public synchronized void logTag(String key, String value) {
        String runId = requireRun("set tag '" + key + "'");
        String text = value == null ? "" : value;
        if (text.codePointCount(0, text.length()) > MAX_TAG_VALUE_LENGTH) {
            warn("tag '" + key + "' has " + text.codePointCount(0, text.length()) + " characters; MLflow keeps at most "
                    + MAX_TAG_VALUE_LENGTH + ", so it is cut to that length");
            text = firstCodePoints(text, MAX_TAG_VALUE_LENGTH);
        }
        client.logBatch(runId, Map.of(), Map.of(key, text), List.of());
    }

    /**
     * Uploads a file, or a directory with everything below it, keeping its name:
     * {@code logArtifact(new File("out/plots"), "results")} stores {@code results/plots/…}.
     *
     * @throws TrackingException if the file does not exist, the artifact path is not a relative path
     *                           inside the run, or the upload fails
     */
    @Override
    public synchronized void logArtifact(File localFile, String artifactPath) {
        String runId = requireRun("log artifact " + localFile);
        String directory = checkArtifactPath(artifactPath);
        Path source = localFile.toPath();
        if (!Files.exists(source)) {
            throw new TrackingException("cannot log artifact " + localFile + " to MLflow run " + runId
                    + ": no such file or directory");
        }
        LocalArtifacts.refuseEscapingLinks(localFile);
        String target = join(directory, source.getFileName().toString());
        if (!Files.isDirectory(source)) {
            client.uploadArtifact(run.artifactUri(), target, source);
            return;
        }
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                String relative = source.relativize(file).toString().replace(File.separatorChar, '/');
                client.uploadArtifact(run.artifactUri(), join(target, relative), file);
            }
        } catch (IOException e) {
            throw new TrackingException("cannot read directory " + localFile + " to log it as an artifact: " + e, e);
        }
    }

    /**
     * Stores text as an artifact file of the current run (UTF-8), like MLflow's {@code log_text}.
     *
     * @param artifactFile path of the file inside the run's artifacts, e.g. {@code notes/summary.txt}
     */
    public synchronized void logText(String text, String artifactFile) {
        String runId = requireRun("log text artifact " + artifactFile);
        String target = checkArtifactPath(artifactFile);
        if (target.isEmpty()) {
            throw new TrackingException("cannot log text to MLflow run " + runId + ": the artifact file name is empty");
        }
        try {
            Path directory = Files.createTempDirectory("mlflow-text");
            Path file = directory.resolve(target.substring(target.lastIndexOf('/') + 1));
            try {
                Files.writeString(file, text, StandardCharsets.UTF_8);
                client.uploadArtifact(run.artifactUri(), target, file);
            } finally {
                Files.deleteIfExists(file);
                Files.deleteIfExists(directory);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a temporary file for artifact " + artifactFile, e);
        }
    }

    /**
     * Deletes every run of the experiment whose status is one of the configured {@code clean_up}
     * states, except this tracker's running run. All pages are read before anything is deleted, so
     * that deleting does not shift the pages. The candidates are confirmed before they are deleted:
     * the search is read a second time, and a run that is still found in a {@code clean_up} state there
     * is confirmed (a run missing from the second read has its status read once more, and is kept if
     * it changed); a run with an undelivered end in a spool file of the spool directory is kept too
     * (then the server's status is not its last word). The confirmed runs are deleted with one request
     * per thousand where the server has the {@code mlpipelines} app plugin (the local store's server),
     * else by {@value #CLEAN_UP_THREADS} requests at a time, one run each (MLflow's REST API).
     *
     * @throws TrackingException after the confirmed runs were deleted, naming every run that was kept
     *                           because confirming or deleting it failed
     */
    @Override
    public synchronized void cleanUpRepository() {
        if (config.cleanUp().isEmpty()) {
            return;
        }
        connect();
        Set<String> candidates = runsInCleanUpStates();
        if (candidates.isEmpty()) {
            return;
        }
        Path spool = spoolDirectory();
        Set<String> pendingEnds;
        try {
            pendingEnds = EndRunSpool.runsWithPendingEnd(spool);
        } catch (IOException | UncheckedIOException e) {
            throw new TrackingException("clean-up deleted none of the " + candidates.size() + " candidate run(s) of "
                    + "experiment " + experiment.id() + ": cannot read the spool directory " + spool + " to confirm "
                    + "that no end of theirs is pending there: " + e.getMessage(), e);
        }
        Set<String> confirmedBySearch = runsInCleanUpStates();
        List<String> kept = Collections.synchronizedList(new ArrayList<>());
        List<String> confirmed = new ArrayList<>();
        for (String candidate : candidates) {
            try {
                String unconfirmed = pendingEnds.contains(candidate) || !confirmedBySearch.contains(candidate)
                        ? whyNotConfirmed(candidate, pendingEnds.contains(candidate), spool) : null;
                if (unconfirmed == null) {
                    confirmed.add(candidate);
                } else {
                    warn("clean-up keeps run " + candidate + ": " + unconfirmed);
                }
            } catch (TrackingException e) {
                kept.add("run " + candidate + " (" + e.getMessage() + ")");
            }
        }
        deleteRuns(confirmed, kept);
        if (!kept.isEmpty()) {
            throw new TrackingException("clean-up could not confirm or delete, and so kept, " + kept.size()
                    + " run(s) of experiment " + experiment.id() + ": " + String.join("; ", kept));
        }
    }

    /** The ids of the experiment's active runs in a clean_up state, except our running run; all pages. */
    private Set<String> runsInCleanUpStates() {
        Set<String> found = new LinkedHashSet<>();
        for (RunStatus status : config.cleanUp()) {
            String pageToken = null;
            do {
                RunSearchPage page = client.searchRuns(List.of(experiment.id()),
                        "attributes.status = '" + status.name() + "'", "ACTIVE_ONLY", options.searchPageSize(), pageToken);
                for (MLflowRun run : page.runs()) {
                    if (!(runActive && run.id().equals(this.run.id()))) {
                        found.add(run.id());
                    }
                }
                pageToken = page.nextPageToken();
            } while (pageToken != null);
        }
        return found;
    }

    /**
     * Deletes the runs: with one request per thousand where the server has the {@code mlpipelines} app
     * plugin's route (the local store's server), else {@value #CLEAN_UP_THREADS} requests at a time, one
     * run each. A run that could not be deleted is added to {@code kept}.
     */
    private void deleteRuns(List<String> runIds, List<String> kept) {
        if (runIds.isEmpty()) {
            return;
        }
        if (serverDeletesManyRuns) {
            try {
                Optional<Map<String, String>> failures = client.deleteRuns(runIds);
                if (failures.isPresent()) {
                    failures.get().forEach((runId, why) -> kept.add("run " + runId + " (" + why + ")"));
                    return;
                }
                serverDeletesManyRuns = false;
            } catch (TrackingException e) {
                warn("deleting " + runIds.size() + " run(s) in one request failed, so they are deleted one by one: "
                        + e.getMessage());
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(CLEAN_UP_THREADS, runIds.size()), task -> {
            Thread thread = new Thread(task, "mlflow-clean-up");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<?>> deletions = new ArrayList<>();
            for (String runId : runIds) {
                deletions.add(pool.submit(() -> {
                    try {
                        client.deleteRun(runId);
                    } catch (TrackingException e) {
                        kept.add("run " + runId + " (" + e.getMessage() + ")");
                    }
                }));
            }
            for (Future<?> deletion : deletions) {
                deletion.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrackingException("interrupted while deleting " + runIds.size() + " run(s) of experiment "
                    + experiment.id() + "; some may be left", e);
        } catch (ExecutionException e) {
            throw new TrackingException("deleting runs of experiment " + experiment.id() + " failed: "
                    + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Null if the run is confirmed to be in a clean_up state now; else why it is not. */
    private String whyNotConfirmed(String runId, boolean endPending, Path spool) {
        if (endPending) {
            return "its end is still pending in " + spool + " (" + replayCommand(spool) + ")";
        }
        String status = client.getRun(runId).status();
        if (config.cleanUp().stream().noneMatch(state -> state.name().equals(status))) {
            return "its status is now " + status;
        }
        return null;
    }

    /**
     * {@code mlflow_tracking_uri} (the http URL of the server, also for a local store),
     * {@code mlflow_experiment_name}, {@code mlflow_experiment_id}, and {@code mlflow_run_id} while a
     * run is running. Connects if needed; never contains a credential.
     */
    @Override
    public synchronized Map<String, String> getPythonParams() {
        connect();
        Map<String, String> params = new LinkedHashMap<>(config.pythonOptions());
        // The server actually used: for a local store the started server replaces the store's URI.
        params.put("mlflow_tracking_uri", client.serverUrl().toString());
        params.put("mlflow_experiment_name", experiment.name());
        params.put("mlflow_experiment_id", experiment.id());
        if (runActive) {
            params.put("mlflow_run_id", run.id());
        }
        return params;
    }

    /**
     * {@code "MLflow run"} to the run's page in the MLflow UI and {@value #RUN_NAME_LOCATION} to its name
     * ("Run N"), once a run was started (a local store's
     * server stays up for its idle timeout; {@code mlpipelines ui} serves it later); and when the Python half spooled data of
     * this run because it could not deliver it, {@code "MLflow spool"}: the spool directory and the
     * command that delivers it.
     */
    @Override
    public synchronized Map<String, String> getRunLocations() {
        if (run == null) {
            return Map.of();
        }
        Map<String, String> locations = new java.util.LinkedHashMap<>();
        locations.put("MLflow run", runUrl().toString());
        locations.put(RUN_NAME_LOCATION, run.name());
        long spoolFiles = spoolFilesOf(run.id());
        if (spoolFiles > 0) {
            Path spoolDir = config.absoluteSpoolDir();
            locations.put("MLflow spool", spoolDir + " holds " + spoolFiles + " spool file" + (spoolFiles == 1 ? "" : "s")
                    + " of this run that did not reach MLflow; deliver with: mlpipelines replay " + spoolDir);
        }
        return locations;
    }

    /**
     * How many spool files the Python half wrote for {@code runId}: it names them
     * {@code <run id>-<pid>-<ms>.jsonl} in the spool directory. 0 when there is no such directory.
     */
    private long spoolFilesOf(String runId) {
        Path spoolDir = config.absoluteSpoolDir();
        if (!Files.isDirectory(spoolDir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(spoolDir)) {
            return files.map(path -> path.getFileName().toString())
                    .filter(name -> name.startsWith(runId + "-") && name.endsWith(".jsonl")).count();
        } catch (IOException | UncheckedIOException e) {
            warn("cannot list the MLflow spool directory " + spoolDir + ": " + e.getMessage());
            return 0;
        }
    }

    /** The run's page in the MLflow UI: {@code <server>/#/experiments/<id>/runs/<run>}. */
    public synchronized URI runUrl() {
        requireRun("show the run's URL");
        return URI.create(client.serverUrl() + "/#/experiments/" + run.experimentId() + "/runs/" + run.id());
    }

    /** The current (or last) run's id. */
    public synchronized String runId() {
        return requireRun("read the run id");
    }

    /** The current (or last) run's name, "Run N". */
    public synchronized String runName() {
        requireRun("read the run name");
        return run.name();
    }

    /**
     * Ends a run whose end was never requested as KILLED (one ended or spooled by {@link #endRun}
     * is left as it was asked to end) and stops the local server if this tracker started it and no
     * one else uses it. Failures are reported as warnings, never thrown.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            // Only a run whose end was never requested: one ended or spooled stays as it was asked to end.
            if (runActive) {
                endRun(RunStatus.KILLED);
            }
        } catch (RuntimeException e) {
            warn("could not end MLflow run " + run.id() + " as KILLED: " + e.getMessage());
        } finally {
            if (localServer != null) {
                try {
                    localServer.close();
                } catch (RuntimeException e) {
                    warn("could not stop the local MLflow server: " + e.getMessage());
                }
                localServer = null;
            }
        }
    }

    private void connect() {
        if (closed) {
            throw new TrackingException("the MLflow tracker for experiment '" + config.experimentName()
                    + "' is closed");
        }
        if (experiment != null) {
            return;
        }
        if (client == null) {
            Credentials credentials = credentials();
            URI url;
            if (LocalStore.isServerUrl(config.trackingUri())) {
                url = URI.create(config.trackingUri().strip());
            } else {
                localServer = LocalMLflowServer.acquire(LocalStore.parse(config.trackingUri()),
                        config.serverSettings(options.localServer()));
                url = localServer.url();
            }
            client = new MLflowRestClient(url, credentials, options.retryPolicy(), options.connectTimeout(),
                    options.requestTimeout());
        }
        experiment = getOrCreateExperiment(config.experimentName());
    }

    private Credentials credentials() {
        try {
            return Credentials.fromEnvironment(options.environment());
        } catch (IllegalArgumentException e) {
            throw new TrackingException("MLflow credentials: " + e.getMessage());
        }
    }

    /** Get-or-create that is safe when several pipelines create the same experiment at once. */
    private MLflowExperiment getOrCreateExperiment(String name) {
        MLflowExperiment found = client.getExperimentByName(name).orElseGet(() -> {
            try {
                String id = client.createExperiment(name, Map.of(EXPERIMENT_KIND_TAG, EXPERIMENT_KIND));
                return new MLflowExperiment(id, name, "active", Map.of(EXPERIMENT_KIND_TAG, EXPERIMENT_KIND));
            } catch (MLflowRequestException e) {
                if (!e.hasErrorCode("RESOURCE_ALREADY_EXISTS")) {
                    throw e;
                }
                // Another pipeline created it between our look-up and our create.
                return client.getExperimentByName(name).orElseThrow(() -> e);
            }
        });
        if (!found.isActive()) {
            throw new TrackingException("MLflow experiment '" + name + "' (id " + found.id() + ") at "
                    + client.serverUrl() + " is deleted; restore it (mlflow experiments restore --experiment-id "
                    + found.id() + ") or choose another experiment_name in tracking.yaml");
        }
        if (!found.tags().containsKey(EXPERIMENT_KIND_TAG)) {
            // Created before we tagged, or by someone else: MLflow 3 would guess its kind, maybe GenAI.
            client.setExperimentTag(found.id(), EXPERIMENT_KIND_TAG, EXPERIMENT_KIND);
        }
        return found;
    }

    private String storeLongParam(String key, String value) {
        String file = LONG_PARAMS_DIRECTORY + "/" + key.replaceAll("[^A-Za-z0-9._-]", "_") + ".txt";
        logText(value, file);
        int length = value.codePointCount(0, value.length());
        String marker = "… [truncated: " + length + " characters, full value in artifact " + file + "]";
        int keep = MAX_PARAM_VALUE_LENGTH - marker.codePointCount(0, marker.length());
        warn("param '" + key + "' has " + length + " characters, more than MLflow's " + MAX_PARAM_VALUE_LENGTH
                + "; the param holds its first " + keep + " and artifact " + file + " the full value");
        return firstCodePoints(value, keep) + marker;
    }

    private String requireRun(String action) {
        if (run == null) {
            throw new IllegalStateException("cannot " + action + ": no MLflow run was started (call startNewRun first)");
        }
        return run.id();
    }

    private static String checkArtifactPath(String artifactPath) {
        if (artifactPath == null || artifactPath.isEmpty()) {
            return "";
        }
        String path = artifactPath.replace('\\', '/');
        if (path.startsWith("/") || Stream.of(path.split("/")).anyMatch(".."::equals)) {
            throw new TrackingException("artifact path '" + artifactPath + "' must be a relative path inside the "
                    + "run's artifacts (no leading '/', no '..')");
        }
        return path.replaceAll("/+$", "");
    }

    private static String join(String directory, String name) {
        return directory.isEmpty() ? name : directory + "/" + name;
    }

    private static String firstCodePoints(String text, int count) {
        return text.substring(0, text.offsetByCodePoints(0, count));
    }

    private void warn(String message) {
        options.warnings().println("[tracking] MLflow: " + Secrets.redactEnvironmentSecrets(message));
        options.warnings().flush();
    }
}
