package de.monticore.mlpipelines.tracking.tracker;

import de.monticore.mlpipelines.tracking.TrackingException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MultiBackendTrackerTest {
    private final ByteArrayOutputStream errorBytes = new ByteArrayOutputStream();
    private final PrintStream errors = new PrintStream(errorBytes, true, StandardCharsets.UTF_8);
    private final RecordingTracker first = new RecordingTracker(Map.of("stdout_experiment_name", "digits"));
    private final RecordingTracker second = new RecordingTracker(Map.of("csv_dir", "runs/csv", "csv_run_name", "run_1"));

    @TempDir
    Path tempDir;

    private MultiBackendTracker tracker(List<String> blacklist, Map<String, String> manualTags) {
        Map<String, RunTracker> trackers = new LinkedHashMap<>();
        trackers.put("STDOUT", first);
        trackers.put("CSV", second);
        return new MultiBackendTracker(trackers, blacklist.stream().map(Pattern::compile).toList(), manualTags, errors);
    }

    private MultiBackendTracker tracker() {
        return tracker(List.of(), Map.of());
    }

    private String errorOutput() {
        return errorBytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aSecretLookingParamOrTagReachesEveryBackendMasked() {
        Map<String, String> manualTags = new LinkedHashMap<>();
        manualTags.put("api_token", "tok-from-env");
        manualTags.put("team", "vision");
        MultiBackendTracker tracker = tracker(List.of(), manualTags);
        tracker.startNewRun();
        tracker.logParam("db_password", "hunter2");
        tracker.logParams(Map.of("MLFLOW_TRACKING_TOKEN", "abc"));
        tracker.logTag("auth", "Bearer xyz");
        tracker.logPersistentTag("private_key", "-----BEGIN");
        tracker.logParam("tokenizer_vocab_size", "3000");
        List<String> expected = List.of("startNewRun", "tag api_token=********", "tag team=vision",
                "param db_password=********", "param MLFLOW_TRACKING_TOKEN=********", "tag auth=********",
                "tag private_key=********", "param tokenizer_vocab_size=3000");
        assertEquals(expected, first.calls);
        assertEquals(expected, second.calls);
    }

    @Test
    void fansEveryCallOutToEveryBackendInOrder() {
        MultiBackendTracker tracker = tracker();
        tracker.startNewRun();
        tracker.logParam("lr", "0.1");
        tracker.logMetric("loss", 0.5, 1000L, 3);
        tracker.logTag("team", "vision");
        tracker.endRun(RunStatus.FINISHED);
        tracker.cleanUpRepository();
        tracker.close();
        List<String> expected = List.of("startNewRun", "param lr=0.1", "metric loss=0.5@3", "tag team=vision",
                "endRun FINISHED", "cleanUpRepository", "close");
        assertEquals(expected, first.calls);
        assertEquals(expected, second.calls);
        assertEquals("", errorOutput());
    }

    @Test
    void aFailingBackendIsReportedAndTheOthersStillReceiveTheCall() {
        first.failWith = new TrackingException("server down");
        first.failOnlyIn = "logParam";
        MultiBackendTracker tracker = tracker();
        tracker.startNewRun();
        tracker.logParam("lr", "0.1");
        tracker.logParam("epochs", "3");
        tracker.logTag("a", "b");
        assertEquals(List.of("startNewRun", "param lr=0.1", "param epochs=3", "tag a=b"), second.calls);
        assertEquals(List.of("startNewRun", "tag a=b"), first.calls);
        assertEquals(2, tracker.getFailures().size());
        assertEquals("STDOUT", tracker.getFailures().get(0).backend());
        assertEquals("logParam(lr)", tracker.getFailures().get(0).call());
        // Reported once although it failed twice.
        assertEquals("tracking: STDOUT failed in logParam(lr): server down\n", errorOutput());
    }

    @Test
    void aBackendWhoseRunDidNotStartIsLeftOutOfThatRunOnly() {
        first.failWith = new TrackingException("cannot connect");
        first.failOnlyIn = "startNewRun";
        MultiBackendTracker tracker = tracker();
        tracker.startNewRun();
        tracker.logMetric("loss", 1.0, 1L, 0);
        tracker.endRun(RunStatus.FINISHED);
        assertEquals(List.of(), first.calls);
        assertEquals(List.of("startNewRun", "metric loss=1.0@0", "endRun FINISHED"), second.calls);
        assertEquals("tracking: STDOUT failed in startNewRun: cannot connect (left out of this run)\n", errorOutput());

        first.failWith = null;
        tracker.startNewRun();
        tracker.logMetric("loss", 2.0, 1L, 0);
        assertEquals(List.of("startNewRun", "metric loss=2.0@0"), first.calls);
    }

    @Test
    void blacklistedParamsAreNeverLogged() {
        MultiBackendTracker tracker = tracker(List.of("_.*", ".*password.*"), Map.of());
        tracker.startNewRun();
        tracker.logParam("_internal", "x");
        tracker.logParam("db_password", "hunter2");
        tracker.logParams(new LinkedHashMap<>(Map.of("lr", "0.1")));
        tracker.logPersistentParam("user_password", "secret");
        tracker.logPersistentParam("seed", "42");
        assertEquals(List.of("startNewRun", "param lr=0.1", "param seed=42"), first.calls);
        tracker.startNewRun();
        assertEquals(List.of("startNewRun", "param seed=42"), first.calls.subList(3, 5));
    }

    @Test
    void persistentDataIsReplayedAtEveryRunUntilCleared() throws Exception {
        Path notes = Files.writeString(tempDir.resolve("notes.txt"), "hello");
        MultiBackendTracker tracker = tracker(List.of(), Map.of("team", "vision"));
        tracker.logPersistentParam("dataset", "digits");
        tracker.logPersistentTag("owner", "ana");
        tracker.logPersistentArtifact(notes.toFile(), "docs");
        assertEquals(List.of(), first.calls, "nothing is logged before a run starts");

        tracker.startNewRun();
        List<String> runStart = List.of("startNewRun", "tag team=vision", "tag owner=ana", "param dataset=digits",
                "artifact docs/notes.txt: hello");
        assertEquals(runStart, first.calls);
        tracker.endRun(RunStatus.FINISHED);

        first.calls.clear();
        tracker.startNewRun();
        assertEquals(runStart, first.calls);

        tracker.clearPersistentData();
        first.calls.clear();
        tracker.startNewRun();
        assertEquals(List.of("startNewRun", "tag team=vision"), first.calls, "manual tags survive clearPersistentData");
    }

    @Test
    void persistentDataAddedDuringARunIsLoggedAtOnce() {
        MultiBackendTracker tracker = tracker();
        tracker.startNewRun();
        tracker.logPersistentTag("stage", "tuning");
        tracker.logPersistentParams(Map.of("batch_size", "32"));
        assertEquals(List.of("startNewRun", "tag stage=tuning", "param batch_size=32"), first.calls);
    }

    @Test
    void logsFilesDirectoriesTextAndRenamedArtifacts() throws Exception {
        Path file = Files.writeString(tempDir.resolve("model.txt"), "weights");
        Path dir = Files.createDirectories(tempDir.resolve("plots"));
        Files.writeString(dir.resolve("a.png"), "a");
        Files.writeString(dir.resolve("b.png"), "b");
        MultiBackendTracker tracker = tracker();
        tracker.startNewRun();
        tracker.logArtifact(file.toFile(), null);
        tracker.logArtifact(dir.toFile(), "figures/epoch1");
        tracker.logTextArtifact("params: 3", "summary.md", "reports");
        tracker.logArtifact(file.toFile(), "models", "final.txt");
        tracker.logArtifact(dir.toFile(), "", "renamed_plots");
        assertEquals(List.of("startNewRun", "artifact model.txt: weights", "artifact figures/epoch1/plots: dir[a.png, b.png]",
                "artifact reports/summary.md: params: 3", "artifact models/final.txt: weights",
                "artifact renamed_plots: dir[a.png, b.png]"), second.calls);
        assertTrue(Files.exists(file), "the original is untouched");
    }

    @Test
    void stagedCopiesAreRemovedOnClose() {
        List<File> staged = new java.util.ArrayList<>();
        RunTracker capturing = new RecordingTracker() {
            @Override
            public void logArtifact(File localFile, String artifactPath) {
                staged.add(localFile);
            }
        };
        MultiBackendTracker tracker = new MultiBackendTracker(Map.of("CSV", capturing), List.of(), Map.of(), errors);
        tracker.startNewRun();
        tracker.logTextArtifact("x", "x.txt", null);
        assertTrue(staged.get(0).exists());
        tracker.close();
        assertFalse(staged.get(0).exists());
    }

    @Test
    void rejectsArtifactPathsThatEscapeTheRun() throws Exception {
        Path file = Files.writeString(tempDir.resolve("f.txt"), "x");
        MultiBackendTracker tracker = tracker();
        tracker.startNewRun();
        IllegalArgumentException up = assertThrows(IllegalArgumentException.class,
                () -> tracker.logArtifact(file.toFile(), "../outside"));
        assertEquals("artifact path '../outside' contains '..'; expected a path inside the run's artifacts", up.getMessage());
        IllegalArgumentException absolute = assertThrows(IllegalArgumentException.class,
                () -> tracker.logArtifact(file.toFile(), "/etc"));
        assertEquals("artifact path '/etc' is absolute; expected a path relative to the run's artifacts",
                absolute.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tracker.logTextArtifact("x", "../x.txt", null));
        assertThrows(IllegalArgumentException.class, () -> tracker.logArtifact(file.toFile(), null, "a/b.txt"));
        assertEquals(List.of("startNewRun"), first.calls, "nothing reached a backend");
    }

    @Test
    void rejectsAnArtifactThatDoesNotExist() {
        MultiBackendTracker tracker = tracker();
        File missing = tempDir.resolve("missing.bin").toFile();
        TrackingException error = assertThrows(TrackingException.class, () -> tracker.logArtifact(missing, null));
        assertEquals("artifact " + missing + " does not exist", error.getMessage());
        assertThrows(TrackingException.class, () -> tracker.logPersistentArtifact(missing, null));
    }

    @Test
    void mergesPythonParamsAndNamesTheBackends() {
        assertEquals(Map.of("tracking_backends", "STDOUT,CSV", "stdout_experiment_name", "digits",
                "csv_dir", "runs/csv", "csv_run_name", "run_1"), tracker().getPythonParams());
        assertEquals(List.of("csv_dir", "csv_run_name", "stdout_experiment_name", "tracking_backends"),
                List.copyOf(tracker().getPythonParams().keySet()), "sorted by key");
    }

    @Test
    void rejectsAPythonParamOutsideTheBackendsPrefix() {
        Map<String, RunTracker> trackers = new LinkedHashMap<>();
        trackers.put("CSV", second);
        trackers.put("MLFLOW", new RecordingTracker(Map.of("csv_dir", "elsewhere")));
        TrackingException error = assertThrows(TrackingException.class,
                () -> new MultiBackendTracker(trackers, List.of(), Map.of(), errors).getPythonParams());
        assertEquals("backend MLFLOW produced the Python option 'csv_dir'; expected [a-z][a-z0-9_]* starting with "
                + "'mlflow_'", error.getMessage());
    }

    @Test
    void rejectsTheSameKeyFromTwoBackends() {
        Map<String, RunTracker> trackers = new LinkedHashMap<>();
        trackers.put("TRACKING", new RecordingTracker(Map.of("tracking_backends", "X")));
        TrackingException error = assertThrows(TrackingException.class,
                () -> new MultiBackendTracker(trackers, List.of(), Map.of(), errors).getPythonParams());
        assertEquals("the Python option 'tracking_backends' is produced by both MultiBackendTracker and TRACKING",
                error.getMessage());
    }

    @Test
    void rejectsAPythonParamWithCharactersArgparseWouldNotAccept() {
        Map<String, RunTracker> trackers = Map.of("STDOUT", new RecordingTracker(Map.of("stdout_Experiment-Name", "x")));
        TrackingException error = assertThrows(TrackingException.class,
                () -> new MultiBackendTracker(trackers, List.of(), Map.of(), errors).getPythonParams());
        assertTrue(error.getMessage().startsWith("backend STDOUT produced the Python option 'stdout_Experiment-Name'"));
    }

    @Test
    void closeReachesEveryBackendEvenWhenOneThrows() {
        first.failWith = new TrackingException("already gone");
        first.failOnlyIn = "close";
        MultiBackendTracker tracker = tracker();
        tracker.close();
        assertEquals(List.of("close"), second.calls);
        assertEquals("tracking: STDOUT failed in close: already gone\n", errorOutput());
    }
    @Test
    void theOriginalShortFormsFanOutLikeTheFullOnes() {
        MultiBackendTracker tracker = tracker();
        tracker.startNewRun();
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("team", "vision");
        tags.put("stage", "tuning");
        tracker.logTags(tags);
        tracker.logTags(Map.of());
        tracker.logMetric("loss", 0.5);
        tracker.logMetric("acc", 0.9, 7);
        List<String> expected = List.of("startNewRun", "tag team=vision", "tag stage=tuning", "metric loss=0.5@0",
                "metric acc=0.9@7");
        assertEquals(expected, first.calls);
        assertEquals(expected, second.calls);
    }

    @Test
    void theShortMetricFormsAreTimestampedNowOnceForEveryBackend() {
        List<Long> timestamps = new java.util.ArrayList<>();
        RunTracker stamping = new RecordingTracker() {
            @Override
            public void logMetric(String key, double value, long timestampMillis, long step) {
                timestamps.add(timestampMillis);
            }
        };
        Map<String, RunTracker> trackers = new LinkedHashMap<>();
        trackers.put("STDOUT", stamping);
        trackers.put("CSV", stamping);
        MultiBackendTracker tracker = new MultiBackendTracker(trackers, List.of(), Map.of(), errors);
        long before = System.currentTimeMillis();
        tracker.logMetric("loss", 1.0, 3);
        long after = System.currentTimeMillis();
        assertEquals(2, timestamps.size());
        assertEquals(timestamps.get(0), timestamps.get(1), "one timestamp for every backend");
        assertTrue(timestamps.get(0) >= before && timestamps.get(0) <= after, timestamps.toString());
    }

    @Test
    void theArtifactBuilderLogsIntoTheCurrentRunOfEveryBackend() throws Exception {
        Path log = Files.writeString(tempDir.resolve("train.log"), "epoch 1");
        MultiBackendTracker tracker = tracker();
        tracker.startNewRun();
        tracker.getArtifactHandler().setArtifact(log.toFile()).setFileName("stdout").addExtension("txt")
                .setPath("logs").log();
        tracker.getArtifactHandler().setPlaintext("lr: 0.1").setFileName("summary").addExtension(".md").log();
        List<String> expected = List.of("startNewRun", "artifact logs/stdout.txt: epoch 1", "artifact summary.md: lr: 0.1");
        assertEquals(expected, first.calls);
        assertEquals(expected, second.calls);
        assertTrue(tracker.getArtifactHandler() == tracker.getArtifactHandler(), "one builder, reused");
    }

    @Test
    void theArtifactBuilderReportsAFailingBackendLikeLogArtifact() {
        first.failWith = new TrackingException("disk full");
        first.failOnlyIn = "logArtifact";
        MultiBackendTracker tracker = tracker();
        tracker.startNewRun();
        tracker.getArtifactHandler().setPlaintext("x").setFileName("x.txt").log();
        assertEquals(List.of("startNewRun", "artifact x.txt: x"), second.calls);
        assertEquals("tracking: STDOUT failed in logArtifact(x.txt): disk full\n", errorOutput());
    }

    @Test
    void removedPersistentParamsAndTagsAreNotLoggedWithLaterRuns() {
        MultiBackendTracker tracker = tracker(List.of(), Map.of("team", "vision"));
        tracker.logPersistentParam("dataset", "digits");
        tracker.logPersistentParam("seed", "42");
        tracker.logPersistentTag("owner", "ana");
        tracker.logPersistentTag("team", "nlp");
        assertTrue(tracker.removePersistentParam("seed"));
        assertFalse(tracker.removePersistentParam("seed"), "already removed");
        assertFalse(tracker.removePersistentParam("never"));
        assertTrue(tracker.removePersistentTag("team"));
        tracker.startNewRun();
        assertEquals(List.of("startNewRun", "tag team=vision", "tag owner=ana", "param dataset=digits"), first.calls,
                "the manual tag stays when the persistent one with its key is removed");
    }

    @Test
    void aPersistentArtifactIsCopiedWhenAdded() throws Exception {
        Path notes = Files.writeString(tempDir.resolve("notes.txt"), "version 1");
        Path dir = Files.createDirectories(tempDir.resolve("configs"));
        Files.writeString(dir.resolve("a.yaml"), "a");
        MultiBackendTracker tracker = tracker();
        tracker.logPersistentArtifact(notes.toFile(), "docs");
        tracker.logPersistentArtifact(dir.toFile(), null);
        Files.writeString(notes, "version 2");
        Files.writeString(dir.resolve("b.yaml"), "b");

        tracker.startNewRun();
        List<String> runStart = List.of("startNewRun", "artifact docs/notes.txt: version 1",
                "artifact configs: dir[a.yaml]");
        assertEquals(runStart, first.calls);
        tracker.endRun(RunStatus.FINISHED);

        Files.delete(notes);
        first.calls.clear();
        tracker.startNewRun();
        assertEquals(runStart, first.calls, "a deleted original breaks no later run");
        assertEquals("", errorOutput());
    }

    @Test
    void persistentCopiesAreRemovedByClearAndByClose() throws Exception {
        List<File> logged = new java.util.ArrayList<>();
        RunTracker capturing = new RecordingTracker() {
            @Override
            public void logArtifact(File localFile, String artifactPath) {
                logged.add(localFile);
            }
        };
        Path notes = Files.writeString(tempDir.resolve("notes.txt"), "x");
        MultiBackendTracker tracker = new MultiBackendTracker(Map.of("CSV", capturing), List.of(), Map.of(), errors);
        tracker.startNewRun();
        tracker.logPersistentArtifact(notes.toFile(), null);
        tracker.clearPersistentData();
        assertFalse(logged.get(0).exists());
        assertFalse(logged.get(0).getParentFile().exists());
        tracker.logPersistentArtifact(notes.toFile(), null);
        assertTrue(logged.get(1).exists());
        tracker.close();
        assertFalse(logged.get(1).exists());
        assertTrue(Files.exists(notes), "the original is untouched");
    }

    @Test
    void closeCleansUpOnceBeforeClosingTheBackends() {
        MultiBackendTracker tracker = tracker();
        tracker.startNewRun();
        tracker.endRun(RunStatus.FAILED);
        tracker.close();
        assertEquals(List.of("startNewRun", "endRun FAILED", "cleanUpRepository", "close"), first.calls);
        assertEquals(List.of("startNewRun", "endRun FAILED", "cleanUpRepository", "close"), second.calls);
    }

    @Test
    void closeSkipsTheCleanUpTheLauncherAlreadyDid() {
        MultiBackendTracker tracker = tracker();
        tracker.startNewRun();
        tracker.endRun(RunStatus.FINISHED);
        tracker.cleanUpRepository();
        tracker.close();
        tracker.close();
        assertEquals(List.of("startNewRun", "endRun FINISHED", "cleanUpRepository", "close", "close"), first.calls);

        first.calls.clear();
        tracker.startNewRun();
        tracker.endRun(RunStatus.FINISHED);
        tracker.close();
        assertEquals(List.of("startNewRun", "endRun FINISHED", "cleanUpRepository", "close"), first.calls,
                "a new run needs a new clean-up");
    }

    @Test
    void closeEndsARunStillRunningAsKilledBeforeCleaningUp() {
        MultiBackendTracker tracker = tracker();
        tracker.startNewRun();
        tracker.close();
        assertEquals(List.of("startNewRun", "endRun KILLED", "cleanUpRepository", "close"), first.calls);
    }

    @Test
    void withoutBackendsEveryCallIsAcceptedAndLogsNothing() throws Exception {
        Path notes = Files.writeString(tempDir.resolve("notes.txt"), "x");
        MultiBackendTracker tracker = new MultiBackendTracker(Map.of(), List.of(Pattern.compile("_.*")),
                Map.of("team", "vision"), errors);
        assertEquals(Map.of("tracking_backends", ""), tracker.getPythonParams());
        tracker.logPersistentParam("seed", "42");
        tracker.logPersistentArtifact(notes.toFile(), "docs");
        tracker.startNewRun();
        tracker.logParam("lr", "0.1");
        tracker.logParams(Map.of("epochs", "3"));
        tracker.logMetric("loss", 0.5);
        tracker.logTags(Map.of("a", "b"));
        tracker.logArtifact(notes.toFile(), "docs");
        tracker.getArtifactHandler().setPlaintext("x").setFileName("x.txt").log();
        tracker.endRun(RunStatus.FINISHED);
        tracker.cleanUpRepository();
        assertEquals(Map.of(), tracker.getRunLocations());
        tracker.close();
        assertEquals(List.of(), tracker.getFailures());
        assertEquals("", errorOutput());
        IllegalArgumentException badPath = assertThrows(IllegalArgumentException.class,
                () -> tracker.logArtifact(notes.toFile(), "../up"));
        assertEquals("artifact path '../up' contains '..'; expected a path inside the run's artifacts",
                badPath.getMessage());
    }
}
