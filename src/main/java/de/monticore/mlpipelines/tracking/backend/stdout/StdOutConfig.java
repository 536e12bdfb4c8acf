package de.monticore.mlpipelines.tracking.backend.stdout;

import de.monticore.mlpipelines.tracking.config.BackendConfig;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import java.util.Map;
import java.util.Set;

/** {@code backends.stdout}: where the run's lines are printed and under which experiment name. */
public record StdOutConfig(String experimentName) implements BackendConfig {
    /** The keys of the {@code stdout} section. */
    public static final Set<String> KEYS = Set.of("experiment_name");

    public static StdOutConfig fromSection(ConfigSection section) {
        return new StdOutConfig(section.string("experiment_name", "default"));
    }

    @Override
    public Map<String, String> settings() {
        return Map.of("experiment_name", experimentName);
    }

    /** {@code stdout_experiment_name}. */
    @Override
    public Map<String, String> pythonOptions() {
        return Map.of("stdout_experiment_name", experimentName);
    }
}
