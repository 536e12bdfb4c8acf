package de.monticore.mlpipelines.tracking.backend.stdout;

import de.monticore.mlpipelines.tracking.config.BackendConfig;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import java.util.Map;
import java.util.Set;

/**
 * {@code backends.stdout}: under which experiment name the run's lines are printed, and how often the
 * Python half prints metrics: {@code every_n_steps: 0} (the default) prints the calls that log an
 * {@code epoch} metric and summarises the rest; N also prints every call whose step is a multiple of N.
 *
 * @param experimentName the name in front of every line
 * @param everyNSteps    0, or print every N-th step too
 */
public record StdOutConfig(String experimentName, int everyNSteps) implements BackendConfig {
    /** The keys of the {@code stdout} section. */
    public static final Set<String> KEYS = Set.of("experiment_name", "every_n_steps");

    public StdOutConfig {
        if (everyNSteps < 0) {
            throw new IllegalArgumentException("everyNSteps must be at least 0, got " + everyNSteps);
        }
    }

    /** Printing per epoch (every_n_steps 0). */
    public StdOutConfig(String experimentName) {
        this(experimentName, 0);
    }

    public static StdOutConfig fromSection(ConfigSection section) {
        return new StdOutConfig(section.string("experiment_name", "default"), section.integer("every_n_steps", 0, 0));
    }

    @Override
    public Map<String, String> settings() {
        Map<String, String> settings = new java.util.LinkedHashMap<>();  // in tracking.yaml's documented order
        settings.put("experiment_name", experimentName);
        settings.put("every_n_steps", Integer.toString(everyNSteps));
        return settings;
    }

    /** {@code stdout_experiment_name}, {@code stdout_every_n_steps}. */
    @Override
    public Map<String, String> pythonOptions() {
        return Map.of("stdout_experiment_name", experimentName, "stdout_every_n_steps", Integer.toString(everyNSteps));
    }
}
