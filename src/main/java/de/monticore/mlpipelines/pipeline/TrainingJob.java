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
 * @param processes          how many processes train together: 1 runs {@code python script}, more run it under
 *                           torchrun ({@code python -m torch.distributed.run --standalone --nproc-per-node N})
 */
public record TrainingJob(Path script, Path experimentFile, Map<String, String> hyperparameters,
                          Map<String, String> scriptOptions, String paramsLoggedOption, Map<String, String> tags,
                          int processes) {
    public TrainingJob {
        hyperparameters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(hyperparameters));
        scriptOptions = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(scriptOptions));
        tags = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tags));
        if (processes < 1) {
            throw new IllegalArgumentException("processes is " + processes + "; expected at least 1");
        }
    }

    /** A job without tags of its own. */
    public TrainingJob(Path script, Path experimentFile, Map<String, String> hyperparameters,
                       Map<String, String> scriptOptions, String paramsLoggedOption, int processes) {
        this(script, experimentFile, hyperparameters, scriptOptions, paramsLoggedOption, Map.of(), processes);
    }

    /** A job of one process. */
    public TrainingJob(Path script, Path experimentFile, Map<String, String> hyperparameters,
                       Map<String, String> scriptOptions, String paramsLoggedOption, Map<String, String> tags) {
        this(script, experimentFile, hyperparameters, scriptOptions, paramsLoggedOption, tags, 1);
    }

    /** A job of one process without tags of its own. */
    public TrainingJob(Path script, Path experimentFile, Map<String, String> hyperparameters,
                       Map<String, String> scriptOptions, String paramsLoggedOption) {
        this(script, experimentFile, hyperparameters, scriptOptions, paramsLoggedOption, Map.of(), 1);
    }

    /** A job whose script takes only the tracking options. */
    public TrainingJob(Path script, Path experimentFile, Map<String, String> hyperparameters) {
        this(script, experimentFile, hyperparameters, Map.of(), null, Map.of(), 1);
    }
}
