package de.monticore.mlpipelines.tracking.backend.stdout;

import de.monticore.mlpipelines.tracking.secret.Secrets;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;

import java.io.File;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prints the run's lifecycle, params, tags and artifacts as readable lines on standard output,
 * visible by default; the params (and the tags) of one call as one block, sorted by key. Params and tags whose key or value looks like a credential are masked.
 */
public class StdOutTracker implements RunTracker {
    /** Width after which a params or tags block goes on in the next line. */
    public static final int BLOCK_WIDTH = 100;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    private final StdOutConfig config;
    private final PrintStream out;
    private Instant runStart;

    public StdOutTracker(StdOutConfig config) {
        this(config, System.out);
    }

    /** A tracker printing to the given stream instead of standard output. */
    public StdOutTracker(StdOutConfig config, PrintStream out) {
        this.config = config;
        this.out = out;
    }

    @Override
    public void startNewRun() {
        runStart = Instant.now();
        print("run of experiment '" + config.experimentName() + "' started at " + TIME.format(runStart));
    }

    @Override
    public void endRun(RunStatus status) {
        if (runStart == null) {
            return;
        }
        Duration took = Duration.between(runStart, Instant.now());
        print("run ended " + status + " after " + String.format("%.1f s", took.toMillis() / 1000.0));
        runStart = null;
    }

    @Override
    public void logParam(String key, String value) {
        print("param " + key + " = " + Secrets.maskIfSecret(key, value));
    }

    /** One block: {@code params: a = 1, b = 2}, wrapped into lines of about {@value #BLOCK_WIDTH} characters. */
    @Override
    public void logParams(Map<String, String> params) {
        printBlock("params", params);
    }

    /** One block, like {@link #logParams}. */
    @Override
    public void logTags(Map<String, String> tags) {
        printBlock("tags", tags);
    }

    @Override
    public void logMetric(String key, double value, long timestampMillis, long step) {
        print("metric " + key + " = " + value + " (step " + step + ")");
    }

    @Override
    public void logTag(String key, String value) {
        print("tag " + key + " = " + Secrets.maskIfSecret(key, value));
    }

    @Override
    public void logArtifact(File localFile, String artifactPath) {
        String target = artifactPath == null || artifactPath.isEmpty() ? "" : artifactPath + "/";
        print("artifact " + target + localFile.getName() + (localFile.isDirectory() ? "/ (directory)" : ""));
    }

    @Override
    public Map<String, String> getPythonParams() {
        return config.pythonOptions();
    }

    private void printBlock(String kind, Map<String, String> entries) {
        if (entries.size() == 1) {
            Map.Entry<String, String> only = entries.entrySet().iterator().next();
            print(kind.substring(0, kind.length() - 1) + " " + only.getKey() + " = "
                    + Secrets.maskIfSecret(only.getKey(), only.getValue()));
            return;
        }
        if (entries.isEmpty()) {
            return;
        }
        StringBuilder line = new StringBuilder(kind + ":");
        String separator = " ";
        for (Map.Entry<String, String> entry : new TreeMap<>(entries).entrySet()) {
            String pair = entry.getKey() + " = " + Secrets.maskIfSecret(entry.getKey(), entry.getValue());
            if (line.length() + pair.length() > BLOCK_WIDTH && line.length() > kind.length() + 1) {
                print(line.append(",").toString());
                line = new StringBuilder(" ".repeat(kind.length() + 1));
                separator = " ";
            }
            line.append(separator).append(pair);
            separator = ", ";
        }
        print(line.toString());
    }

    private void print(String line) {
        out.println("[tracking] " + Secrets.redactEnvironmentSecrets(line));
        out.flush();
    }
}
