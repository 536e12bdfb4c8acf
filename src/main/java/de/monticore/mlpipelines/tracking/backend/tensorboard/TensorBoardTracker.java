package de.monticore.mlpipelines.tracking.backend.tensorboard;

import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.artifact.LocalArtifacts;
import de.monticore.mlpipelines.tracking.rundir.RunDirectories;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;

import java.io.File;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Keeps each run as a TensorBoard run directory {@code <log_dir>/run_<N>/}. The Python half writes
 * its scalars there (its own event writer); this half writes its own event file next to them with
 * <ul>
 *   <li>the params as one text summary {@code params} and the tags as one text summary
 *       {@code tags}: a two-column Markdown table (key, value), sorted by key. The full table is
 *       written again, at the next step (0, 1, 2, ...), whenever a call changes it, so the Text
 *       tab's newest entry is always complete. One table reads better than one card per key, and
 *       a batch ({@link #logParams}) is a single revision.</li>
 *   <li>the params again for TensorBoard's HParams dashboard (a session start of its {@code hparams}
 *       plugin, numbers and booleans typed), and at {@link #endRun} the session's end (FINISHED is a
 *       success, FAILED and KILLED a failure); the dashboard lists each run with its params and the
 *       last value of every scalar in it, the Python half's metrics included.</li>
 *   <li>metrics logged from Java as scalar summaries, like the Python half's.</li>
 * </ul>
 * Artifacts are copied into {@code artifacts/} of the run directory, where TensorBoard ignores them.
 *
 * <p>Logging without a running run is a caller bug and throws {@link IllegalStateException}; a
 * file-system failure throws {@link TrackingException} naming the path. The methods are thread-safe.
 */
public class TensorBoardTracker implements RunTracker {
    /** The label under which {@link #getRunLocations()} reports the run directory. */
    public static final String LOCATION_LABEL = "TensorBoard";
    /** The text summary tag of the params table. */
    public static final String PARAMS_TAG = "params";
    /** The text summary tag of the tags table. */
    public static final String TAGS_TAG = "tags";

    private static final String CONFIG_KEY = "backends.tensorboard.log_dir";

    private final TensorBoardConfig config;
    private Path runDirectory;
    private Path lastRunDirectory;
    private EventFileWriter writer;
    private final Map<String, String> params = new TreeMap<>();
    private final Map<String, String> tags = new TreeMap<>();
    private long paramsRevision;
    private long tagsRevision;

    /** A tracker writing below {@code config.logDir()}; nothing is touched before {@link #startNewRun()}. */
    public TensorBoardTracker(TensorBoardConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Claims the next {@code run_<N>} directory and opens a new event file in it. A run still
     * running is ended first.
     *
     * @throws TrackingException when the log directory is a file, cannot be created or is not writable
     */
    @Override
    public synchronized void startNewRun() {
        close();
        Path claimed = RunDirectories.claimNext(config.logDir(), CONFIG_KEY);
        writer = EventFileWriter.create(claimed);
        runDirectory = claimed;
        lastRunDirectory = claimed;
        params.clear();
        tags.clear();
        paramsRevision = 0;
        tagsRevision = 0;
    }

    /**
     * Closes the run's event file. TensorBoard has no run status, so {@code status} is not
     * recorded. Without a running run this does nothing.
     *
     * @throws IllegalArgumentException when {@code status} is not terminal (RUNNING, SCHEDULED)
     */
    @Override
    public synchronized void endRun(RunStatus status) {
        if (!status.isTerminal()) {
            throw new IllegalArgumentException("a run ends as " + RunStatus.terminalChoices() + ", not " + status);
        }
        if (writer != null) {
            try {
                writer.writeHParamsEnd(status == RunStatus.FINISHED, paramsRevision, nowSeconds());
            } finally {
                close();
            }
        }
    }

    @Override
    public synchronized void logParam(String key, String value) {
        logParams(entry(key, value));
    }

    /** Adds the params and writes the params table once if anything changed. */
    @Override
    public synchronized void logParams(Map<String, String> newParams) {
        EventFileWriter events = activeWriter("logParams");
        if (mergeChanged(params, newParams)) {
            double now = nowSeconds();
            events.writeHParams(params, paramsRevision, now);
            events.writeText(PARAMS_TAG, markdownTable(params), paramsRevision++, now);
        }
    }

    /** Sets the tag and writes the tags table if it changed. */
    @Override
    public synchronized void logTag(String key, String value) {
        mergeTags("logTag", entry(key, value));
    }

    /** Sets the tags and writes the tags table once if anything changed: one Text entry per batch. */
    @Override
    public synchronized void logTags(Map<String, String> newTags) {
        mergeTags("logTags", newTags);
    }

    private void mergeTags(String operation, Map<String, String> newTags) {
        EventFileWriter events = activeWriter(operation);
        if (mergeChanged(tags, newTags)) {
            events.writeText(TAGS_TAG, markdownTable(tags), tagsRevision++, nowSeconds());
        }
    }

    /** Writes a scalar summary; TensorBoard stores it as a 32-bit float. */
    @Override
    public synchronized void logMetric(String key, double value, long timestampMillis, long step) {
        Objects.requireNonNull(key, "metric key");
        activeWriter("logMetric").writeScalar(key, (float) value, step, timestampMillis / 1000.0);
    }

    /** Copies the file or directory to {@code artifacts/<artifactPath>/} of the run directory. */
    @Override
    public synchronized void logArtifact(File localFile, String artifactPath) {
        Objects.requireNonNull(localFile, "artifact file");
        activeWriter("logArtifact");
        LocalArtifacts.copy(localFile, runDirectory.resolve("artifacts"), artifactPath);
    }

    /** The config's {@code tensorboard_log_dir} (absolute) and, while a run is running, {@code tensorboard_run_name}. */
    @Override
    public synchronized Map<String, String> getPythonParams() {
        Map<String, String> pythonParams = new LinkedHashMap<>(config.pythonOptions());
        if (runDirectory != null) {
            pythonParams.put("tensorboard_run_name", runDirectory.getFileName().toString());
        }
        return pythonParams;
    }

    /** {@code TensorBoard} to the directory of the current or last run; empty before the first run. */
    @Override
    public synchronized Map<String, String> getRunLocations() {
        return lastRunDirectory == null ? Map.of() : Map.of(LOCATION_LABEL, lastRunDirectory.toString());
    }

    /** The directory of the running run, or null. */
    public synchronized Path getRunDirectory() {
        return runDirectory;
    }

    /** Closes the event file of a running run. */
    @Override
    public synchronized void close() {
        if (writer == null) {
            return;
        }
        try {
            writer.close();
        } finally {
            writer = null;
            runDirectory = null;
        }
    }

    /**
     * A Markdown table {@code | key | value |} of the entries; characters Markdown would interpret
     * are backslash-escaped and line breaks become {@code <br>}, so values show as logged. The Python
     * half writes the same table ({@code mlpipelines.tracking.tensorboard.markdown_table}; a contract
     * test compares them).
     */
    public static String markdownTable(Map<String, String> entries) {
        StringBuilder table = new StringBuilder("| key | value |\n|---|---|\n");
        entries.forEach((key, value) ->
                table.append("| ").append(markdownCell(key)).append(" | ").append(markdownCell(value)).append(" |\n"));
        return table.toString();
    }

    static String markdownCell(String text) {
        StringBuilder cell = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\r') {
                continue;
            }
            if (c == '\n') {
                cell.append("<br>");
            } else {
                if ("\\|*_`[]<>#~".indexOf(c) >= 0) {
                    cell.append('\\');
                }
                cell.append(c);
            }
        }
        return cell.toString();
    }

    private EventFileWriter activeWriter(String operation) {
        if (writer == null) {
            throw new IllegalStateException("TensorBoardTracker." + operation
                    + ": no running run; call startNewRun() first (and not after endRun())");
        }
        return writer;
    }

    private static boolean mergeChanged(Map<String, String> target, Map<String, String> additions) {
        boolean changed = false;
        for (Map.Entry<String, String> addition : additions.entrySet()) {
            String key = Objects.requireNonNull(addition.getKey(), "key");
            String value = Objects.requireNonNull(addition.getValue(), () -> "value of '" + key + "'");
            changed |= !value.equals(target.put(key, value));
        }
        return changed;
    }

    private static Map<String, String> entry(String key, String value) {
        Map<String, String> single = new LinkedHashMap<>();
        single.put(key, value);
        return single;
    }

    private static double nowSeconds() {
        return System.currentTimeMillis() / 1000.0;
    }
}
