package de.monticore.mlpipelines.tracking.backend.dvclive;

import de.monticore.mlpipelines.tracking.backend.handoff.HandoffTracker;
import de.monticore.mlpipelines.tracking.backend.handoff.ServiceMode;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The Java half of DVCLive, which has no Java API: it gives each run a directory {@code <dir>/run_<N>/}
 * and its mode, and hands params, tags, metrics and artifacts to the Python half through that
 * directory (see {@link HandoffTracker}); the Python half logs them with DVCLive into
 * {@code dvclive/} inside the run directory ({@code metrics.json}, {@code plots/metrics/*.tsv},
 * {@code params.yaml}), which {@code dvc plots show} and DVC Studio read.
 */
public class DvcLiveTracker extends HandoffTracker {
    /** The label of the run's DVCLive directory in {@link #getRunLocations()}. */
    public static final String FILES_LABEL = "DVCLive files";
    /** The label of the run's mode (whether DVC Studio got live updates). */
    public static final String RUN_LABEL = "DVCLive run";

    private final DvcLiveConfig config;
    private final Map<String, String> environment;

    /** A tracker for {@code config}, reading credentials from this process's environment. */
    public DvcLiveTracker(DvcLiveConfig config) {
        this(config, System.getenv());
    }

    /** A tracker for {@code config} that takes {@code environment} as the process's environment. */
    public DvcLiveTracker(DvcLiveConfig config, Map<String, String> environment) {
        super("DVCLIVE", Objects.requireNonNull(config, "config").dir());
        this.config = config;
        this.environment = Map.copyOf(environment);
    }

    @Override
    public String credentialVariable() {
        return DvcLiveConfig.CREDENTIAL_VARIABLE;
    }

    @Override
    protected Map<String, String> configOptions() {
        return config.pythonOptions();
    }

    /** {@code dvclive_mode}, resolved; the run directory's name is the run's identity. */
    @Override
    protected Map<String, String> newRunIdentity() {
        ServiceMode mode = config.mode().resolve("DVCLIVE", credentialVariable(), environment);
        return Map.of("dvclive_mode", mode.option());
    }

    @Override
    protected Map<String, String> describe(Path runDirectory, Map<String, String> identity,
                                           Map<String, String> location) {
        Map<String, String> lines = new LinkedHashMap<>();
        lines.put(RUN_LABEL, location.getOrDefault("run", runDirectory.getFileName() + " ("
                + identity.get("dvclive_mode") + ")"));
        lines.put(FILES_LABEL, location.getOrDefault("files", runDirectory.resolve("dvclive").toString()));
        return lines;
    }
}
