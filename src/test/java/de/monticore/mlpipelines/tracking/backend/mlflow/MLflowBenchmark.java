package de.monticore.mlpipelines.tracking.backend.mlflow;

import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRestClient;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.RetryPolicy;
import de.monticore.mlpipelines.tracking.backend.mlflow.server.LocalMLflowServer;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Figures for the Java MLflow backend (run by {@code bench/bench_mlflow_java.sh}):
 * <ul>
 *   <li>local server start-up: {@code LocalMLflowServer.acquire} on a fresh SQLite store until
 *       {@code /health} answers, then until the first API answer (the experiment get-or-create, which
 *       also waits for the new database's tables), with the process count and the summed RSS of the
 *       server's process tree;</li>
 *   <li>{@code startNewRun()} plus {@code logParams} of 100 params, five times, median;</li>
 *   <li>the warm server: the server a pipeline left running (idle timeout 60 s) acquired again, as the
 *       next pipeline's tracker does (state file, process check, {@code /health}, lock, lease), ten times,
 *       median; then it is stopped as {@code mlpipelines ui --stop} does.</li>
 * </ul>
 * Arguments: {@code [starts] [workers]} (default 3 starts, 1 worker).
 */
public final class MLflowBenchmark {
    private MLflowBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int starts = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int workers = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        LocalMLflowServer.Settings settings = new LocalMLflowServer.Settings(null, Duration.ofSeconds(300), workers,
                Duration.ZERO);
        System.out.println("python: " + settings.interpreter() + ", workers: " + workers
                + ", MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false");
        List<Double> health = new ArrayList<>();
        List<Double> ready = new ArrayList<>();
        for (int i = 1; i <= starts; i++) {
            Path directory = Files.createTempDirectory("mlflow-bench");
            LocalStore store = LocalStore.parse("sqlite:///" + directory.resolve("mlflow.db"));
            long begin = System.nanoTime();
            try (LocalMLflowServer.Lease lease = LocalMLflowServer.acquire(store, settings)) {
                double toHealth = seconds(begin);
                double cpu = cpuSeconds(lease.pid());
                MLflowRestClient client = new MLflowRestClient(lease.url(), Credentials.NONE, RetryPolicy.DEFAULT,
                        Duration.ofSeconds(10), Duration.ofSeconds(120));
                client.getExperimentByName("Default");
                double toReady = seconds(begin);
                health.add(toHealth);
                ready.add(toReady);
                Thread.sleep(2000);
                long[] tree = processTree(lease.pid());
                System.out.printf("start %d: /health after %.2f s (server CPU time by then %.2f s), first API answer "
                        + "after %.2f s, %d processes, %.0f MiB RSS%n", i, toHealth, cpu, toReady, tree[0],
                        tree[1] / 1024.0);
                if (i == starts) {
                    runAndParams(lease);
                }
            }
        }
        System.out.printf("server start-up median: /health %.2f s, first API answer %.2f s (%d starts)%n",
                median(health), median(ready), starts);
        warmReuse(settings.withIdleTimeout(Duration.ofSeconds(60)));
    }

    private static void warmReuse(LocalMLflowServer.Settings settings) throws IOException {
        LocalStore store = LocalStore.parse("sqlite:///" + Files.createTempDirectory("mlflow-bench").resolve("mlflow.db"));
        try {
            LocalMLflowServer.acquire(store, settings).close();
            List<Double> times = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                long begin = System.nanoTime();
                try (LocalMLflowServer.Lease lease = LocalMLflowServer.acquire(store, settings)) {
                    times.add(seconds(begin) * 1000);
                    if (lease.startedServer()) {
                        throw new IllegalStateException("the warm server was not reused");
                    }
                }
            }
            System.out.printf("warm server acquired again (the next pipeline's server time): median %.1f ms of %s ms%n",
                    median(times), times.stream().map(t -> String.format("%.1f", t)).toList());
        } finally {
            LocalMLflowServer.stop(store);
        }
    }

    private static void runAndParams(LocalMLflowServer.Lease lease) {
        MLflowConfig config = new MLflowConfig("bench-" + System.currentTimeMillis(), lease.url().toString(), Set.of());
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < 100; i++) {
            params.put("param_" + i, "value " + i);
        }
        List<Double> times = new ArrayList<>();
        try (MLflowTracker tracker = new MLflowTracker(config)) {
            tracker.getPythonParams();
            for (int i = 0; i < 5; i++) {
                long begin = System.nanoTime();
                tracker.startNewRun();
                tracker.logParams(params);
                times.add(seconds(begin) * 1000);
                tracker.endRun(RunStatus.FINISHED);
            }
        }
        System.out.printf("create a run + log 100 params: median %.0f ms of %s ms%n", median(times),
                times.stream().map(t -> String.format("%.0f", t)).toList());
    }

    /** Process count and summed RSS (KiB) of a process and its descendants, from /proc. */
    private static long[] processTree(long pid) {
        List<ProcessHandle> tree = new ArrayList<>();
        ProcessHandle.of(pid).ifPresent(tree::add);
        ProcessHandle.of(pid).ifPresent(root -> root.descendants().forEach(tree::add));
        long rss = 0;
        for (ProcessHandle process : tree) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                    if (line.startsWith("VmRSS:")) {
                        rss += Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            } catch (IOException gone) {
                // The process ended between listing and reading.
            }
        }
        return new long[]{tree.size(), rss};
    }

    /**
     * User plus system CPU seconds of a process and its descendants, from /proc (clock ticks of 1/100 s):
     * what the start-up costs on a machine whose cores are not shared.
     */
    private static double cpuSeconds(long pid) {
        List<ProcessHandle> tree = new ArrayList<>();
        ProcessHandle.of(pid).ifPresent(tree::add);
        ProcessHandle.of(pid).ifPresent(root -> root.descendants().forEach(tree::add));
        long ticks = 0;
        for (ProcessHandle process : tree) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            } catch (IOException gone) {
                // The process ended between listing and reading.
            }
        }
        return ticks / 100.0;
    }

    private static double seconds(long beginNanos) {
        return (System.nanoTime() - beginNanos) / 1e9;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }
}
