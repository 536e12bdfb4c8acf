package de.monticore.mlpipelines.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import de.monticore.mlpipelines.generator.StdOutOnlyRuntime;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingLauncherTest {
    private static final List<String> CLOSING_CALLS = List.of("endRun", "getRunLocations", "cleanUpRepository", "close");

    @TempDir
    Path temp;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    private final List<TrainingLauncher> launchers = new java.util.ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void closeLaunchers() {
        launchers.forEach(TrainingLauncher::close);
    }

    private TrainingLauncher launcher(Duration grace) {
        return track(new TrainingLauncher(StdOutOnlyRuntime.python(), new PrintStream(stdout, true, StandardCharsets.UTF_8),
                new PrintStream(stderr, true, StandardCharsets.UTF_8), grace));
    }

    private TrainingLauncher track(TrainingLauncher launcher) {
        launchers.add(launcher);
        return launcher;
    }

    private TrainingJob job(String python) throws IOException {
        Path script = Files.writeString(temp.resolve("train.py"), python, StandardCharsets.UTF_8);
        Path experiment = Files.writeString(temp.resolve("digits.yaml"), "name: digits\n");
        return new TrainingJob(script, experiment, Map.of("epochs", "3", "learning_rate", "0.1"));
    }

    private String out() {
        return stdout.toString(StandardCharsets.UTF_8);
    }

    @Test
    void exitZeroFinishesTheRunAfterLoggingParamsArtifactsAndArgvInOrder() throws IOException {
        Path argvFile = temp.resolve("argv.json");
        String script = """
                import json, os, sys
                with open(%s, "w", encoding="utf-8") as f:
                    json.dump({"argv": sys.argv[1:], "params_logged": os.environ.get("MLPIPELINES_PARAMS_LOGGED"),
                               "unbuffered": os.environ.get("PYTHONUNBUFFERED")}, f)
                print("training output line")
                """.formatted(new ObjectMapper().writeValueAsString(argvFile.toString()));
        Map<String, String> pythonParams = Map.of(
                "stdout_experiment_name", "it's \"a\" name\nwith a newline, $(touch pwned) and Ziffern 数字",
                "csv_run_name", "run_1", "tracking_backends", "STDOUT,CSV", "csv_dir", "runs/my csv");
        RecordingTracker tracker = new RecordingTracker(pythonParams);

        TrainingJob plain = job(script);
        TrainingJob job = new TrainingJob(plain.script(), plain.experimentFile(), plain.hyperparameters(),
                Map.of("learning_rate", "0.1", "epochs", "3"), "params_logged_by_launcher");
        LaunchResult result = launcher(Duration.ofSeconds(5)).launch(tracker, job);

        assertEquals(RunStatus.FINISHED, result.status(), stderr.toString());
        assertEquals(0, result.exitCode());
        assertEquals(0, result.commandExitCode());
        assertNull(result.failureReason());
        assertEquals(List.of("startNewRun", "getPythonParams", "logParams", "logArtifact", "logArtifact",
                "endRun", "getRunLocations", "cleanUpRepository", "close"), tracker.calls);
        assertEquals(RunStatus.FINISHED, tracker.endStatus);
        assertEquals(Map.of("epochs", "3", "learning_rate", "0.1"), tracker.params);
        assertEquals("name: digits\n", tracker.artifacts.get("experiment/digits.yaml"));
        assertTrue(tracker.artifacts.get("experiment/train.py").startsWith("import json"));
        assertTrue(out().contains("training output line\n"), out());

        Map<?, ?> seen = new ObjectMapper().readValue(argvFile.toFile(), Map.class);
        assertEquals(List.of("--csv_dir=runs/my csv", "--csv_run_name=run_1", "--epochs=3", "--learning_rate=0.1",
                "--stdout_experiment_name=" + pythonParams.get("stdout_experiment_name"),
                "--tracking_backends=STDOUT,CSV",
                "--tracking_journal=" + plain.script().toAbsolutePath().getParent().resolve("metrics.journal"),
                "--params_logged_by_launcher"), seen.get("argv"));
        assertNull(seen.get("params_logged"), "the script learns it from its argv, not from the environment");
        assertEquals("1", seen.get("unbuffered"));
        assertFalse(Files.exists(temp.resolve("pwned")));
        assertEquals(Map.of("csv_run_name", "run_1"), result.runIds());
        assertEquals(Map.of("CSV file", "runs/csv/run_1/metrics.csv"), result.locations());
    }

    @Test
    void nonZeroExitFailsTheRunWithReasonTagAndStderrTail() throws IOException {
        RecordingTracker tracker = new RecordingTracker(Map.of());
        LaunchResult result = launcher(Duration.ofSeconds(5)).launch(tracker, job("""
                import sys
                print("first problem line", file=sys.stderr)
                print("last words before exit 3", file=sys.stderr)
                sys.exit(3)
                """));
        assertEquals(RunStatus.FAILED, result.status());
        assertEquals(1, result.commandExitCode());
        assertEquals("exit code 3: last words before exit 3", tracker.tags.get("failure_reason"));
        assertEquals("first problem line\nlast words before exit 3\n", tracker.artifacts.get("logs/stderr_tail.txt"));
        assertEquals(RunStatus.FAILED, tracker.endStatus);
        assertEquals(CLOSING_CALLS, tracker.calls.subList(tracker.calls.size() - 4, tracker.calls.size()));
        assertTrue(stderr.toString(StandardCharsets.UTF_8).contains("last words before exit 3"), "stderr is streamed");
    }

    @Test
    void anExceptionInTheScriptFailsTheRunWithTheTraceback() throws IOException {
        RecordingTracker tracker = new RecordingTracker(Map.of());
        LaunchResult result = launcher(Duration.ofSeconds(5)).launch(tracker, job("raise RuntimeError('diverged')\n"));
        assertEquals(RunStatus.FAILED, result.status());
        assertEquals("exit code 1: RuntimeError: diverged", tracker.tags.get("failure_reason"));
        assertTrue(tracker.artifacts.get("logs/stderr_tail.txt").endsWith("RuntimeError: diverged\n"),
                tracker.artifacts.toString());
    }

    @Test
    void theFailureReasonQuotesTheExceptionLineEvenWhenOutputFollowsTheTraceback() throws IOException {
        RecordingTracker tracker = new RecordingTracker(Map.of());
        LaunchResult result = launcher(Duration.ofSeconds(5)).launch(tracker, job("""
                import atexit, sys
                atexit.register(lambda: print("[tracking] closed 2 backends", file=sys.stderr))

                def load(shape):
                    try:
                        raise KeyError("rows")
                    except KeyError as missing:
                        raise ValueError(f"bad shape {shape}: größe\\nsecond line") from missing

                load((3, 4))
                """));
        assertEquals(RunStatus.FAILED, result.status());
        assertEquals("exit code 1: ValueError: bad shape (3, 4): größe", result.failureReason());
        assertEquals(result.failureReason(), tracker.tags.get("failure_reason"));
        String tail = tracker.artifacts.get("logs/stderr_tail.txt");
        assertTrue(tail.contains("KeyError: 'rows'") && tail.endsWith("[tracking] closed 2 backends\n"), tail);
        List<String> summary = result.summary("digits", "digits.yaml", "train.py");
        assertTrue(summary.contains("status:     FAILED (exit code 1: ValueError: bad shape (3, 4): größe)"),
                summary.toString());
    }

    @Test
    void withTrackingOffTheScriptGetsAnEmptyBackendListAndTheSummarySaysSo() throws IOException {
        Path argvFile = temp.resolve("argv.json");
        String script = """
                import json, sys
                json.dump(sys.argv[1:], open(%s, "w", encoding="utf-8"))
                print("epoch 1/1", flush=True)
                """.formatted(new ObjectMapper().writeValueAsString(argvFile.toString()));
        RecordingTracker tracker = new RecordingTracker(Map.of("tracking_backends", ""));
        TrainingJob plain = job(script);
        LaunchResult result = launcher(Duration.ofSeconds(5)).launch(tracker, new TrainingJob(plain.script(),
                plain.experimentFile(), plain.hyperparameters(), Map.of("epochs", "1"), "params_logged_by_launcher"));

        assertEquals(RunStatus.FINISHED, result.status(), stderr.toString());
        assertTrue(result.trackingOff());
        assertEquals(List.of(), result.backends());
        assertEquals(List.of("--epochs=1", "--tracking_backends=", "--params_logged_by_launcher"),
                new ObjectMapper().readValue(argvFile.toFile(), List.class));
        List<String> summary = result.summary("digits", "digits.yaml", "train.py");
        assertTrue(summary.contains("tracking:   off (no backend is enabled; nothing was recorded)"), summary.toString());
        assertTrue(summary.stream().noneMatch(line -> line.startsWith("run:")), summary.toString());
        assertTrue(out().contains("epoch 1/1\n"), out());
    }

    @Test
    void withTrackingOnTheSummaryNamesTheBackends() throws IOException {
        RecordingTracker tracker = new RecordingTracker(Map.of("tracking_backends", "STDOUT,CSV",
                "csv_run_name", "run_3"));
        LaunchResult result = launcher(Duration.ofSeconds(5)).launch(tracker, job("pass\n"));
        assertFalse(result.trackingOff());
        List<String> summary = result.summary("digits", "digits.yaml", "train.py");
        assertTrue(summary.contains("tracking:   STDOUT, CSV"), summary.toString());
        assertTrue(summary.contains("run:        csv_run_name run_3"), summary.toString());
    }

    @Test
    void sigkillFailsTheRunAndSaysWhy() throws IOException {
        RecordingTracker tracker = new RecordingTracker(Map.of());
        LaunchResult result = launcher(Duration.ofSeconds(5)).launch(tracker,
                job("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"));
        assertEquals(RunStatus.FAILED, result.status());
        assertEquals(137, result.exitCode());
        assertEquals("killed by signal 9 (SIGKILL), as the kernel's out-of-memory killer does",
                tracker.tags.get("failure_reason"));
        assertEquals(RunStatus.FAILED, tracker.endStatus);
    }

    @Test
    void sigtermOfTheScriptKillsTheRun() throws IOException {
        RecordingTracker tracker = new RecordingTracker(Map.of());
        LaunchResult result = launcher(Duration.ofSeconds(5)).launch(tracker,
                job("import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n"));
        assertEquals(RunStatus.KILLED, result.status());
        assertEquals(130, result.commandExitCode());
        assertEquals("killed by signal 15 (SIGTERM)", tracker.tags.get("failure_reason"));
    }

    @Test
    void stopInterruptsTheScriptLetsItFlushAndKillsTheRun() throws Exception {
        Path flushed = temp.resolve("flushed");
        String script = """
                import sys, time
                try:
                    # "ready" inside the try: a SIGINT right after it must reach the handler below.
                    print("ready", flush=True)
                    time.sleep(60)
                except KeyboardInterrupt:
                    open(%s, "w").write("metrics flushed")
                    raise
                """.formatted(new ObjectMapper().writeValueAsString(flushed.toString()));
        RecordingTracker tracker = new RecordingTracker(Map.of());
        TrainingLauncher launcher = launcher(Duration.ofSeconds(20));
        CompletableFuture<LaunchResult> launched = CompletableFuture.supplyAsync(() -> {
            try {
                return launcher.launch(tracker, job(script));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        awaitOutput("ready");
        launcher.stop();
        LaunchResult result = launched.get(30, TimeUnit.SECONDS);

        assertEquals(RunStatus.KILLED, result.status());
        assertEquals(130, result.commandExitCode());
        assertEquals("metrics flushed", Files.readString(flushed), "SIGINT first, so the script can flush");
        assertTrue(tracker.tags.get("failure_reason").equals(
                "launcher interrupted (Ctrl-C or SIGTERM); training stopped: killed by signal 2 (SIGINT)"),
                tracker.tags.toString());
        assertEquals(RunStatus.KILLED, tracker.endStatus);
        assertEquals(CLOSING_CALLS, tracker.calls.subList(tracker.calls.size() - 4, tracker.calls.size()));
    }

    @Test
    void stopTerminatesAScriptThatIgnoresInterrupts() throws Exception {
        RecordingTracker tracker = new RecordingTracker(Map.of());
        TrainingLauncher launcher = launcher(Duration.ofMillis(300));
        CompletableFuture<LaunchResult> launched = CompletableFuture.supplyAsync(() -> {
            try {
                return launcher.launch(tracker, job("""
                        import signal, time
                        signal.signal(signal.SIGINT, signal.SIG_IGN)
                        print("ready", flush=True)
                        time.sleep(60)
                        """));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        awaitOutput("ready");
        launcher.stop();
        LaunchResult result = launched.get(30, TimeUnit.SECONDS);
        assertEquals(RunStatus.KILLED, result.status());
        assertEquals(143, result.exitCode());
        assertEquals(RunStatus.KILLED, tracker.endStatus);
    }

    @Test
    void aStopBeforeTheStartMeansTheScriptNeverRuns() throws IOException {
        Path marker = temp.resolve("ran");
        RecordingTracker tracker = new RecordingTracker(Map.of());
        TrainingLauncher launcher = launcher(Duration.ofSeconds(1));
        launcher.stop();
        LaunchResult result = launcher.launch(tracker, job("open(%s, 'w').write('ran')\n"
                .formatted(new ObjectMapper().writeValueAsString(marker.toString()))));
        assertEquals(RunStatus.KILLED, result.status());
        assertNull(result.exitCode());
        assertFalse(Files.exists(marker));
        assertEquals(RunStatus.KILLED, tracker.endStatus);
    }

    @Test
    void aTrackingFailureBeforeTheStartEndsTheRunFailedAndStillClosesEverything() throws IOException {
        Path marker = temp.resolve("ran");
        RecordingTracker tracker = new RecordingTracker(Map.of(), "logParams");
        LaunchResult result = launcher(Duration.ofSeconds(1)).launch(tracker, job("open(%s, 'w').write('ran')\n"
                .formatted(new ObjectMapper().writeValueAsString(marker.toString()))));
        assertEquals(RunStatus.FAILED, result.status());
        assertEquals("tracking failed: backend down during logParams", result.failureReason());
        assertFalse(Files.exists(marker));
        assertEquals(RunStatus.FAILED, tracker.endStatus);
        assertEquals(CLOSING_CALLS, tracker.calls.subList(tracker.calls.size() - 4, tracker.calls.size()));
    }

    @Test
    void aFailingEndRunIsReportedAndCleanUpAndCloseStillHappen() throws IOException {
        RecordingTracker tracker = new RecordingTracker(Map.of(), "endRun");
        LaunchResult result = launcher(Duration.ofSeconds(1)).launch(tracker, job("pass\n"));
        assertEquals(RunStatus.FINISHED, result.status());
        assertEquals(List.of("endRun(FINISHED) failed: backend down during endRun"), result.problems());
        assertEquals(CLOSING_CALLS, tracker.calls.subList(tracker.calls.size() - 4, tracker.calls.size()));
    }

    @Test
    void credentialsAndMalformedKeysNeverReachTheCommandLine() throws IOException {
        for (Map<String, String> params : List.of(Map.of("mlflow_tracking_token", "abc"),
                Map.of("mlflow_tracking_uri", "https://user:hunter2@mlflow.example.com"),
                Map.of("MLflow-URI", "x"))) {
            Path marker = temp.resolve("ran");
            RecordingTracker tracker = new RecordingTracker(params);
            LaunchResult result = launcher(Duration.ofSeconds(1)).launch(tracker, job("open(%s, 'w').write('ran')\n"
                    .formatted(new ObjectMapper().writeValueAsString(marker.toString()))));
            assertEquals(RunStatus.FAILED, result.status(), params.toString());
            assertTrue(result.failureReason().contains(params.containsKey("MLflow-URI")
                    ? "is malformed; expected [a-z][a-z0-9_]*" : "must not travel on the command line"),
                    result.failureReason());
            assertFalse(Files.exists(marker), params.toString());
            assertFalse(result.failureReason().contains("hunter2"));
        }
    }

    @Test
    void aMissingInterpreterFailsTheRun() throws IOException {
        RecordingTracker tracker = new RecordingTracker(Map.of());
        TrainingLauncher launcher = track(new TrainingLauncher(temp.resolve("no-python").toString(),
                new PrintStream(stdout, true), new PrintStream(stderr, true)));
        LaunchResult result = launcher.launch(tracker, job("pass\n"));
        assertEquals(RunStatus.FAILED, result.status());
        assertTrue(result.failureReason().startsWith("could not start " + temp.resolve("no-python")),
                result.failureReason());
        assertEquals(RunStatus.FAILED, tracker.endStatus);
    }

    @Test
    void aLauncherRunsOneJob() throws IOException {
        TrainingLauncher launcher = launcher(Duration.ofSeconds(1));
        launcher.launch(new RecordingTracker(Map.of()), job("pass\n"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> launcher.launch(new RecordingTracker(Map.of()), job("pass\n")));
    }

    @Test
    void theStderrTailKeepsTheLastBytes() {
        TrainingProcess.TailBuffer tail = new TrainingProcess.TailBuffer(4);
        tail.append("abcdef".getBytes(StandardCharsets.UTF_8), 6);
        tail.append("gh".getBytes(StandardCharsets.UTF_8), 1);
        assertEquals("defg", new String(tail.bytes(), StandardCharsets.UTF_8));
    }

    private void awaitOutput(String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!out().contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no '" + text + "' in\n" + out() + "\nstderr:\n" + stderr);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aScriptOptionWithTheKeyOfATrackingOptionFailsTheRunBeforeTheScriptStarts() throws IOException {
        Path marker = temp.resolve("started");
        TrainingJob plain = job("open(%s, 'w').close()\n".formatted(new ObjectMapper().writeValueAsString(marker.toString())));
        TrainingJob job = new TrainingJob(plain.script(), plain.experimentFile(), plain.hyperparameters(),
                Map.of("csv_dir", "elsewhere"), null);
        RecordingTracker tracker = new RecordingTracker(Map.of("csv_dir", "runs/csv"));
        LaunchResult result = launcher(Duration.ofSeconds(5)).launch(tracker, job);
        assertEquals(RunStatus.FAILED, result.status());
        assertTrue(result.failureReason().contains("script option 'csv_dir' is also a tracking option"),
                result.failureReason());
        assertFalse(Files.exists(marker));
    }
}
