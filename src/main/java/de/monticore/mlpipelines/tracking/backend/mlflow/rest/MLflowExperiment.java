package de.monticore.mlpipelines.tracking.backend.mlflow.rest;

/**
 * An MLflow experiment as the server describes it.
 *
 * @param id             experiment id
 * @param name           experiment name
 * @param lifecycleStage {@code active} or {@code deleted}
 * @param tags           the experiment's tags (empty when the answer did not carry them)
 */
public record MLflowExperiment(String id, String name, String lifecycleStage, java.util.Map<String, String> tags) {
    public MLflowExperiment {
        tags = java.util.Map.copyOf(tags);
    }

    /** An experiment whose tags are not known. */
    public MLflowExperiment(String id, String name, String lifecycleStage) {
        this(id, name, lifecycleStage, java.util.Map.of());
    }

    /** True unless the experiment was deleted (and can only be restored or replaced). */
    public boolean isActive() {
        return !"deleted".equals(lifecycleStage);
    }
}
