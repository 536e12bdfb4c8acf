package de.monticore.mlpipelines.tracking.backend.tensorboard;

import de.monticore.mlpipelines.tracking.config.BackendConfig;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.config.PathSetting;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** {@code backends.tensorboard}: the log directory that holds one sub-directory per run. */
public record TensorBoardConfig(Path logDir) implements BackendConfig {
    /** The keys of the {@code tensorboard} section. */
    public static final Set<String> KEYS = Set.of("log_dir");

    public static TensorBoardConfig fromSection(ConfigSection section) {
        return new TensorBoardConfig(PathSetting.parse(section, "log_dir", "runs/tb"));
    }

    @Override
    public Map<String, String> settings() {
        return Map.of("log_dir", logDir.toString());
    }

    /** {@code tensorboard_log_dir}, absolute and normalized, so that it means the same from the script's directory. */
    @Override
    public Map<String, String> pythonOptions() {
        return Map.of("tensorboard_log_dir", logDir.toAbsolutePath().normalize().toString());
    }
}
