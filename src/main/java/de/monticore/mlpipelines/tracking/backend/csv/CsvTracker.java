package de.monticore.mlpipelines.tracking.backend.csv;

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
import java.util.Map;
import java.util.Objects;

/**
 * Keeps each run as a directory of plain files, {@code <dir>/run_<N>/}, in the layout the Python
 * half writes into as well (like Lightning's CSVLogger):
 * <ul>
 *   <li>{@code run.yaml}: name, status, start_time, end_time (ms since the epoch)</li>
 *   <li>{@code params.yaml}, {@code tags.yaml}: names to values, merged and replaced atomically; a param
 *       that is a canonical number or {@code True}/{@code False} is stored typed ({@link
 *       de.monticore.mlpipelines.tracking.format.ParamValues}), other values as strings</li>
 *   <li>{@code metrics.csv}: {@code step,timestamp,key,value}, one appended line per value, values
 *       written as Python's {@code repr(float)} would</li>
 *   <li>{@code artifacts/}: copies of logged files and directories</li>
 * </ul>
 *
 * <p>Logging without a running run ({@link #startNewRun()} not called, or the run already ended)
 * is a caller bug and throws {@link IllegalStateException}; a file-system failure throws
 * {@link TrackingException} naming the path. The methods are thread-safe.
 */
public class CsvTracker implements RunTracker {
    /** The label under which {@link #getRunLocations()} reports the metrics file. */
    public static final String LOCATION_LABEL = "CSV";
    /** The metrics file's header line (without the line break). */
    public static final String METRICS_HEADER = "step,timestamp,key,value";

    private static final String CONFIG_KEY = "backends.csv.dir";

    private final CsvConfig config;
    private Path runDirectory;
    private Path lastRunDirectory;

