package de.monticore.mlpipelines.pipeline;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link TrainingLauncher} runs and records.
 *
 * @param script             the generated {@code train.py}; logged as an artifact
 * @param experimentFile     the experiment description it came from; logged as an artifact
 * @param hyperparameters    logged as params before the script starts
 * @param scriptOptions      passed to the script as {@code --key=value} (sorted, beside the tracking
 *                           options), so that it trains with the logged values whatever its defaults
 * @param paramsLoggedOption the script's flag (without {@code --}) that tells it the params are logged
 *                           already, passed by the launcher after logging them; null for a script without one
 * @param tags               logged as tags with the params (the script then sets none of its own, so each
 *                           store gets them once)
 */
public record TrainingJob(Path script, Path experimentFile, Map<String, String> hyperparameters,
                          Map<String, String> scriptOptions, String paramsLoggedOption, Map<String, String> tags) {
    public TrainingJob {
        hyperparameters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(hyperparameters));
        scriptOptions = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(scriptOptions));
        tags = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tags));
    }

    /** A job without tags of its own. */
    public TrainingJob(Path script, Path experimentFile, Map<String, String> hyperparameters,
                       Map<String, String> scriptOptions, String paramsLoggedOption) {
        this(script, experimentFile, hyperparameters, scriptOptions, paramsLoggedOption, Map.of());
    }

    /** A job whose script takes only the tracking options. */
    public TrainingJob(Path script, Path experimentFile, Map<String, String> hyperparameters) {
        this(script, experimentFile, hyperparameters, Map.of(), null);
    }
}
