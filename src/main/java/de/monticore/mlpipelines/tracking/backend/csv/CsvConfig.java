package de.monticore.mlpipelines.tracking.backend.csv;

import de.monticore.mlpipelines.tracking.config.BackendConfig;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.config.PathSetting;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** {@code backends.csv}: the directory that holds one sub-directory per run. */
public record CsvConfig(Path dir) implements BackendConfig {
    /** The keys of the {@code csv} section. */
    public static final Set<String> KEYS = Set.of("dir");

    public static CsvConfig fromSection(ConfigSection section) {
        return new CsvConfig(PathSetting.parse(section, "dir", "runs/csv"));
    }

    @Override
    public Map<String, String> settings() {
        return Map.of("dir", dir.toString());
    }

    /** {@code csv_dir}, absolute and normalized, so that it means the same from the script's directory. */
    @Override
    public Map<String, String> pythonOptions() {
        return Map.of("csv_dir", dir.toAbsolutePath().normalize().toString());
    }
}
