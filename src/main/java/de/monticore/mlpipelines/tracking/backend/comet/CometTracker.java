package de.monticore.mlpipelines.tracking.backend.comet;

import de.monticore.mlpipelines.tracking.backend.handoff.HandoffTracker;
import de.monticore.mlpipelines.tracking.backend.handoff.ServiceMode;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * The Java half of Comet, which has no Java API: it gives each run a directory {@code <dir>/run_<N>/},
 * a Comet experiment key and its mode, and hands params, tags, metrics and artifacts to the Python
 * half through that directory (see {@link HandoffTracker}); the Python half logs them into the Comet
 * experiment of that key, offline (an archive {@code <key>.zip} in the run directory, uploaded later
 * with {@code comet upload}) unless {@value CometConfig#CREDENTIAL_VARIABLE} is set.
 */
public class CometTracker extends HandoffTracker {
    /** The label of the experiment's key or URL in {@link #getRunLocations()}. */
    public static final String RUN_LABEL = "Comet experiment";
    /** The label of the experiment's local files (the offline archive). */
    public static final String FILES_LABEL = "Comet files";
    /** The label of the command that uploads an offline experiment. */
    public static final String SYNC_LABEL = "Comet upload";

    private final CometConfig config;
    private final Map<String, String> environment;

    /** A tracker for {@code config}, reading credentials from this process's environment. */
    public CometTracker(CometConfig config) {
        this(config, System.getenv());
    }

    /** A tracker for {@code config} that takes {@code environment} as the process's environment. */
    public CometTracker(CometConfig config, Map<String, String> environment) {
        super("COMET", Objects.requireNonNull(config, "config").dir());
        this.config = config;
        this.environment = Map.copyOf(environment);
    }

    @Override
    public String credentialVariable() {
        return CometConfig.CREDENTIAL_VARIABLE;
    }

    @Override
    protected Map<String, String> configOptions() {
        return config.pythonOptions();
    }

    /** {@code comet_run_id}: an experiment key of 32 hex digits, as Comet makes them; {@code comet_mode}: resolved. */
    @Override
    protected Map<String, String> newRunIdentity() {
        ServiceMode mode = config.mode().resolve("COMET", credentialVariable(), environment);
        Map<String, String> identity = new LinkedHashMap<>();
        identity.put("comet_run_id", UUID.randomUUID().toString().replace("-", ""));
        identity.put("comet_mode", mode.option());
        identity.put("comet_project", config.project());
        return identity;
    }

    @Override
    protected Map<String, String> describe(Path runDirectory, Map<String, String> identity,
                                           Map<String, String> location) {
        Map<String, String> lines = new LinkedHashMap<>();
        lines.put(RUN_LABEL, location.getOrDefault("run", identity.get("comet_mode") + " experiment "
                + identity.get("comet_run_id") + " of project " + config.project()));
        lines.put(FILES_LABEL, location.getOrDefault("files", runDirectory.toString()));
        if (location.containsKey("sync")) {
            lines.put(SYNC_LABEL, location.get("sync"));
        }
        return lines;
    }
}
