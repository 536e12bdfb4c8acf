package de.monticore.mlpipelines.tracking.backend.mlflow.rest;

/**
 * One metric value for {@code runs/log-batch}.
 *
 * @param key             metric name
 * @param value           the value; NaN and infinities are sent as MLflow's JSON expects them
 * @param timestampMillis ms since the epoch
 * @param step            training step
 */
public record MLflowMetric(String key, double value, long timestampMillis, long step) {
}
