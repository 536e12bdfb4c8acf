package de.monticore.mlpipelines.tracking.backend.comet;

import de.monticore.mlpipelines.tracking.backend.handoff.HandoffSection;
import de.monticore.mlpipelines.tracking.backend.handoff.ProjectSetting;
import de.monticore.mlpipelines.tracking.backend.handoff.ServiceMode;
import de.monticore.mlpipelines.tracking.config.BackendConfig;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.config.PathSetting;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * {@code backends.comet}: the directory of the runs' local files (one {@code run_<N>} per run, Comet's
 * offline archive inside), the Comet project and the mode ({@code auto}: online exactly when
 * {@value #CREDENTIAL_VARIABLE} is set in the environment).
 */
public record CometConfig(Path dir, String project, ServiceMode mode) implements BackendConfig {
    /** The keys of the {@code comet} section. */
    public static final Set<String> KEYS = HandoffSection.KEYS;
    /** The environment variable that holds the Comet API key; its presence makes {@code auto} online. */
    public static final String CREDENTIAL_VARIABLE = "COMET_API_KEY";

    public static CometConfig fromSection(ConfigSection section) {
        return new CometConfig(PathSetting.parse(section, "dir", "runs/comet"),
                ProjectSetting.parse(section, "project", "mlpipelines"), ServiceMode.parse(section, "mode"));
    }

    @Override
    public Map<String, String> settings() {
        return HandoffSection.settings(dir, project, mode);
    }

    /** {@code comet_dir} (absolute, normalized), {@code comet_project} and {@code comet_mode} as configured. */
    @Override
    public Map<String, String> pythonOptions() {
        return HandoffSection.pythonOptions("comet_", dir, project, mode);
    }
}
