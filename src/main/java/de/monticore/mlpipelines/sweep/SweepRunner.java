package de.monticore.mlpipelines.sweep;

import de.monticore.mlpipelines.generator.ExperimentLoader;
import de.monticore.mlpipelines.generator.ExperimentSpec;
import de.monticore.mlpipelines.generator.sweep.SweepPlan;
import de.monticore.mlpipelines.generator.sweep.SweepSpec;
import de.monticore.mlpipelines.generator.sweep.Trial;
import de.monticore.mlpipelines.pipeline.LaunchResult;
import de.monticore.mlpipelines.pipeline.MetricJournalReader;
import de.monticore.mlpipelines.pipeline.PreparedRun;
import de.monticore.mlpipelines.pipeline.TrainingLauncher;
import de.monticore.mlpipelines.tracking.TrackerFactory;
import de.monticore.mlpipelines.tracking.backend.mlflow.MLflowTracker;
import de.monticore.mlpipelines.tracking.config.TrackingConfig;
import de.monticore.mlpipelines.tracking.format.PythonFloat;
import de.monticore.mlpipelines.tracking.tracker.MultiBackendTracker;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * Runs a sweep: one parent run, then every trial as a run of its own, up to {@code parallel} at once.
 *
 * <ul>
 *   <li>The parent run (in every backend; in MLflow the trials are nested under it with
 *       {@code mlflow.parentRunId}) holds the sweep's definition as params, the experiment file, and at the
 *       end the best trial's values ({@code best.<key path>}, {@code best_trial}), its objective (metric
 *       {@code best_<metric>}), the results table ({@code sweep/results.csv}) and the plot
 *       ({@code sweep/objective.png}).</li>
 *   <li>A trial is exactly {@code mlpipelines run} with the trial's values as overrides
 *       ({@link PreparedRun}, {@link TrainingLauncher}): generated into a directory of its own, its values
 *       logged as params and trained with. Each of the {@code parallel} lanes has one
 *       {@link MultiBackendTracker} whose persistent tags (the sweep's {@value #SWEEP_TAG}), manual tags
 *       and persistent artifacts are replayed by every {@code startNewRun()} of its trials.</li>
 *   <li>A trial's objective is read from what it logged: its metric journal
 *       ({@link MetricJournalReader}), the last or the best value.</li>
 *   <li>With {@code early_stopping}, {@link SuccessiveHalving} watches each running trial's journal and stops
 *       the weak ones at rungs: their runs end KILLED with the reason, the table says STOPPED_EARLY.</li>
 *   <li>A failing trial ends FAILED and the sweep goes on. Ctrl-C or SIGTERM: running trials are stopped
 *       and end KILLED (by their launchers), pending ones never start, the parent ends KILLED; the JVM
 *       exits only after the caller has {@link #close() closed} this runner (after its summary).</li>
 * </ul>
 */
public final class SweepRunner implements AutoCloseable {
    /** The tag naming the sweep, on the parent and on every trial. */
    public static final String SWEEP_TAG = "sweep";
    /** The tag saying {@code parent} or {@code trial}. */
    public static final String ROLE_TAG = "sweep_role";
    /** The tag holding a trial's number. */
    public static final String TRIAL_TAG = "sweep_trial";
    /** The tag on each trial naming the parent run per backend. */
    public static final String PARENT_TAG = "sweep_parent";
    /** Below {@code --out}: {@code _sweeps/<experiment>/sweep-<N>/} holds a sweep's table and plot. */
    public static final String SWEEPS_DIRECTORY = "_sweeps";
    /** The results table's file name, in the sweep's directory and as the parent's artifact. */
    public static final String RESULTS_FILE = "results.csv";
    /** The parent's artifact directory for the table and the plot. */
    public static final String ARTIFACT_DIRECTORY = "sweep";
    /** How often a running trial's journal is read for successive halving. */
    private static final long WATCH_MILLIS = 200;

    private final String python;
    private final PrintStream out;
    private final PrintStream err;
    private final int parallel;
    private final Duration interruptGrace;
    private final AtomicBoolean interrupted = new AtomicBoolean();
    private final CountDownLatch done = new CountDownLatch(1);
    private final Thread shutdownHook = new Thread(this::interruptAndAwait, "mlpipelines-stop-sweep");
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean hooked;

    /**
     * @param python         the interpreter of training scripts and the plot
     * @param out            the sweep's messages and, line by line with {@code [trial N]}, each trial's output
     * @param err            warnings, and each trial's stderr with the same prefix
     * @param parallel       how many trials may run at once, {@code >= 1}
     * @param interruptGrace how long an interrupted trial may flush before it is terminated
     */
    public SweepRunner(String python, PrintStream out, PrintStream err, int parallel, Duration interruptGrace) {
        if (parallel < 1) {
            throw new IllegalArgumentException("parallel must be at least 1, not " + parallel);
        }
        this.python = python;
        this.out = out;
        this.err = err;
        this.parallel = parallel;
        this.interruptGrace = interruptGrace;
    }

    /**
     * Runs every trial of the plan and ends the parent run.
     *
     * @param experimentFile the experiment file (logged with the parent and every trial)
     * @param outDirectory   where trials are generated ({@code _runs/}) and the sweep's directory goes
     */
    public SweepResult run(SweepPlan plan, Path experimentFile, TrackingConfig tracking, Path outDirectory) {
        try {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
            hooked = true;
        } catch (IllegalStateException shuttingDown) {
            interrupted.set(true);
        }
        long start = System.nanoTime();
        ExperimentSpec experiment = plan.experiment();
        SweepSpec spec = plan.spec();
        // Before anything is written: a tpe sweep without Optuna is bad input.
        OptunaSampler sampler = spec.strategy() == SweepSpec.Strategy.TPE
                ? OptunaSampler.start(python, spec, experimentFile.toString()) : null;
        try {
            return run(plan, experimentFile, tracking, outDirectory, sampler, start);
        } finally {
            if (sampler != null) {
                sampler.close();
            }
        }
    }

    private SweepResult run(SweepPlan plan, Path experimentFile, TrackingConfig tracking, Path outDirectory,
                            OptunaSampler sampler, long start) {
        ExperimentSpec experiment = plan.experiment();
        SweepSpec spec = plan.spec();
        int trialCount = spec.trials();
        Path directory = claimDirectory(outDirectory.resolve(SWEEPS_DIRECTORY).resolve(experiment.directoryName()));
        String sweepId = experiment.directoryName() + "-" + directory.getFileName() + "-"
                + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'"));
        out.println("sweep " + sweepId + ": " + trialCount + " trials of " + experiment.name().replace("\n",
                "\\n") + ", up to " + Math.min(parallel, trialCount) + " at once; " + directory);

        MultiBackendTracker parent = TrackerFactory.createTracker(tracking);
        Map<String, String> parentIds = startParent(parent, spec, sweepId, experimentFile);
        String parentMlflowId = parentIds.get("mlflow_run_id");
        String parentName = mlflowRunName(parent);

        int laneCount = Math.max(1, Math.min(parallel, trialCount));
        BlockingQueue<MultiBackendTracker> lanes = new LinkedBlockingQueue<>();
        List<MultiBackendTracker> allLanes = new ArrayList<>();
        for (int i = 0; i < laneCount; i++) {
            MultiBackendTracker lane = TrackerFactory.createTracker(tracking);
            lane.logPersistentTag(SWEEP_TAG, sweepId);
            lane.logPersistentTag(ROLE_TAG, "trial");
            if (!parentIds.isEmpty()) {
                lane.logPersistentTag(PARENT_TAG, describeIds(parentIds));
            }
            lanes.add(lane);
            allLanes.add(lane);
        }

        ExecutorService executor = Executors.newFixedThreadPool(laneCount, task -> {
            Thread thread = new Thread(task, "mlpipelines-sweep-trial");
            thread.setDaemon(false);
            return thread;
        });
        SuccessiveHalving halving = spec.earlyStopping() == null ? null
                : new SuccessiveHalving(spec.earlyStopping(), spec.objective());
        ScheduledExecutorService watchers = halving == null ? null : Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "mlpipelines-sweep-watch");
            thread.setDaemon(true);
            return thread;
        });
        long trialsStart = System.nanoTime();
        List<Future<TrialResult>> futures = new ArrayList<>();
        if (sampler == null) {
            for (Trial trial : plan.trials()) {
                futures.add(executor.submit(() -> runTrial(plan, trial, lanes, parentMlflowId, experimentFile,
                        tracking, outDirectory, halving, watchers)));
            }
        } else {
            // Ask-and-tell: a trial is asked for when a lane is free, and told its objective when it ends.
            java.util.concurrent.Semaphore free = new java.util.concurrent.Semaphore(laneCount);
            for (int number = 1; number <= trialCount; number++) {
                free.acquireUninterruptibly();
                if (interrupted.get() || shuttingDown()) {
                    free.release();
                    futures.add(CompletableFuture.completedFuture(notStarted(number, Map.of())));
                    continue;
                }
                OptunaSampler.Asked asked;
                Trial trial;
                try {
                    asked = sampler.ask();
                    Map<String, String> all = new LinkedHashMap<>(plan.overrides());
                    all.putAll(asked.values());
                    trial = new Trial(number, asked.values(), new ExperimentLoader().load(experimentFile, all));
                } catch (RuntimeException e) {
                    free.release();
                    problems.add("trial " + number + ": " + e.getMessage());
                    futures.add(CompletableFuture.completedFuture(new TrialResult(number, Map.of(),
                            RunStatus.FAILED.name(), null, null, Map.of(), null, e.getMessage())));
                    continue;
                }
                Trial asTrial = trial;
                futures.add(executor.submit(() -> {
                    try {
                        TrialResult result = runTrial(plan, asTrial, lanes, parentMlflowId, experimentFile, tracking,
                                outDirectory, halving, watchers);
                        attempt("telling Optuna trial " + asTrial.number() + "'s objective", () -> sampler.tell(
                                asked.number(), result.finished() ? result.objective() : null));
                        return result;
                    } finally {
                        free.release();
                    }
                }));
            }
        }
        List<TrialResult> results = new ArrayList<>();
        for (int i = 0; i < futures.size(); i++) {
            results.add(await(futures.get(i), i + 1));
        }
        executor.shutdown();
        Duration trialsTime = Duration.ofNanos(System.nanoTime() - trialsStart);
        if (watchers != null) {
            watchers.shutdownNow();
        }

        Integer best = best(results, spec.objective());
        Path table = directory.resolve(RESULTS_FILE);
        ObjectivePlot.Outcome plot;
        try {
            Files.writeString(table, ResultsTable.csv(results, spec.keyPaths(), spec.objective().metric(), best),
                    StandardCharsets.UTF_8);
            plot = ObjectivePlot.render(python, directory, table, spec.objective().metric());
        } catch (IOException e) {
            problems.add("cannot write the results table " + table + ": " + e.getMessage());
            plot = new ObjectivePlot.Outcome(null, "no results table");
        }
        String parentStatus = interrupted.get() ? RunStatus.KILLED.name()
                : results.stream().anyMatch(TrialResult::finished) ? RunStatus.FINISHED.name() : RunStatus.FAILED.name();
        endParent(parent, results, best, spec, table, plot, RunStatus.valueOf(parentStatus));
        allLanes.forEach(lane -> attempt("closing a trial tracker", lane::close));
        Duration wall = Duration.ofNanos(System.nanoTime() - start);
        return new SweepResult(sweepId, spec, results, best, parentStatus, parentIds, parentName, directory.toString(),
                table.toString(), plot.png() == null ? null : plot.png().toString(), plot.note(), problems, wall,
                trialsTime, laneCount, interrupted.get());
    }

    /** Lets a shutdown (Ctrl-C) in progress complete; call after the summary is printed. */
    @Override
    public void close() {
        done.countDown();
        if (hooked) {
            hooked = false;
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running; it returns now that `done` is released.
            }
        }
    }

    /** Stops the sweep from any thread: no further trial starts; running ones are stopped by their launchers. */
    public void interrupt() {
        interrupted.set(true);
    }

    private void interruptAndAwait() {
        interrupt();
        try {
            // The sweep's thread ends the parent and prints the summary; the JVM must not exit before.
            done.await(180, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Map<String, String> startParent(MultiBackendTracker parent, SweepSpec spec, String sweepId,
                                            Path experimentFile) {
        Map<String, String> ids = new TreeMap<>();
        attempt("starting the sweep's parent run", () -> {
            parent.startNewRun();
            parent.logTags(Map.of(SWEEP_TAG, sweepId, ROLE_TAG, "parent"));
            Map<String, String> params = new LinkedHashMap<>();
            params.put("sweep.strategy", spec.strategy().yamlName());
            params.put("sweep.trials", String.valueOf(spec.trials()));
            if (spec.strategy() != SweepSpec.Strategy.GRID) {
                params.put("sweep.seed", String.valueOf(spec.seed()));
            }
            params.put("sweep.objective", spec.objective().describe());
            if (spec.earlyStopping() != null) {
                params.put("sweep.early_stopping", spec.earlyStopping().describe());
            }
            spec.parameters().forEach(parameter -> params.put("sweep.parameter." + parameter.keyPath(),
                    parameter.describe()));
            parent.logParams(params);
            parent.logTextArtifact(String.join("\n", spec.describe()) + "\n", "definition.txt", ARTIFACT_DIRECTORY);
            parent.logArtifact(experimentFile.toFile(), "experiment");
            parent.getPythonParams().forEach((key, value) -> {
                if (key.endsWith("_run_id") || key.endsWith("_run_name")) {
                    ids.put(key, value);
                }
            });
        });
        return ids;
    }

    private void endParent(MultiBackendTracker parent, List<TrialResult> results, Integer best, SweepSpec spec,
                           Path table, ObjectivePlot.Outcome plot, RunStatus status) {
        if (best != null) {
            TrialResult winner = results.get(best - 1);
            Map<String, String> params = new LinkedHashMap<>();
            params.put("best_trial", String.valueOf(winner.number()));
            winner.values().forEach((keyPath, value) -> params.put("best." + keyPath, value));
            attempt("logging the best trial", () -> {
                parent.logParams(params);
                parent.logMetric("best_" + spec.objective().metric(), winner.objective(), 0);
                if (winner.runName() != null) {
                    parent.logTag("best_run", winner.runName());
                }
            });
        }
        if (Files.isRegularFile(table)) {
            attempt("logging the results table", () -> parent.logArtifact(table.toFile(), ARTIFACT_DIRECTORY));
        }
        if (plot.png() != null) {
            attempt("logging the plot", () -> parent.logArtifact(plot.png().toFile(), ARTIFACT_DIRECTORY));
        }
        attempt("ending the sweep's parent run " + status, () -> parent.endRun(status));
        attempt("cleaning up", parent::cleanUpRepository);
        attempt("closing the parent's tracker", parent::close);
    }

    private TrialResult runTrial(SweepPlan plan, Trial trial, BlockingQueue<MultiBackendTracker> lanes,
                                 String parentMlflowId, Path experimentFile, TrackingConfig tracking,
                                 Path outDirectory, SuccessiveHalving halving, ScheduledExecutorService watchers)
            throws InterruptedException {
        String label = "trial " + trial.number() + "/" + plan.spec().trials();
        if (interrupted.get() || shuttingDown()) {
            return notStarted(trial);
        }
        MultiBackendTracker lane = lanes.take();
        PrintStream trialOut = LinePrefixStream.printStream(out, "[trial " + trial.number() + "] ");
        PrintStream trialErr = LinePrefixStream.printStream(err, "[trial " + trial.number() + "] ");
        try {
            if (interrupted.get() || shuttingDown()) {
                return notStarted(trial);
            }
            out.println("sweep: " + label + " starts: " + describe(trial.loggedValues()));
            PreparedRun prepared = PreparedRun.prepare(trial.experiment(), experimentFile, tracking, outDirectory);
            TrialTracker tracker = new TrialTracker(lane, trial.number(), parentMlflowId, trialErr);
            LaunchResult result;
            String stoppedEarly = null;
            try (TrainingLauncher launcher = new TrainingLauncher(python, trialOut, trialErr, interruptGrace)) {
                SuccessiveHalving.Watcher watcher = halving == null ? null
                        : halving.new Watcher(prepared.journal(), launcher, trial.experiment().training().epochs());
                ScheduledFuture<?> polling = watcher == null ? null
                        : watchers.scheduleWithFixedDelay(watcher, WATCH_MILLIS, WATCH_MILLIS, TimeUnit.MILLISECONDS);
                try {
                    result = launcher.launch(tracker, prepared.job());
                } finally {
                    if (polling != null) {
                        polling.cancel(false);
                    }
                }
                stoppedEarly = watcher == null ? null : watcher.stopped();
            }
            String status = stoppedEarly != null && result.status() == RunStatus.KILLED && !interrupted.get()
                    ? TrialResult.STOPPED_EARLY : result.status().name();
            result.problems().forEach(problem -> problems.add(label + ": " + problem));
            Double objective = objective(prepared.journal(), plan.spec().objective(), label);
            String runName = tracker.mlflowRunName();
            if (runName == null) {
                runName = result.runIds().entrySet().stream().filter(id -> id.getKey().endsWith("_run_name"))
                        .sorted(Map.Entry.comparingByKey()).map(Map.Entry::getValue).findFirst().orElse(null);
            }
            out.println("sweep: " + label + " " + status + ": " + plan.spec().objective().metric() + " "
                    + (objective == null ? "not logged" : PythonFloat.repr(objective))
                    + (runName == null ? "" : " (" + runName + ")"));
            return new TrialResult(trial.number(), trial.loggedValues(), status, objective, runName,
                    result.runIds(), prepared.generated().script().toString(), result.failureReason());
        } catch (RuntimeException e) {
            problems.add(label + ": " + e.getMessage());
            err.println("mlpipelines: " + label + " failed: " + e.getMessage());
            return new TrialResult(trial.number(), trial.loggedValues(), RunStatus.FAILED.name(), null, null, Map.of(),
                    null, e.getMessage());
        } finally {
            trialOut.close();
            trialErr.close();
            lanes.put(lane);
        }
    }

    private TrialResult await(Future<TrialResult> future, int number) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            String reason = String.valueOf(e.getCause());
            problems.add("trial " + number + ": " + reason);
            return new TrialResult(number, Map.of(), RunStatus.FAILED.name(), null, null, Map.of(), null, reason);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            interrupted.set(true);
            return notStarted(number, Map.of());
        }
    }

    private static TrialResult notStarted(Trial trial) {
        return notStarted(trial.number(), trial.loggedValues());
    }

    private static TrialResult notStarted(int number, Map<String, String> values) {
        return new TrialResult(number, values, TrialResult.NOT_STARTED, null, null, Map.of(), null, null);
    }

    /** The objective from the trial's journal: its last or best value; null when it logged none. */
    private Double objective(Path journal, SweepSpec.Objective objective, String label) {
        List<MetricJournalReader.Value> values;
        try {
            values = MetricJournalReader.values(journal, objective.metric());
        } catch (IOException e) {
            problems.add(label + ": cannot read its objective from " + journal + ": " + e.getMessage());
            return null;
        }
        if (values.isEmpty()) {
            return null;
        }
        if (objective.value() == SweepSpec.Aggregate.LAST) {
            return values.get(values.size() - 1).value();
        }
        double best = Double.NaN;
        for (MetricJournalReader.Value value : values) {
            if (objective.goal().better(value.value(), best)) {
                best = value.value();
            }
        }
        return best;
    }

    /** The number of the best FINISHED trial with an objective (the first of equals); null when none. */
    static Integer best(List<TrialResult> results, SweepSpec.Objective objective) {
        TrialResult best = null;
        for (TrialResult result : results) {
            if (result.finished() && result.objective() != null && !result.objective().isNaN()
                    && (best == null || objective.goal().better(result.objective(), best.objective()))) {
                best = result;
            }
        }
        return best == null ? null : best.number();
    }

    /** The summary lines printed at the end of a sweep. */
    public static List<String> summary(SweepResult result, String experimentName, String experimentFile) {
        List<String> lines = new ArrayList<>();
        SweepSpec spec = result.spec();
        lines.add("experiment: " + experimentName.replace("\n", "\\n") + " (" + experimentFile + ")");
        lines.add("sweep:      " + result.sweepId() + ": " + spec.strategy().yamlName() + ", " + result.trials().size()
                + " trials, up to " + result.parallel() + " at once; objective " + spec.objective().describe());
        lines.add("parent:     " + result.parentStatus() + (result.parentRunName() == null ? "" : ", MLflow "
                + result.parentRunName()) + (result.parentRunIds().isEmpty() ? "" : " (" + describeIds(
                result.parentRunIds()) + ")"));
        lines.add("trials:");
        ResultsTable.text(result.trials(), spec.keyPaths(), spec.objective().metric(), result.best())
                .forEach(line -> lines.add("  " + line));
        TrialResult best = result.bestTrial();
        lines.add("best:       " + (best == null ? "none (no trial finished with an objective)"
                : "trial " + best.number() + (best.runName() == null ? "" : " (" + best.runName() + ")") + ": "
                + spec.objective().metric() + " " + ResultsTable.objectiveText(best.objective()) + " with "
                + describe(best.values())));
        for (TrialResult trial : result.trials()) {
            if (trial.failureReason() != null) {
                lines.add("trial " + trial.number() + ":    " + trial.status() + " (" + trial.failureReason() + ")");
            }
        }
        lines.add("results:    " + result.resultsTable());
        lines.add("plot:       " + (result.plot() != null ? result.plot() : "skipped: " + result.plotNote()));
        result.problems().forEach(problem -> lines.add("problem:    " + problem));
        lines.add(String.format(java.util.Locale.ROOT, "time:       %.2f s, of which %.2f s for %d trials, up to %d at "
                + "once", result.wallTime().toMillis() / 1000.0, result.trialsTime().toMillis() / 1000.0,
                result.trials().size(), result.parallel()));
        return lines;
    }

    private static String describe(Map<String, String> values) {
        return values.entrySet().stream().map(entry -> entry.getKey() + "=" + entry.getValue())
                .collect(Collectors.joining(", "));
    }

    private static String describeIds(Map<String, String> ids) {
        return ids.entrySet().stream().map(id -> id.getKey() + " " + id.getValue()).collect(Collectors.joining(", "));
    }

    private static String mlflowRunName(MultiBackendTracker tracker) {
        for (RunTracker backend : tracker.getTrackers().values()) {
            if (backend instanceof MLflowTracker mlflow) {
                try {
                    return mlflow.runName();
                } catch (RuntimeException noRun) {
                    return null;
                }
            }
        }
        return null;
    }

    /** True while the JVM runs its shutdown hooks (Ctrl-C, SIGTERM): then no trial may start. */
    private static boolean shuttingDown() {
        Thread probe = new Thread(() -> { });
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    /** Creates {@code sweep-<N>} below {@code sweeps} with the lowest N above every existing one. */
    private static Path claimDirectory(Path sweeps) {
        try {
            Files.createDirectories(sweeps);
            int next = 1;
            try (var existing = Files.list(sweeps)) {
                for (Path path : (Iterable<Path>) existing::iterator) {
                    String name = path.getFileName().toString();
                    if (name.matches("sweep-\\d{1,9}")) {
                        next = Math.max(next, Integer.parseInt(name.substring(6)) + 1);
                    }
                }
            }
            for (int attempt = 0; attempt < 10_000; attempt++, next++) {
                try {
                    return Files.createDirectory(sweeps.resolve("sweep-" + next));
                } catch (FileAlreadyExistsException taken) {
                    // A concurrent sweep claimed it; try the next number.
                }
            }
            throw new IOException("no free sweep-<N> directory after 10000 attempts");
        } catch (IOException e) {
            throw new de.monticore.mlpipelines.generator.GenerationException("cannot create a directory in " + sweeps
                    + ": " + e, e);
        }
    }

    private void attempt(String what, Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            String problem = what + " failed: " + e.getMessage();
            problems.add(problem);
            err.println("mlpipelines: " + problem);
        }
    }
}
