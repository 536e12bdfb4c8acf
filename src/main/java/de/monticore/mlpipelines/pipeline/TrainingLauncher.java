package de.monticore.mlpipelines.pipeline;

import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.secret.Secrets;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs a generated training script as a tracked run:
 *
 * <ol>
 *   <li>{@code startNewRun()}; the hyperparameters as params; the experiment file and the script as
 *       artifacts under {@code experiment/};</li>
 *   <li>{@code python train.py --key=value …}: the pairs of {@code getPythonParams()} and the job's
 *       script options (its hyperparameters) sorted by key, then its params-logged flag,
 *       as an argument list (never a shell string). Credentials reach the script only through its
 *       environment, which it inherits; a param that looks like a credential is refused. The script's
 *       output is streamed live;</li>
 *   <li>the run ends with the status the script's end implies (below); when it did not finish, a
 *       {@value #FAILURE_REASON_TAG} tag says why (for a non-zero exit code with the last meaningful line
 *       of its stderr, the exception line of a traceback) and the tail of its stderr is logged as
 *       {@code logs/stderr_tail.txt};</li>
 *   <li>{@code cleanUpRepository()} and {@code close()}, whatever happened before.</li>
 * </ol>
 *
 * <p>Status mapping ({@link ExitStatus}): exit 0 → FINISHED; any other exit code → FAILED; killed by
 * SIGINT, SIGTERM, SIGHUP or SIGQUIT (someone stopped it) → KILLED; killed by SIGKILL → FAILED,
 * because the usual sender is the kernel's out-of-memory killer; killed by another signal (SIGSEGV,
 * SIGABRT, …) → FAILED. {@link #stop()} (called by the shutdown hook on Ctrl-C or SIGTERM of the launcher) stops
 * the script and ends the run KILLED; the launcher's own exit code is then the JVM's, 130 after
 * Ctrl-C (SIGINT) and 143 after SIGTERM. No path leaves the run RUNNING: failures of the tracking
 * backends themselves end it FAILED.
 *
 * <p>This class keeps the run's lifecycle; {@link TrainingProcess} starts, streams and stops the
 * script.
 *
 * <pre>{@code
 * try (TrainingLauncher launcher = new TrainingLauncher(PythonEnvironment.interpreter(), System.out, System.err)) {
 *     LaunchResult result = launcher.launch(TrackerFactory.createTracker(config), job);
 *     result.summary(...).forEach(System.out::println);
 * }
 * }</pre>
 */
public final class TrainingLauncher implements AutoCloseable {
    /** The tag that says why a run did not finish. */
    public static final String FAILURE_REASON_TAG = "failure_reason";
    /** The last bytes of the script's stderr kept for the {@code logs/stderr_tail.txt} artifact. */
    static final int STDERR_TAIL_BYTES = 16 * 1024;

    private static final Pattern PARAM_KEY = Pattern.compile("[a-z][a-z0-9_]*");
    /** Added to the inherited environment: the script's output arrives live. */
    private static final Map<String, String> SCRIPT_ENVIRONMENT = Map.of("PYTHONUNBUFFERED", "1");
    /**
     * Set to 1 in the script's environment when the launcher runs in a terminal, whose stderr the script's
     * stderr is forwarded to byte for byte: mlpipelines.training then draws its progress bars there.
     */
    public static final String PROGRESS_VARIABLE = "MLPIPELINES_PROGRESS";
    /** How long the recovery of a dead script's journal may take. */
    static final Duration RECOVERY_DEADLINE = Duration.ofSeconds(120);

    private final String python;
    private final PrintStream out;
    private final PrintStream err;
    private final TrainingProcess training;
    private final Object lock = new Object();
    private final CountDownLatch runEnded = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread shutdownHook = new Thread(this::stopAndAwaitEnd, "mlpipelines-stop-training");
    private volatile boolean hooked;
    private boolean launched;
    /** Why a caller stopped the training, for the run's failure reason; null for an interrupt. */
    private String stopReason;

    /**
     * @param python         the interpreter ({@code PythonEnvironment.interpreter()})
     * @param out            receives the script's stdout and the launcher's messages
     * @param err            receives the script's stderr and warnings
     * @param interruptGrace how long {@link #stop()} lets the script flush after SIGINT before terminating it
     */
    public TrainingLauncher(String python, PrintStream out, PrintStream err, Duration interruptGrace) {
        this.python = python;
        this.out = out;
        this.err = err;
        this.training = new TrainingProcess(out, err, interruptGrace);
    }

    /** A launcher that gives an interrupted script ten seconds to flush its metrics. */
    public TrainingLauncher(String python, PrintStream out, PrintStream err) {
        this(python, out, err, Duration.ofSeconds(10));
    }

    /**
     * Runs the job in a new run of {@code tracker} and returns how it ended. The launcher owns the
     * tracker from here on: it is closed when this returns. From the start of this call until
     * {@link #close()}, a JVM shutdown (Ctrl-C, SIGTERM) stops the script and waits until the run is
     * ended KILLED, the tracker closed and the caller has closed this launcher (so that a summary
     * printed in between is not cut off). One launcher runs one job.
     *
     * @throws IllegalStateException when called a second time
     */
    public LaunchResult launch(RunTracker tracker, TrainingJob job) {
        synchronized (lock) {
            if (launched) {
                throw new IllegalStateException("a TrainingLauncher runs one job");
            }
            launched = true;
        }
        try {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
            hooked = true;
        } catch (IllegalStateException shuttingDown) {
            stop();
        }
        try {
            return runTracked(tracker, job);
        } finally {
            runEnded.countDown();
        }
    }

    /**
     * Releases the shutdown hook; a shutdown already in progress may complete from here. Call it
     * after {@link #launch} and whatever output should still appear after an interrupt.
     */
    @Override
    public void close() {
        closed.countDown();
        if (hooked) {
            hooked = false;
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running; it returns now that `closed` is released.
            }
        }
    }

    /**
     * Stops the training from any thread: the script gets SIGINT (so that it can flush), after the
     * grace period SIGTERM, two seconds later SIGKILL; the run ends KILLED. Before the script has
     * started, it will not start. Returns when the script is gone.
     */
    public void stop() {
        training.stop();
    }

    /**
     * As {@link #stop()}, for a caller that ends the training on purpose (a sweep stopping a weak trial):
     * the run ends KILLED with {@code reason} as its {@value #FAILURE_REASON_TAG} instead of the interrupt's.
     * The first reason given wins.
     */
    public void stop(String reason) {
        synchronized (lock) {
            if (stopReason == null) {
                stopReason = reason;
            }
        }
        stop();
    }

    private void stopAndAwaitEnd() {
        stop();
        try {
            // The launching thread ends the run and closes the trackers; the JVM must not exit before.
            if (runEnded.await(60, TimeUnit.SECONDS)) {
                closed.await(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private LaunchResult runTracked(RunTracker tracker, TrainingJob job) {
        List<String> problems = new ArrayList<>();
        List<String> backends = null;
        Map<String, String> runIds = Map.of();
        Map<String, String> trackingOptions = Map.of();
        Map<String, String> locations = Map.of();
        JournalRecovery.Outcome recovery = JournalRecovery.Outcome.NOTHING;
        RunStatus status = RunStatus.FAILED;
        String failureReason;
        Integer exitCode = null;
        TrainingProcess.TailBuffer stderrTail = new TrainingProcess.TailBuffer(STDERR_TAIL_BYTES);
        long start = System.nanoTime();
        long trainingStart = start;
        long trainingEnd = start;
        try {
            tracker.startNewRun();
            Map<String, String> pythonParams = tracker.getPythonParams();
            backends = backendNames(pythonParams);
            runIds = runIdentifiers(pythonParams);
            trackingOptions = pythonParams;
            tracker.logParams(job.hyperparameters());
            if (!job.tags().isEmpty()) {
                tracker.logTags(job.tags());
            }
            tracker.logArtifact(job.experimentFile().toFile(), "experiment");
            tracker.logArtifact(job.script().toFile(), "experiment");
            Path journal = journalPath(job);
            Map<String, String> scriptParams = withJournal(pythonParams, backends, journal);
            List<String> command = command(job, scriptParams);
            trainingStart = System.nanoTime();
            Map<String, String> environment = new java.util.HashMap<>(SCRIPT_ENVIRONMENT);
            if (job.processes() > 1 && System.getenv("OMP_NUM_THREADS") == null) {
                // What torchrun sets anyway for several processes, given here so that it prints no banner about it.
                environment.put("OMP_NUM_THREADS", "1");
            }
            if (System.console() != null) {
                // The script's stderr is our pipe, not the terminal the user watches: it may draw progress bars.
                environment.put(PROGRESS_VARIABLE, "1");
            }
            exitCode = training.run(command, environment, stderrTail);
            trainingEnd = System.nanoTime();
            if (exitCode != null && exitCode != 0 && !training.stopRequested() && journal != null) {
                // The script died: deliver what it journaled but its backends had not stored, then end the run.
                recovery = new JournalRecovery(python, out, err, RECOVERY_DEADLINE).recover(journal,
                        job.script().toAbsolutePath().getParent(), pythonArguments(pythonParams), SCRIPT_ENVIRONMENT);
                problems.addAll(recovery.problems());
            }
            String stderr = Secrets.redactEnvironmentSecrets(new String(stderrTail.bytes(), StandardCharsets.UTF_8));
            ExitStatus end = ExitStatus.of(exitCode, training.stopRequested(), stderr);
            status = end.status();
            failureReason = end.reason();
            synchronized (lock) {
                if (status == RunStatus.KILLED && stopReason != null) {
                    failureReason = stopReason;
                }
            }
        } catch (IOException e) {
            failureReason = "could not start " + python + ": " + e.getMessage();
            trainingEnd = System.nanoTime();
        } catch (RuntimeException e) {
            status = training.stopRequested() ? RunStatus.KILLED : RunStatus.FAILED;
            failureReason = "tracking failed: " + e.getMessage();
            problems.add(failureReason);
            trainingEnd = Math.max(trainingEnd, trainingStart);
        }
        long finishStart = System.nanoTime();
        String reason = failureReason;
        if (reason != null) {
            err.println("mlpipelines: the run ends " + status + ": " + reason);
            attempt(problems, "tag " + FAILURE_REASON_TAG, () -> tracker.logTag(FAILURE_REASON_TAG, reason));
            if (stderrTail.size() > 0) {
                attempt(problems, "stderr artifact", () -> logStderrTail(tracker, stderrTail));
            }
        }
        RunStatus finalStatus = status;
        attempt(problems, "endRun(" + finalStatus + ")", () -> tracker.endRun(finalStatus));
        AtomicReference<Map<String, String>> found = new AtomicReference<>(Map.of());
        attempt(problems, "getRunLocations()", () -> found.set(tracker.getRunLocations()));
        locations = withRunEndStates(tracker, found.get(), problems);
        attempt(problems, "cleanUpRepository()", tracker::cleanUpRepository);
        attempt(problems, "close()", tracker::close);
        long end = System.nanoTime();
        return new LaunchResult(status, exitCode, failureReason, backends, runIds, locations, problems,
                Duration.ofNanos(trainingStart - start), Duration.ofNanos(trainingEnd - trainingStart),
                Duration.ofNanos(end - finishStart), recovery.recovered(), trackingOptions);
    }

    /**
     * The journal of this run: {@value JournalRecovery#JOURNAL_FILE} beside the script (a run's script has a
     * directory of its own); null when the script's directory is unknown.
     */
    private static Path journalPath(TrainingJob job) {
        Path directory = job.script().toAbsolutePath().getParent();
        return directory == null ? null : directory.resolve(JournalRecovery.JOURNAL_FILE);
    }

    /** The tracking options plus the journal option, when any backend is enabled and the tracker names them. */
    private static Map<String, String> withJournal(Map<String, String> pythonParams, List<String> backends,
                                                   Path journal) {
        if (journal == null || backends == null || backends.isEmpty()) {
            return pythonParams;
        }
        Map<String, String> params = new TreeMap<>(pythonParams);
        params.put(JournalRecovery.JOURNAL_OPTION, journal.toString());
        return params;
    }

    /** The tracker's per-store end states (a pending end names its replay command), then the locations. */
    private Map<String, String> withRunEndStates(RunTracker tracker, Map<String, String> locations,
                                                 List<String> problems) {
        Map<String, String> combined = new java.util.LinkedHashMap<>();
        attempt(problems, "getRunEndStates()", () -> combined.putAll(tracker.getRunEndStates()));
        locations.forEach(combined::putIfAbsent);
        return combined;
    }

    /**
     * {@code python script --key=value …} (with {@code -m torch.distributed.run … } before the script for
     * several processes): the tracking options and the job's script options together,
     * sorted by key (see {@link #pythonArguments(Map)}), then the job's params-logged flag.
     *
     * @throws TrackingException when a script option has the key of a tracking option
     */
    List<String> command(TrainingJob job, Map<String, String> pythonParams) {
        Map<String, String> options = new TreeMap<>(pythonParams);
        job.scriptOptions().forEach((key, value) -> {
            if (options.putIfAbsent(key, value) != null) {
                throw new TrackingException("script option '" + key + "' is also a tracking option");
            }
        });
        List<String> command = new ArrayList<>(List.of(python));
        if (job.processes() > 1) {
            // torchrun from the same interpreter: every rank runs this Python with the same argv, and
            // the launcher watches torchrun, whose exit says whether every rank finished.
            command.addAll(List.of("-m", "torch.distributed.run", "--standalone", "--nnodes=1",
                    "--nproc-per-node=" + job.processes()));
        }
        command.add(job.script().toString());
        command.addAll(pythonArguments(options));
        if (job.paramsLoggedOption() != null) {
            command.add("--" + job.paramsLoggedOption());
        }
        return command;
    }

    /**
     * The training script's arguments for the trackers' Python params: one {@code --key=value} per
     * param, sorted by key. One token per option, so that a value starting with '-' is never taken
     * for an option by argparse; each value arrives byte-for-byte (no shell is involved).
     *
     * @throws TrackingException for a malformed key, or a key or value that looks like a credential
     */
    public static List<String> pythonArguments(Map<String, String> pythonParams) {
        List<String> arguments = new ArrayList<>();
        for (Map.Entry<String, String> param : new TreeMap<>(pythonParams).entrySet()) {
            String key = param.getKey();
            if (!PARAM_KEY.matcher(key).matches()) {
                throw new TrackingException("Python param key '" + key + "' is malformed; expected [a-z][a-z0-9_]*");
            }
            if (Secrets.isSecretKey(key) || Secrets.looksSecret(param.getValue())) {
                throw new TrackingException("Python param '" + key + "' holds a credential, which must not travel on "
                        + "the command line (every local user can read it); pass it in the environment instead");
            }
            arguments.add("--" + key + "=" + param.getValue());
        }
        return arguments;
    }

    /**
     * The enabled backends from the shared option {@code tracking_backends} (comma-separated names, empty
     * when tracking is off); null when the tracker does not give it.
     */
    private static List<String> backendNames(Map<String, String> pythonParams) {
        String names = pythonParams.get("tracking_backends");
        if (names == null) {
            return null;
        }
        return Stream.of(names.split(",")).map(String::strip).filter(name -> !name.isEmpty()).toList();
    }

    /** The params that name the run in a backend: {@code *_run_id}, {@code *_run_name}. */
    private static Map<String, String> runIdentifiers(Map<String, String> pythonParams) {
        Map<String, String> ids = new LinkedHashMap<>();
        pythonParams.forEach((key, value) -> {
            if (key.endsWith("_run_id") || key.endsWith("_run_name")) {
                ids.put(key, value);
            }
        });
        return ids;
    }

    private static void logStderrTail(RunTracker tracker, TrainingProcess.TailBuffer tail) {
        Path directory = null;
        try {
            directory = Files.createTempDirectory("mlpipelines-stderr");
            Path file = Files.write(directory.resolve("stderr_tail.txt"), tail.bytes());
            tracker.logArtifact(file.toFile(), "logs");
        } catch (IOException e) {
            throw new TrackingException("cannot write the stderr tail: " + e.getMessage(), e);
        } finally {
            if (directory != null) {
                try (Stream<Path> files = Files.walk(directory)) {
                    files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                } catch (IOException ignored) {
                    // A temporary file left behind is harmless.
                }
            }
        }
    }

    private void attempt(List<String> problems, String what, Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            String problem = what + " failed: " + e.getMessage();
            problems.add(problem);
            err.println("mlpipelines: " + Secrets.redactEnvironmentSecrets(problem));
        }
    }
}
