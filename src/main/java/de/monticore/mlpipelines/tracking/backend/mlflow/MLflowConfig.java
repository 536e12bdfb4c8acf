package de.monticore.mlpipelines.tracking.backend.mlflow;

import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.config.BackendConfig;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code backends.mlflow}.
 *
 * @param experimentName the MLflow experiment runs go into (created when missing)
 * @param trackingUri    an http(s) server, or a local store ({@code sqlite:///…}, a directory) for which
 *                       a local server is started
 * @param cleanUp        runs of the experiment in these states are deleted by {@code cleanUpRepository()}
 */
public record MLflowConfig(String experimentName, String trackingUri, Set<RunStatus> cleanUp)
        implements BackendConfig {
    /** The keys of the {@code mlflow} section. */
    public static final Set<String> KEYS = Set.of("experiment_name", "tracking_uri", "clean_up");

    public MLflowConfig {
        cleanUp = cleanUp.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(cleanUp));
    }

    public static MLflowConfig fromSection(ConfigSection section) {
        String experimentName = section.string("experiment_name", "default");
        if (experimentName.isBlank()) {
            throw section.error("experiment_name", "is empty; expected an experiment name");
        }
        String trackingUri = section.string("tracking_uri", "sqlite:///mlflow.db");
        if (trackingUri.isBlank()) {
            throw section.error("tracking_uri", "is empty; expected an http(s) URL, sqlite:///FILE or a directory");
        }
        Set<RunStatus> cleanUp = EnumSet.noneOf(RunStatus.class);
        cleanUp.addAll(section.enumList("clean_up", RunStatus.class, "a run status"));
        return new MLflowConfig(experimentName, trackingUri, cleanUp);
    }

    @Override
    public Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("experiment_name", experimentName);
        settings.put("tracking_uri", trackingUri);
        settings.put("clean_up", cleanUp.stream().sorted().map(Enum::name).collect(Collectors.joining(", ", "[", "]")));
        return settings;
    }

    /**
     * {@code mlflow_experiment_name} and {@code mlflow_tracking_uri}: a server URL as configured, a
     * local store ({@code sqlite:///FILE}, {@code file:}, a directory) with its path made absolute so
     * that it names the same store from the script's directory. A URI this project cannot serve
     * locally is passed on as written; the Python backend reports it.
     */
    @Override
    public Map<String, String> pythonOptions() {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("mlflow_experiment_name", experimentName);
        options.put("mlflow_tracking_uri", pythonTrackingUri());
        return options;
    }

    private String pythonTrackingUri() {
        if (LocalStore.isServerUrl(trackingUri)) {
            return trackingUri.strip();
        }
        try {
            return LocalStore.parse(trackingUri).uri();
        } catch (TrackingException unsupported) {
            return trackingUri.strip();
        }
    }
}
