package de.monticore.mlpipelines.tracking.backend.mlflow.rest;

import java.time.Duration;

/**
 * How often and how patiently a request to MLflow is repeated after a connection error, HTTP 429 or
 * a 5xx answer. The delay doubles from {@code initialDelay} up to {@code maxDelay}; other answers are
 * never retried.
 *
 * @param maxAttempts  attempts in total, {@code >= 1}
 * @param initialDelay wait before the second attempt
 * @param maxDelay     upper bound of any single wait, also of a server's {@code Retry-After}
 */
public record RetryPolicy(int maxAttempts, Duration initialDelay, Duration maxDelay) {
    /** Five attempts, 0.25 s doubling to at most 4 s: a dead server is reported after about 4 s. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofMillis(250), Duration.ofSeconds(4));

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be >= 1, got " + maxAttempts);
        }
        if (initialDelay.isNegative() || maxDelay.isNegative()) {
            throw new IllegalArgumentException("retry delays must not be negative");
        }
    }

    /** The wait before attempt {@code attempt + 1}, where {@code attempt} counts from 1. */
    public Duration delayAfter(int attempt) {
        long millis = initialDelay.toMillis() << Math.min(attempt - 1, 20);
        return Duration.ofMillis(Math.min(millis, maxDelay.toMillis()));
    }
}
