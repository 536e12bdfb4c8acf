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

/**
 * Prints the run's lifecycle, params, tags and artifacts as readable lines on standard output,
 * visible by default. Params and tags whose key or value looks like a credential are masked.
 */
public class StdOutTracker implements RunTracker {
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

    @Override
    public void logParams(Map<String, String> params) {
        params.forEach(this::logParam);
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

    private void print(String line) {
        out.println("[tracking] " + Secrets.redactEnvironmentSecrets(line));
        out.flush();
    }
}
