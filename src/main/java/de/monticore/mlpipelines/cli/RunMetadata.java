package de.monticore.mlpipelines.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.monticore.mlpipelines.pipeline.LaunchResult;
import de.monticore.mlpipelines.sweep.SweepResult;
import de.monticore.mlpipelines.tracking.backend.mlflow.MLflowTracker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code mlpipelines run --json FILE} writes: the run's metadata as JSON, for scripts and CI (what
 * ZenML's {@code get_step_run_metadata} gives about a step's tracker run):
 *
 * <pre>{@code
 * {"experiment": {"name": "digits", "file": "examples/digits.yaml"}, "script": "…/train.py",
 *  "status": "FINISHED", "exit_code": 0, "failure_reason": null, "tracking_backends": ["STDOUT", "MLFLOW"],
 *  "stores": {"MLFLOW": {"status": "FINISHED", "experiment_id": "1", "experiment_name": "digits",
 *                        "run_id": "3f2a…", "run_name": "Run 3", "tracking_uri": "http://127.0.0.1:…", …}, "CSV": {…}},
 *  "locations": {"MLflow run": "http://…/#/experiments/1/runs/3f2a…", "CSV": "…/metrics.csv"},
 *  "recovered": {}, "problems": [], "ui_command": "mlpipelines ui tracking.yaml",
 *  "timings_seconds": {"config": 0.3, "generation": 0.8, "run_setup": 1.0, "training": 7.6, "finishing": 0.1,
 *                      "total": 9.8}}
 * }</pre>
 *
 * <p>{@code stores} holds, per enabled backend, the options its trackers gave the training script with the
 * backend's prefix removed (run id or name, experiment, store URI or directory; never a credential) and
 * its {@code status}: MLflow's as the server confirmed it (or why it is pending), else the run's status.
 * The file is replaced atomically: a reader sees the old or the new file, never half of one.
 */
final class RunMetadata {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunMetadata() {
    }

    /** The timings of a pipeline, in the order the summary prints them. */
    record Timings(Duration config, Duration generation, Duration runSetup, Duration training, Duration finishing,
                   Duration total) {
    }

    /** The metadata of one run as a JSON object. */
    static ObjectNode of(LaunchResult result, String experimentName, String experimentFile, String script,
                         String uiCommand, Timings timings) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("experiment").put("name", experimentName).put("file", experimentFile);
        root.put("script", script);
        root.put("status", result.status().name());
        if (result.exitCode() == null) {
            root.putNull("exit_code");
        } else {
            root.put("exit_code", result.exitCode());
        }
        root.put("failure_reason", result.failureReason());
        ArrayNode backends = root.putArray("tracking_backends");
        List<String> names = result.backends() == null ? List.of() : result.backends();
        names.forEach(backends::add);
        ObjectNode stores = root.putObject("stores");
        for (String name : names) {
            ObjectNode store = stores.putObject(name);
            String prefix = name.toLowerCase(Locale.ROOT) + "_";
            String mlflowStatus = result.locations().get("MLflow status");
            store.put("status", name.equals("MLFLOW") && mlflowStatus != null ? mlflowStatus : result.status().name());
            result.trackingOptions().forEach((key, value) -> {
                if (key.startsWith(prefix)) {
                    store.put(key.substring(prefix.length()), value);
                }
            });
            String mlflowRunName = result.locations().get(MLflowTracker.RUN_NAME_LOCATION);
            if (name.equals("MLFLOW") && mlflowRunName != null) {
                store.put("run_name", mlflowRunName);
            }
        }
        putAll(root.putObject("locations"), result.locations());
        putAll(root.putObject("recovered"), result.recovered());
        ArrayNode problems = root.putArray("problems");
        result.problems().forEach(problems::add);
        root.put("ui_command", uiCommand);
        ObjectNode seconds = root.putObject("timings_seconds");
        seconds.put("config", seconds(timings.config()));
        seconds.put("generation", seconds(timings.generation()));
        seconds.put("run_setup", seconds(timings.runSetup()));
        seconds.put("training", seconds(timings.training()));
        seconds.put("finishing", seconds(timings.finishing()));
        seconds.put("total", seconds(timings.total()));
        return root;
    }

    /**
     * The metadata of a sweep: the experiment, then the sweep as {@link SweepResult#asMap()} gives it
     * (parent run, every trial with its values, objective, status and run ids, the best, timings).
     */
    static ObjectNode ofSweep(SweepResult result, String experimentName, String experimentFile) {
        ObjectNode metadata = JSON.createObjectNode();
        metadata.put("experiment", experimentName);
        metadata.put("experiment_file", experimentFile);
        metadata.set("sweep", JSON.valueToTree(result.asMap()));
        return metadata;
    }

    /**
     * Writes the metadata to {@code file} atomically (a temporary file beside it, then a rename).
     *
     * @throws IOException if the directory is not writable
     */
    static void write(Path file, ObjectNode metadata) throws IOException {
        Path absolute = file.toAbsolutePath();
        Path temporary = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName(), ".tmp");
        try {
            Files.writeString(temporary, metadata.toPrettyString() + "\n", StandardCharsets.UTF_8);
            Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * Checks before anything runs that {@code file} can be written where it is: its directory exists and
     * it is not a directory itself.
     *
     * @throws UsageException naming the file and what is wrong
     */
    static void checkWritable(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        if (Files.isDirectory(file)) {
            throw new UsageException("--json " + file + ": is a directory; expected a file to write");
        }
        if (parent == null || !Files.isDirectory(parent)) {
            throw new UsageException("--json " + file + ": directory " + parent + " does not exist");
        }
        if (!Files.isWritable(parent)) {
            throw new UsageException("--json " + file + ": directory " + parent + " is not writable");
        }
    }

    private static void putAll(ObjectNode node, Map<String, String> values) {
        values.forEach(node::put);
    }

    private static double seconds(Duration duration) {
        return Math.round(duration.toNanos() / 1e7) / 100.0;
    }
}
