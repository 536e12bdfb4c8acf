package de.monticore.mlpipelines.tracking.tracker;

import de.monticore.mlpipelines.tracking.PythonOptions;
import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.artifact.ArtifactBuilder;
import de.monticore.mlpipelines.tracking.artifact.ArtifactHandler;

import de.monticore.mlpipelines.tracking.secret.Secrets;

import java.io.File;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Fans every call out to the enabled backends, in configuration order.
 *
 * <pre>{@code
 * try (MultiBackendTracker tracker = TrackerFactory.createTracker(Path.of("tracking.yaml"))) {
 *     tracker.logPersistentTag("team", "vision");
 *     tracker.startNewRun();
 *     tracker.logParams(Map.of("lr", "0.1"));
 *     tracker.logMetric("loss", 0.31, 12);
 *     tracker.getArtifactHandler().setPlaintext(report).setFileName("report").addExtension("md").log();
 *     tracker.endRun(RunStatus.FINISHED);
 * }   // close(): clean-up if not done since the run started, then every backend is closed
 * }</pre>
 *
 * <ul>
 *   <li>A backend that throws is reported on the error stream (which backend, which call, why) and
 *       recorded in {@link #getFailures()}; the other backends still receive the call. A backend whose
 *       {@code startNewRun()} failed is left out until the next run, so one outage is reported once.</li>
 *   <li>Persistent params, tags and artifacts are logged now (when a run is active) and again at every
 *       {@link #startNewRun()}; manual tags from the configuration are logged on every run and survive
 *       {@link #clearPersistentData()}. A persistent artifact is copied when it is added, so every run
 *       logs the file as it was then.</li>
 *   <li>Params whose key matches the blacklist are never logged, persistent ones included.</li>
 *   <li>A param or tag under a secret-looking key ({@link Secrets#isSecretKey}) reaches every backend as
 *       {@link Secrets#MASK}: a credential is never stored in clear.</li>
 *   <li>{@link #getPythonParams()} merges every backend's options, rejects a key two backends produce,
 *       and adds {@code tracking_backends}.</li>
 *   <li>With no backends at all (tracking off: a tracking.yaml without backends, or
 *       {@link de.monticore.mlpipelines.tracking.TrackerFactory#noTracking()}) no call reaches a backend,
 *       arguments are still checked (code behaves the same once tracking is on), persistent artifacts
 *       are not copied, and {@code tracking_backends} is the empty string.</li>
 * </ul>
 */
public class MultiBackendTracker implements RunTracker {

    /** One backend call that threw. */
    public record BackendFailure(String backend, String call, RuntimeException error) {
        @Override
        public String toString() {
            return backend + " failed in " + call + ": " + error.getMessage();
        }
    }

    private record PersistentArtifact(File file, String artifactPath) {
    }

    private final Map<String, RunTracker> trackers;
    private final ParamBlacklist blacklist;
    private final Map<String, String> manualTags;
    private final PrintStream errors;
    private final ArtifactHandler artifacts = new ArtifactHandler();
    private final ArtifactBuilder artifactBuilder = new ArtifactBuilder(artifacts, this::fanOutArtifact);

    private final Map<String, String> persistentParams = new LinkedHashMap<>();
    private final Map<String, String> persistentTags = new LinkedHashMap<>();
    private final List<PersistentArtifact> persistentArtifacts = new ArrayList<>();
    private final List<BackendFailure> failures = new ArrayList<>();
    private final Set<String> outOfRun = new HashSet<>();
    private final Set<String> reported = new HashSet<>();
    private boolean runActive;
    private boolean cleanUpPending;

    /**
     * @param trackers       backend name (as in {@code --tracking_backends}) to tracker, in order
     * @param paramBlacklist params whose key matches one of these are never logged
     * @param manualTags     tags logged on every run
     * @param errors         where backend failures are reported
     */
    public MultiBackendTracker(Map<String, RunTracker> trackers, List<Pattern> paramBlacklist,
                               Map<String, String> manualTags, PrintStream errors) {
        this.trackers = Collections.unmodifiableMap(new LinkedHashMap<>(trackers));
        this.blacklist = new ParamBlacklist(paramBlacklist);
        this.manualTags = Collections.unmodifiableMap(new LinkedHashMap<>(manualTags));
        this.errors = errors;
    }

    /** The backends, name to tracker, in configuration order. */
    public Map<String, RunTracker> getTrackers() {
        return trackers;
    }

    /** Every backend call that threw so far, in order. */
    public List<BackendFailure> getFailures() {
        return Collections.unmodifiableList(failures);
    }

    @Override
    public void startNewRun() {
        outOfRun.clear();
        cleanUpPending = true;
        for (Map.Entry<String, RunTracker> entry : trackers.entrySet()) {
            if (!call(entry.getKey(), "startNewRun", entry.getValue(), RunTracker::startNewRun)) {
                outOfRun.add(entry.getKey());
            }
        }
        runActive = true;
        Map<String, String> tags = new LinkedHashMap<>(manualTags);
        tags.putAll(persistentTags);
        logTags(tags);
        if (!persistentParams.isEmpty()) {
            logParams(persistentParams);
        }
        persistentArtifacts.forEach(artifact -> fanOutArtifact(artifact.file(), artifact.artifactPath()));
    }

    @Override
    public void endRun(RunStatus status) {
        fanOut("endRun(" + status + ")", tracker -> tracker.endRun(status));
        runActive = false;
    }

    @Override
    public void logParam(String key, String value) {
        if (!blacklist.blocks(key)) {
            String stored = Secrets.storedValue(key, value);
            fanOut("logParam(" + key + ")", tracker -> tracker.logParam(key, stored));
        }
    }

    @Override
    public void logParams(Map<String, String> params) {
        Map<String, String> allowed = Collections.unmodifiableMap(Secrets.storedValues(blacklist.filter(params)));
        if (!allowed.isEmpty()) {
            fanOut("logParams(" + allowed.size() + " params)", tracker -> tracker.logParams(allowed));
        }
    }

    @Override
    public void logMetric(String key, double value, long timestampMillis, long step) {
        fanOut("logMetric(" + key + ")", tracker -> tracker.logMetric(key, value, timestampMillis, step));
    }

    @Override
    public void logTag(String key, String value) {
        String stored = Secrets.storedValue(key, value);
        fanOut("logTag(" + key + ")", tracker -> tracker.logTag(key, stored));
    }

    /** Sets several tags of the current run, in the map's order. */
    @Override
    public void logTags(Map<String, String> tags) {
        Map<String, String> copy = Collections.unmodifiableMap(Secrets.storedValues(tags));
        if (!copy.isEmpty()) {
            fanOut("logTags(" + copy.size() + " tags)", tracker -> tracker.logTags(copy));
        }
    }

    /**
     * The fluent artifact API of the original MontiCore tracking, logging into the current run:
     * {@code getArtifactHandler().setArtifact(file).setFileName("model").addExtension("pt").setPath("models").log()}.
     * Always the same builder, emptied by each {@code log()}; see {@link ArtifactBuilder} for what
     * {@code setPlaintext}, {@code setFileName} and {@code addExtension} mean together.
     */
    public ArtifactBuilder getArtifactHandler() {
        return artifactBuilder;
    }

    /**
     * Stores a file or a directory with the current run.
     *
     * @throws IllegalArgumentException for a target path that is absolute or climbs out with '..'
     * @throws TrackingException        when the file does not exist
     */
    @Override
    public void logArtifact(File localFile, String artifactPath) {
        String target = ArtifactHandler.checkTargetPath(artifactPath);
        File staged = artifacts.stage(localFile, null);
        fanOut("logArtifact(" + localFile.getName() + ")", tracker -> tracker.logArtifact(staged, target));
    }

    /** Stores a file or a directory under another name. */
    public void logArtifact(File localFile, String artifactPath, String fileName) {
        String target = ArtifactHandler.checkTargetPath(artifactPath);
        File staged = artifacts.stage(localFile, fileName);
        fanOut("logArtifact(" + staged.getName() + ")", tracker -> tracker.logArtifact(staged, target));
    }

    /** Stores plain text as a UTF-8 file with the given name. */
    public void logTextArtifact(String content, String fileName, String artifactPath) {
        String target = ArtifactHandler.checkTargetPath(artifactPath);
        File staged = artifacts.stageText(content, fileName);
        fanOut("logArtifact(" + fileName + ")", tracker -> tracker.logArtifact(staged, target));
    }

    /** Logs a param now (if a run is active) and on every later run, until {@link #clearPersistentData()}. */
    public void logPersistentParam(String key, String value) {
        logPersistentParams(Map.of(key, value));
    }

    /** Logs params now (if a run is active) and on every later run. */
    public void logPersistentParams(Map<String, String> params) {
        Map<String, String> allowed = blacklist.filter(params);
        persistentParams.putAll(allowed);
        if (runActive && !allowed.isEmpty()) {
            logParams(allowed);
        }
    }

    /** Sets a tag now (if a run is active) and on every later run. */
    public void logPersistentTag(String key, String value) {
        persistentTags.put(key, value);
        if (runActive) {
            logTag(key, value);
        }
    }

    /** Stops logging a persistent param with later runs; true when it was one. Runs already logged keep it. */
    public boolean removePersistentParam(String key) {
        return persistentParams.remove(key) != null;
    }

    /**
     * Stops setting a persistent tag on later runs; true when it was one. A manual tag of the
     * configuration with the same key is still set.
     */
    public boolean removePersistentTag(String key) {
        return persistentTags.remove(key) != null;
    }

    /**
     * Stores an artifact now (if a run is active) and with every later run. The file or directory
     * is copied now into a staging area of this tracker (removed by {@link #clearPersistentData()}
     * and {@link #close()}): later edits or the deletion of the original change no run.
     *
     * @throws IllegalArgumentException for a target path that is absolute or climbs out with '..'
     * @throws TrackingException        when the file does not exist or cannot be copied
     */
    public void logPersistentArtifact(File localFile, String artifactPath) {
        String target = ArtifactHandler.checkTargetPath(artifactPath);
        if (!localFile.exists()) {
            throw new TrackingException("artifact " + localFile + " does not exist");
        }
        if (trackers.isEmpty()) {
            return;
        }
        File snapshot = artifacts.snapshot(localFile);
        persistentArtifacts.add(new PersistentArtifact(snapshot, target));
        if (runActive) {
            fanOutArtifact(snapshot, target);
        }
    }

    /**
     * Forgets persistent params, tags and artifacts (their copies are removed); the manual tags from
     * the configuration stay.
     */
    public void clearPersistentData() {
        persistentParams.clear();
        persistentTags.clear();
        persistentArtifacts.forEach(artifact -> artifacts.discard(artifact.file()));
        persistentArtifacts.clear();
    }

    /**
     * Deletes, in every backend, the runs in the states the configuration names. {@link #close()}
     * calls this too unless it already ran since the last {@link #startNewRun()}, so that code that
     * calls {@code cleanUpRepository()} and then {@code close()} (as the launcher does) cleans up once.
     */
    @Override
    public void cleanUpRepository() {
        cleanUpPending = false;
        for (Map.Entry<String, RunTracker> entry : trackers.entrySet()) {
            call(entry.getKey(), "cleanUpRepository", entry.getValue(), RunTracker::cleanUpRepository);
        }
    }

    /**
     * Every backend's options for the Python script plus {@code tracking_backends}, sorted by key.
     *
     * @throws TrackingException when a key breaks the rules or two backends produce the same key
     */
    @Override
    public Map<String, String> getPythonParams() {
        List<PythonOptions.BackendOptions> options = new ArrayList<>();
        trackers.forEach((backend, tracker) -> options.add(new PythonOptions.BackendOptions(backend,
                tracker.getPythonParams())));
        return new TreeMap<>(PythonOptions.merge(options));
    }

    /** Where to find the run, labelled by backend; a failing backend is reported and left out. */
    @Override
    public Map<String, String> getRunLocations() {
        Map<String, String> locations = new LinkedHashMap<>();
        for (Map.Entry<String, RunTracker> entry : trackers.entrySet()) {
            call(entry.getKey(), "getRunLocations", entry.getValue(),
                    tracker -> locations.putAll(tracker.getRunLocations()));
        }
        return locations;
    }

    /** How the last run's end stands in each backend's store; a failing backend is reported and left out. */
    @Override
    public Map<String, String> getRunEndStates() {
        Map<String, String> states = new LinkedHashMap<>();
        for (Map.Entry<String, RunTracker> entry : trackers.entrySet()) {
            call(entry.getKey(), "getRunEndStates", entry.getValue(),
                    tracker -> states.putAll(tracker.getRunEndStates()));
        }
        return states;
    }

    /**
     * Ends a run still running as KILLED, cleans up ({@link #cleanUpRepository()}) unless that already
     * ran since the last {@link #startNewRun()} (a tracker that never started a run does not clean up),
     * then closes every backend and removes staged artifacts. A second call only closes the backends
     * again, which they ignore.
     */
    @Override
    public void close() {
        if (runActive) {
            endRun(RunStatus.KILLED);
        }
        if (cleanUpPending) {
            cleanUpRepository();
        }
        for (Map.Entry<String, RunTracker> entry : trackers.entrySet()) {
            call(entry.getKey(), "close", entry.getValue(), RunTracker::close);
        }
        artifacts.close();
        runActive = false;
    }

    private void fanOutArtifact(File staged, String target) {
        fanOut("logArtifact(" + staged.getName() + ")", tracker -> tracker.logArtifact(staged, target));
    }

    private void fanOut(String call, Consumer<RunTracker> action) {
        for (Map.Entry<String, RunTracker> entry : trackers.entrySet()) {
            if (!outOfRun.contains(entry.getKey())) {
                call(entry.getKey(), call, entry.getValue(), action);
            }
        }
    }

    private boolean call(String backend, String call, RunTracker tracker, Consumer<RunTracker> action) {
        try {
            action.accept(tracker);
            return true;
        } catch (RuntimeException e) {
            BackendFailure failure = new BackendFailure(backend, call, e);
            failures.add(failure);
            // Report a repeated failure (a backend down during a metric loop) once, not per call.
            String verb = call.contains("(") ? call.substring(0, call.indexOf('(')) : call;
            if (reported.add(backend + '\n' + verb + '\n' + e.getMessage())) {
                errors.println("tracking: " + failure
                        + (call.equals("startNewRun") ? " (left out of this run)" : ""));
            }
            return false;
        }
    }
}
