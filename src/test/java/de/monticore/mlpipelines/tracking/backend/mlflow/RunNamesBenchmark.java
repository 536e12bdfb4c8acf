package de.monticore.mlpipelines.tracking.backend.mlflow;

import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRestClient;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRun;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Figures for "Run N" names and clean-up (run by {@code bench/bench_run_names_java.sh}) against the
 * shared test server ({@link TestMLflowServer}, SQLite store):
 * <ul>
 *   <li>{@link NumberedRuns#create} in experiments that already hold 10, 1,000 and 10,000 "Run N" runs
 *       (a tenth of them deleted), median of 7 after a warm-up claim;</li>
 *   <li>{@link MLflowTracker#cleanUpRepository()} of 1,000 FAILED runs.</li>
 * </ul>
 * Arguments: {@code [largest experiment] [runs to clean up]} (default 10000 and 1000).
 */
public final class RunNamesBenchmark {
    private RunNamesBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int largest = args.length > 0 ? Integer.parseInt(args[0]) : 10000;
        int cleanUp = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        MLflowRestClient client = TestMLflowServer.client();
        System.out.println("server " + TestMLflowServer.url() + " (SQLite store)");
        // A first claim warms the JIT and the connection pool up, so that the first row is not the dearer one.
        NumberedRuns.create(client, client.createExperiment("warm-up-" + UUID.randomUUID()), System.currentTimeMillis(),
                Map.of());
        for (int runs : largest > 1000 ? new int[]{10, 1000, largest} : new int[]{10, largest}) {
            String experimentId = client.createExperiment("names-" + UUID.randomUUID());
            createRuns(client, experimentId, runs, i -> "Run " + (i + 1), null, i -> i % 10 == 9);
            List<Double> times = new ArrayList<>();
            String last = "";
            for (int i = 0; i < 7; i++) {
                long begin = System.nanoTime();
                last = NumberedRuns.create(client, experimentId, System.currentTimeMillis(), Map.of()).name();
                times.add((System.nanoTime() - begin) / 1e6);
            }
            System.out.printf("\"Run N\" claim with %,d runs present: median %.0f ms of %s ms (last: %s)%n", runs,
                    median(times), times.stream().map(t -> String.format("%.0f", t)).toList(), last);
        }
        String experiment = "clean-up-" + UUID.randomUUID();
        MLflowConfig config = new MLflowConfig(experiment, TestMLflowServer.url().toString(),
                Set.of(RunStatus.FAILED));
        try (MLflowTracker tracker = new MLflowTracker(config,
                MLflowOptions.defaults().withEnvironment(Map.of()))) {
            String experimentId = tracker.getPythonParams().get("mlflow_experiment_id");
            createRuns(client, experimentId, cleanUp, i -> "failed " + i, "FAILED", i -> false);
            long begin = System.nanoTime();
            tracker.cleanUpRepository();
            double seconds = (System.nanoTime() - begin) / 1e9;
            int left = client.searchRuns(List.of(experimentId), "", "ACTIVE_ONLY", 1000, null).runs().size();
            System.out.printf("clean-up of %,d FAILED runs: %.2f s (%d left active)%n", cleanUp, seconds, left);
        }
    }

    /** Creates runs 8 at a time; optionally ends them with a status and deletes some. */
    private static void createRuns(MLflowRestClient client, String experimentId, int count,
                                   java.util.function.IntFunction<String> name, String status,
                                   java.util.function.IntPredicate deleted) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> created = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int index = i;
                created.add(pool.submit(() -> {
                    MLflowRun run = client.createRun(experimentId, name.apply(index), System.currentTimeMillis(),
                            Map.of());
                    if (status != null) {
                        client.updateRun(run.id(), status, System.currentTimeMillis());
                    }
                    if (deleted.test(index)) {
                        client.deleteRun(run.id());
                    }
                }));
            }
            for (Future<?> future : created) {
                future.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }
}
