package de.monticore.mlpipelines.tracking.backend.mlflow.rest;

import java.util.Map;

/**
 * The info part of an MLflow run as the server describes it.
 *
 * @param id           run id
 * @param experimentId experiment the run belongs to
 * @param name         run name (the {@code mlflow.runName} tag)
 * @param status       RUNNING, SCHEDULED, FINISHED, FAILED or KILLED
 * @param startTime    ms since the epoch
 * @param endTime      ms since the epoch, {@code 0} while the run has not ended
 * @param artifactUri  where the run's artifacts live, e.g. {@code mlflow-artifacts:/1/<run>/artifacts}
 * @param tags         the run's tags as the answer listed them (empty where the answer had none)
 */
public record MLflowRun(String id, String experimentId, String name, String status, long startTime, long endTime,
                        String artifactUri, Map<String, String> tags) {
    public MLflowRun {
        tags = Map.copyOf(tags);
    }
}