    /** A tracker writing below {@code config.dir()}; nothing is touched before {@link #startNewRun()}. */
    public CsvTracker(CsvConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Claims the next {@code run_<N>} directory and writes {@code run.yaml} (status RUNNING) and the
     * header of {@code metrics.csv}. A run still running is ended as KILLED first.
     *
     * @throws TrackingException when the directory is a file, cannot be created or is not writable
     */
    @Override
    public synchronized void startNewRun() {
        if (runDirectory != null) {
            endRun(RunStatus.KILLED);
        }
        Path claimed = RunDirectories.claimNext(config.dir(), CONFIG_KEY);
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("name", claimed.getFileName().toString());
        run.put("status", RunStatus.RUNNING.name());
        run.put("start_time", System.currentTimeMillis());
        run.put("end_time", null);
        YamlStore.write(claimed.resolve("run.yaml"), run);
        if (!config.wide()) {
            // The wide layout's header grows with the metrics; the Python half writes it.
            ensureMetricsHeader(claimed.resolve("metrics.csv"));
        }
        runDirectory = claimed;
        lastRunDirectory = claimed;
    }

    /**
     * Records the terminal status and end time in {@code run.yaml}. Without a running run this does
     * nothing, so it is safe in cleanup code.
     *
     * @throws IllegalArgumentException when {@code status} is not terminal (RUNNING, SCHEDULED)
     */
    @Override
    public synchronized void endRun(RunStatus status) {
        if (!status.isTerminal()) {
            throw new IllegalArgumentException("a run ends as " + RunStatus.terminalChoices() + ", not " + status);
        }
        if (runDirectory == null) {
            return;
        }
        Path runFile = runDirectory.resolve("run.yaml");
        Map<String, Object> run = new LinkedHashMap<>(YamlStore.readStringMap(runFile));
        run.put("name", runDirectory.getFileName().toString());
        run.put("status", status.name());
        run.put("start_time", parseMillis(run.get("start_time")));
        run.put("end_time", System.currentTimeMillis());
        try {
            YamlStore.write(runFile, run);
        } finally {
            // Ended even when the write failed: a retry in close() would only fail the same way.
            runDirectory = null;
        }
    }

    @Override
    public void logParam(String key, String value) {
        logParams(entry(key, value));
    }

    /**
     * Adds the params to {@code params.yaml} with one read-merge-write; texts that are canonical
     * numbers or {@code True}/{@code False} are stored typed ({@link YamlStore#mergeParams}).
     */
    @Override
    public synchronized void logParams(Map<String, String> params) {
        YamlStore.mergeParams(activeRun("logParams").resolve("params.yaml"), checkedCopy(params));
    }

    @Override
    public synchronized void logTag(String key, String value) {
        YamlStore.mergeStringMap(activeRun("logTag").resolve("tags.yaml"), checkedCopy(entry(key, value)));
    }

    /** Appends one line to {@code metrics.csv}; NaN and infinities are kept ({@code nan}, {@code inf}). */
    @Override
    public synchronized void logMetric(String key, double value, long timestampMillis, long step) {
        Objects.requireNonNull(key, "metric key");
        if (config.wide()) {
            throw new TrackingException("backends.csv.layout is wide: metrics.csv is written by the training "
                    + "script (one row per step); log metric '" + key + "' from Python, or use the long layout");
        }
        Path metrics = activeRun("logMetric").resolve("metrics.csv");
        ensureMetricsHeader(metrics);
        String row = step + "," + timestampMillis + "," + csvField(key) + "," + PythonFloat.repr(value) + "\n";
        // One write with O_APPEND: lines of concurrent writers (the Python half) never interleave.
        try {
            Files.write(metrics, row.getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new TrackingException("cannot append to '" + metrics + "': " + RunDirectories.describe(e), e);
        }
    }

    /** Copies the file or directory to {@code artifacts/<artifactPath>/} of the run. */
    @Override
    public synchronized void logArtifact(File localFile, String artifactPath) {
        Objects.requireNonNull(localFile, "artifact file");
        LocalArtifacts.copy(localFile, activeRun("logArtifact").resolve("artifacts"), artifactPath);
    }

    /** The config's {@code csv_dir} (absolute) and, while a run is running, {@code csv_run_name}. */
    @Override
    public synchronized Map<String, String> getPythonParams() {
        Map<String, String> params = new LinkedHashMap<>(config.pythonOptions());
        if (runDirectory != null) {
            params.put("csv_run_name", runDirectory.getFileName().toString());
        }
        return params;
    }

    /** {@code CSV} to the metrics file of the current or last run; empty before the first run. */
    @Override
    public synchronized Map<String, String> getRunLocations() {
        if (lastRunDirectory == null) {
            return Map.of();
        }
        return Map.of(LOCATION_LABEL, lastRunDirectory.resolve("metrics.csv").toString());
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

    /**
     * Quotes a CSV field the way Python's {@code csv} module (QUOTE_MINIMAL) does: inside double
     * quotes, with quotes doubled, when it contains a comma, a quote or a line break.
     */
    static String csvField(String text) {
        if (text.indexOf(',') < 0 && text.indexOf('"') < 0 && text.indexOf('\n') < 0 && text.indexOf('\r') < 0) {
            return text;
        }
        return '"' + text.replace("\"", "\"\"") + '"';
    }

    private Path activeRun(String operation) {
        if (runDirectory == null) {
            throw new IllegalStateException("CsvTracker." + operation
                    + ": no running run; call startNewRun() first (and not after endRun())");
        }
        return runDirectory;
    }

    /** A one-entry map that, unlike Map.of, lets checkedCopy name a null value's key. */
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

    /** Writes the header when the file is new; CREATE_NEW makes exactly one writer succeed. */
    private static void ensureMetricsHeader(Path metrics) {
        if (Files.exists(metrics)) {
            return;
        }
        try {
            Files.write(metrics, (METRICS_HEADER + "\n").getBytes(StandardCharsets.US_ASCII), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException createdByOther) {
            // The Python half created it in the meantime, header included.
        } catch (IOException e) {
            throw new TrackingException("cannot create '" + metrics + "': " + RunDirectories.describe(e), e);
        }
    }

    private static Object parseMillis(Object text) {
        try {
            return text == null ? null : Long.parseLong(text.toString());
        } catch (NumberFormatException e) {
            return text;
        }
    }
}
