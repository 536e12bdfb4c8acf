package de.monticore.mlpipelines.tracking.backend.mlflow.rest;

/**
 * An MLflow experiment as the server describes it.
 *
 * @param id             experiment id
 * @param name           experiment name
 * @param lifecycleStage {@code active} or {@code deleted}
 */
public record MLflowExperiment(String id, String name, String lifecycleStage) {
    /** True unless the experiment was deleted (and can only be restored or replaced). */
    public boolean isActive() {
        return !"deleted".equals(lifecycleStage);
    }
}
