package de.monticore.mlpipelines.tracking.backend.wandb;

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
 * {@code backends.wandb}: the directory of the runs' local files (one {@code run_<N>} per run, W&B's
 * offline run inside), the W&B project and the mode ({@code auto}: online exactly when
 * {@value #CREDENTIAL_VARIABLE} is set in the environment).
 */
public record WandbConfig(Path dir, String project, ServiceMode mode) implements BackendConfig {
    /** The keys of the {@code wandb} section. */
    public static final Set<String> KEYS = HandoffSection.KEYS;
    /** The environment variable that holds the W&B API key; its presence makes {@code auto} online. */
    public static final String CREDENTIAL_VARIABLE = "WANDB_API_KEY";

    public static WandbConfig fromSection(ConfigSection section) {
        return new WandbConfig(PathSetting.parse(section, "dir", "runs/wandb"),
                ProjectSetting.parse(section, "project", "mlpipelines"), ServiceMode.parse(section, "mode"));
    }

    @Override
    public Map<String, String> settings() {
        return HandoffSection.settings(dir, project, mode);
    }

    /** {@code wandb_dir} (absolute, normalized), {@code wandb_project} and {@code wandb_mode} as configured. */
    @Override
    public Map<String, String> pythonOptions() {
        return HandoffSection.pythonOptions("wandb_", dir, project, mode);
    }
}
