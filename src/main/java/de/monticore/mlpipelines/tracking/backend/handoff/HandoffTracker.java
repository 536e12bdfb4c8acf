package de.monticore.mlpipelines.tracking.backend.handoff;

import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.artifact.LocalArtifacts;
import de.monticore.mlpipelines.tracking.format.PythonFloat;
import de.monticore.mlpipelines.tracking.rundir.RunDirectories;
import de.monticore.mlpipelines.tracking.rundir.YamlStore;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The Java half of a backend whose service has no Java API (W&B, Comet, DVCLive): it prepares the
 * run's identity and hands what Java logs to the Python half through the run directory
 * {@code <dir>/run_<N>/}, which the Python half logs into the vendor's run when it starts:
 * <ul>
 *   <li>{@value #RUN_FILE}: name, backend, status, start and end time (ms), and the identity the
 *       Python half gets as options (run id, project, mode)</li>
 *   <li>{@value #PARAMS_FILE}, {@value #TAGS_FILE}: string to string, merged atomically</li>
 *   <li>{@value #METRICS_FILE}: metrics logged from Java, {@code step,timestamp,key,value}</li>
 *   <li>{@value #ARTIFACTS_DIRECTORY}/: copies of logged files and directories</li>
 *   <li>{@value #LOCATION_FILE}: written by the Python half, where the vendor's run is (its URL or
 *       id, its files, how to sync it); {@link #getRunLocations()} reports it</li>
 * </ul>
 * What Java logs after the training script has started (the launcher's {@code failure_reason} tag
 * and stderr tail of a failed run, the end status) stays in these files, next to the vendor's.
 *
 * <p>Logging without a running run is a caller bug and throws {@link IllegalStateException}; a
 * file-system failure throws {@link TrackingException} naming the path. The methods are thread-safe.
 */
public abstract class HandoffTracker implements RunTracker {
    /** The run's identity and status. */
    public static final String RUN_FILE = "run.yaml";
    /** Params Java logged, for the Python half. */
    public static final String PARAMS_FILE = "params.yaml";
    /** Tags Java logged, for the Python half. */
    public static final String TAGS_FILE = "tags.yaml";
    /** Metrics Java logged, for the Python half. */
    public static final String METRICS_FILE = "java-metrics.csv";
    /** Artifacts Java logged, for the Python half. */
    public static final String ARTIFACTS_DIRECTORY = "artifacts";
    /** Where the Python half says the vendor's run is. */
    public static final String LOCATION_FILE = "location.yaml";

    private static final String METRICS_HEADER = "step,timestamp,key,value\n";

    private final String backend;
    private final Path parent;
    private Path runDirectory;
    private Path lastRunDirectory;
    private Map<String, String> identity = Map.of();
    private Map<String, String> lastIdentity = Map.of();

    /**
     * @param backend the backend's name ({@code WANDB}); its options start with its lower case and {@code _}
     * @param parent  the directory holding one sub-directory per run (tracking.yaml's {@code dir})
     */
    protected HandoffTracker(String backend, Path parent) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.parent = Objects.requireNonNull(parent, "parent");
    }

    /**
     * The environment variable holding the service's credential; its presence makes mode {@code auto} online.
     * The Python half names the same variable ({@code VendorTracker.credential_variable}).
     */
    public abstract String credentialVariable();

    /** The config's options for the Python half ({@code BackendConfig.pythonOptions()}). */
    protected abstract Map<String, String> configOptions();

    /**
     * The identity of a new run, as Python options without the run name (a run id, the resolved
     * mode); also recorded in {@value #RUN_FILE} without the prefix.
     *
     * @throws TrackingException when the run cannot be started (online mode without credentials)
     */
    protected abstract Map<String, String> newRunIdentity();

    /**
     * Summary lines of the last run, label to text, from its directory, its identity (the options of
     * {@link #newRunIdentity()}) and what the Python half wrote to {@value #LOCATION_FILE} (empty
     * when the Python half never started the vendor's run).
     */
    protected abstract Map<String, String> describe(Path runDirectory, Map<String, String> identity,
                                                    Map<String, String> location);

    /**
     * Resolves the run's identity, claims the next {@code run_<N>} directory and writes
     * {@value #RUN_FILE} (status RUNNING). A run still running is ended as KILLED first.
     *
     * @throws TrackingException when the mode cannot be used, or the directory is a file, cannot be
     *                           created or is not writable
     */
    @Override
    public synchronized void startNewRun() {
        if (runDirectory != null) {
            endRun(RunStatus.KILLED);
        }
        Map<String, String> newIdentity = Map.copyOf(newRunIdentity());
        Path claimed = RunDirectories.claimNext(parent, "backends." + backend.toLowerCase(Locale.ROOT) + ".dir");
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("name", claimed.getFileName().toString());
        run.put("backend", backend);
        newIdentity.forEach((key, value) -> run.put(key.substring(prefix().length()), value));
        run.put("status", RunStatus.RUNNING.name());
        run.put("start_time", System.currentTimeMillis());
        run.put("end_time", null);
        YamlStore.write(claimed.resolve(RUN_FILE), run);
        runDirectory = claimed;
        lastRunDirectory = claimed;
        identity = newIdentity;
        lastIdentity = newIdentity;
    }

    /**
     * Records the terminal status and end time in {@value #RUN_FILE}; the vendor's run was ended by
     * the Python half. Without a running run this does nothing.
     *
     * @throws IllegalArgumentException when {@code status} is not terminal
     */
    @Override
    public synchronized void endRun(RunStatus status) {
        if (!status.isTerminal()) {
            throw new IllegalArgumentException("a run ends as " + RunStatus.terminalChoices() + ", not " + status);
        }
        if (runDirectory == null) {
            return;
        }
        Path runFile = runDirectory.resolve(RUN_FILE);
        Map<String, Object> run = new LinkedHashMap<>(YamlStore.readStringMap(runFile));
        run.put("status", status.name());
        run.put("start_time", parseMillis(run.get("start_time")));
        run.put("end_time", System.currentTimeMillis());
        try {
            YamlStore.write(runFile, run);
        } finally {
            runDirectory = null;
            identity = Map.of();
        }
    }

    @Override
    public void logParam(String key, String value) {
        logParams(entry(key, value));
    }

    /** Adds the params to {@value #PARAMS_FILE}. */
    @Override
    public synchronized void logParams(Map<String, String> params) {
        YamlStore.mergeStringMap(activeRun("logParams").resolve(PARAMS_FILE), checkedCopy(params));
    }

    /** Sets the tag in {@value #TAGS_FILE}. */
    @Override
    public synchronized void logTag(String key, String value) {
        YamlStore.mergeStringMap(activeRun("logTag").resolve(TAGS_FILE), checkedCopy(entry(key, value)));
    }

    /** Appends one line to {@value #METRICS_FILE}. */
    @Override
    public synchronized void logMetric(String key, double value, long timestampMillis, long step) {
        Objects.requireNonNull(key, "metric key");
        Path metrics = activeRun("logMetric").resolve(METRICS_FILE);
        String row = step + "," + timestampMillis + "," + csvField(key) + "," + PythonFloat.repr(value) + "\n";
        try {
            try {
                Files.writeString(metrics, METRICS_HEADER + row, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException exists) {
                Files.writeString(metrics, row, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            throw new TrackingException("cannot append to '" + metrics + "': " + RunDirectories.describe(e), e);
        }
    }

    /** Copies the file or directory to {@value #ARTIFACTS_DIRECTORY}{@code /<artifactPath>/} of the run. */
    @Override
    public synchronized void logArtifact(File localFile, String artifactPath) {
        Objects.requireNonNull(localFile, "artifact file");
        LocalArtifacts.copy(localFile, activeRun("logArtifact").resolve(ARTIFACTS_DIRECTORY), artifactPath);
    }

    /** The config's options and, while a run is running, {@code <prefix>run_name} and the run's identity. */
    @Override
    public synchronized Map<String, String> getPythonParams() {
        Map<String, String> params = new LinkedHashMap<>(configOptions());
        if (runDirectory != null) {
            params.put(prefix() + "run_name", runDirectory.getFileName().toString());
            params.putAll(identity);
        }
        return params;
    }

    /**
     * The last run, for the summary and the JSON summary: its id or URL, where its files are and how
     * to sync them (see {@link #describe}); empty before the first run.
     */
    @Override
    public synchronized Map<String, String> getRunLocations() {
        if (lastRunDirectory == null) {
            return Map.of();
        }
        Map<String, String> location;
        try {
            location = YamlStore.readStringMap(lastRunDirectory.resolve(LOCATION_FILE));
        } catch (TrackingException unreadable) {
            location = Map.of();
        }
        return describe(lastRunDirectory, lastIdentity, location);
    }

    /** The directory of the running run, or null. */
    public synchronized Path getRunDirectory() {
        return runDirectory;
    }

    /** Ends a still running run as KILLED. */
    @Override
    public synchronized void close() {
        if (runDirectory != null) {
            endRun(RunStatus.KILLED);
        }
    }

    /** The backend's option prefix, {@code wandb_}. */
    protected final String prefix() {
        return backend.toLowerCase(Locale.ROOT) + "_";
    }

    private Path activeRun(String operation) {
        if (runDirectory == null) {
            throw new IllegalStateException(getClass().getSimpleName() + "." + operation
                    + ": no running run; call startNewRun() first (and not after endRun())");
        }
        return runDirectory;
    }

    private static String csvField(String text) {
        if (text.indexOf(',') < 0 && text.indexOf('"') < 0 && text.indexOf('\n') < 0 && text.indexOf('\r') < 0) {
            return text;
        }
        return '"' + text.replace("\"", "\"\"") + '"';
    }

    private static Map<String, String> entry(String key, String value) {
        Map<String, String> single = new LinkedHashMap<>();
        single.put(key, value);
        return single;
    }

    private static Map<String, String> checkedCopy(Map<String, String> entries) {
        Map<String, String> copy = new LinkedHashMap<>();
        entries.forEach((key, value) -> copy.put(Objects.requireNonNull(key, "key"),
                Objects.requireNonNull(value, () -> "value of '" + key + "'")));
        return copy;
    }

    private static Object parseMillis(Object text) {
        try {
            return text == null ? null : Long.parseLong(text.toString());
        } catch (NumberFormatException e) {
            return text;
        }
    }
}
