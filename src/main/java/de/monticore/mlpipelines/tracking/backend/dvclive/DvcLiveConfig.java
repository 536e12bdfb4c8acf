package de.monticore.mlpipelines.tracking.backend.dvclive;

import de.monticore.mlpipelines.tracking.backend.handoff.ServiceMode;
import de.monticore.mlpipelines.tracking.config.BackendConfig;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.config.PathSetting;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * {@code backends.dvclive}: the directory of the runs' files (one {@code run_<N>} per run, DVCLive's
 * directory inside) and the mode: DVCLive always writes files; online lets it send live updates to
 * DVC Studio, which needs {@value #CREDENTIAL_VARIABLE} in the environment ({@code auto}: online
 * exactly when it is set).
 */
public record DvcLiveConfig(Path dir, ServiceMode mode) implements BackendConfig {
    /** The keys of the {@code dvclive} section. */
    public static final Set<String> KEYS = Set.of("dir", "mode");
    /** The environment variable that holds the DVC Studio token; its presence makes {@code auto} online. */
    public static final String CREDENTIAL_VARIABLE = "DVC_STUDIO_TOKEN";

    public static DvcLiveConfig fromSection(ConfigSection section) {
        return new DvcLiveConfig(PathSetting.parse(section, "dir", "runs/dvclive"), ServiceMode.parse(section, "mode"));
    }

    @Override
    public Map<String, String> settings() {
        Map<String, String> settings = new java.util.LinkedHashMap<>();  // in tracking.yaml's documented order
        settings.put("dir", dir.toString());
        settings.put("mode", mode.option());
        return settings;
    }

    /** {@code dvclive_dir} (absolute, normalized) and {@code dvclive_mode} as configured. */
    @Override
    public Map<String, String> pythonOptions() {
        return Map.of("dvclive_dir", dir.toAbsolutePath().normalize().toString(), "dvclive_mode", mode.option());
    }
}
