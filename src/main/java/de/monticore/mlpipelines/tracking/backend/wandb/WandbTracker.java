package de.monticore.mlpipelines.tracking.backend.wandb;

import de.monticore.mlpipelines.tracking.backend.handoff.HandoffTracker;
import de.monticore.mlpipelines.tracking.backend.handoff.ServiceMode;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The Java half of Weights &amp; Biases, which has no Java API: it gives each run a directory
 * {@code <dir>/run_<N>/}, a W&B run id and its mode, and hands params, tags, metrics and artifacts to
 * the Python half through that directory (see {@link HandoffTracker}); the Python half logs them into
 * the W&B run it opens with that id, offline ({@code wandb/offline-run-*} inside the run directory,
 * uploaded later with {@code wandb sync}) unless {@value WandbConfig#CREDENTIAL_VARIABLE} is set.
 */
public class WandbTracker extends HandoffTracker {
    /** The label of the run's id or URL in {@link #getRunLocations()}. */
    public static final String RUN_LABEL = "W&B run";
    /** The label of the run's local files. */
    public static final String FILES_LABEL = "W&B files";
    /** The label of the command that uploads an offline run. */
    public static final String SYNC_LABEL = "W&B sync";

    private static final String ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final int ID_LENGTH = 8;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final WandbConfig config;
    private final Map<String, String> environment;

    /** A tracker for {@code config}, reading credentials from this process's environment. */
    public WandbTracker(WandbConfig config) {
        this(config, System.getenv());
    }

    /** A tracker for {@code config} that takes {@code environment} as the process's environment. */
    public WandbTracker(WandbConfig config, Map<String, String> environment) {
        super("WANDB", Objects.requireNonNull(config, "config").dir());
        this.config = config;
        this.environment = Map.copyOf(environment);
    }

    @Override
    public String credentialVariable() {
        return WandbConfig.CREDENTIAL_VARIABLE;
    }

    @Override
    protected Map<String, String> configOptions() {
        return config.pythonOptions();
    }

    /** {@code wandb_run_id}: eight characters of {@code [a-z0-9]}, as W&B makes them; {@code wandb_mode}: resolved. */
    @Override
    protected Map<String, String> newRunIdentity() {
        ServiceMode mode = config.mode().resolve("WANDB", credentialVariable(), environment);
        StringBuilder id = new StringBuilder(ID_LENGTH);
        for (int i = 0; i < ID_LENGTH; i++) {
            id.append(ID_ALPHABET.charAt(RANDOM.nextInt(ID_ALPHABET.length())));
        }
        Map<String, String> identity = new LinkedHashMap<>();
        identity.put("wandb_run_id", id.toString());
        identity.put("wandb_mode", mode.option());
        identity.put("wandb_project", config.project());
        return identity;
    }

    @Override
    protected Map<String, String> describe(Path runDirectory, Map<String, String> identity,
                                           Map<String, String> location) {
        Map<String, String> lines = new LinkedHashMap<>();
        lines.put(RUN_LABEL, location.getOrDefault("run", identity.get("wandb_mode") + " run "
                + identity.get("wandb_run_id") + " of project " + config.project()));
        lines.put(FILES_LABEL, location.getOrDefault("files", runDirectory.toString()));
        if (location.containsKey("sync")) {
            lines.put(SYNC_LABEL, location.get("sync"));
        }
        return lines;
    }
}
