package de.monticore.mlpipelines.pipeline;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link TrainingLauncher} runs and records.
 *
 * @param script          the generated {@code train.py}; logged as an artifact
 * @param experimentFile  the experiment description it came from; logged as an artifact
 * @param hyperparameters logged as params before the script starts
 */
public record TrainingJob(Path script, Path experimentFile, Map<String, String> hyperparameters) {
    public TrainingJob {
        hyperparameters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(hyperparameters));
    }
}
