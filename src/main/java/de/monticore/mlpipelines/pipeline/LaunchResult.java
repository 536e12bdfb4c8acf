package de.monticore.mlpipelines.pipeline;

import de.monticore.mlpipelines.tracking.tracker.RunStatus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a launched training ended.
 *
 * @param status        the status the run was ended with: FINISHED, FAILED or KILLED, never RUNNING
 * @param exitCode      the script's exit code ({@code 128 + n} when killed by signal n); null when it never started
 * @param failureReason why the run did not finish (also its {@code failure_reason} tag); null when FINISHED
 * @param backends      the enabled backends, as the tracker's {@code tracking_backends} option names them; empty
 *                      when tracking is off (no backend enabled); null when the tracker failed before naming them
 * @param runIds        the run's identity per backend option, e.g. {@code mlflow_run_id} or {@code csv_run_name}
 * @param locations     how the run's end stands per store ({@code getRunEndStates()}, e.g. a pending end and
 *                      the command that completes it), then where to find the run, label to URL/file/directory
 *                      ({@code getRunLocations()})
 * @param problems      tracking errors that did not stop the pipeline, already phrased
 * @param setup         time to start the run and log params and artifacts
 * @param training      time the script ran
 * @param finishing     time to end the run, clean up and close the trackers (flushes included)
 * @param recovered     per backend, what the launcher delivered from the journal after the script died
 *                      ("12 metrics recovered after the script died"); empty when nothing was recovered
 * @param trackingOptions the options the trackers gave the script ({@code getPythonParams()}: experiment and
 *                      run ids, run names, store URIs and directories; never a credential); empty when the
 *                      tracker failed before giving them
 */
public record LaunchResult(RunStatus status, Integer exitCode, String failureReason, List<String> backends,
                           Map<String, String> runIds,
                           Map<String, String> locations, List<String> problems,
                           Duration setup, Duration training, Duration finishing, Map<String, String> recovered,
                           Map<String, String> trackingOptions) {
    public LaunchResult {
        trackingOptions = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(trackingOptions));
        recovered = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(recovered));
        backends = backends == null ? null : List.copyOf(backends);
        runIds = Map.copyOf(runIds);
        locations = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(locations));
        problems = List.copyOf(problems);
    }

    /** A result without the trackers' options. */
    public LaunchResult(RunStatus status, Integer exitCode, String failureReason, List<String> backends,
                        Map<String, String> runIds, Map<String, String> locations, List<String> problems,
                        Duration setup, Duration training, Duration finishing, Map<String, String> recovered) {
        this(status, exitCode, failureReason, backends, runIds, locations, problems, setup, training, finishing,
                recovered, Map.of());
    }

    /** A result without recovered metrics. */
    public LaunchResult(RunStatus status, Integer exitCode, String failureReason, List<String> backends,
                        Map<String, String> runIds, Map<String, String> locations, List<String> problems,
                        Duration setup, Duration training, Duration finishing) {
        this(status, exitCode, failureReason, backends, runIds, locations, problems, setup, training, finishing,
                Map.of());
    }

    /** The exit code of {@code mlpipelines run}: 0 FINISHED, 1 FAILED, 130 KILLED. */
    public int commandExitCode() {
        return switch (status) {
            case FINISHED -> 0;
            case KILLED -> 130;
            default -> 1;
        };
    }

    /** True when the run was launched without any tracking backend. */
    public boolean trackingOff() {
        return backends != null && backends.isEmpty();
    }

    /** The summary lines printed at the end of a pipeline. */
    public List<String> summary(String experimentName, String experimentFile, String script) {
        List<String> lines = new ArrayList<>();
        lines.add("experiment: " + experimentName.replace("\n", "\\n") + " (" + experimentFile + ")");
        lines.add("script:     " + script);
        if (trackingOff()) {
            lines.add("tracking:   off (no backend is enabled; nothing was recorded)");
        } else {
            if (backends != null) {
                lines.add("tracking:   " + String.join(", ", backends));
            }
            lines.add("run:        " + (runIds.isEmpty() ? "(no backend names its runs)" : String.join(", ",
                    runIds.entrySet().stream().sorted(Map.Entry.comparingByKey())
                            .map(id -> id.getKey() + " " + id.getValue()).toList())));
        }
        lines.add("status:     " + status + (failureReason == null ? "" : " (" + failureReason + ")"));
        recovered.forEach((backend, text) -> lines.add("recovered:  " + backend + ": " + text));
        locations.forEach((label, location) -> lines.add(label + ": " + location));
        problems.forEach(problem -> lines.add("problem:    " + problem));
        return lines;
    }
}
