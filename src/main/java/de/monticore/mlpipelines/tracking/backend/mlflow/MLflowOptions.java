package de.monticore.mlpipelines.tracking.backend.mlflow;

import de.monticore.mlpipelines.tracking.backend.mlflow.rest.RetryPolicy;
import de.monticore.mlpipelines.tracking.backend.mlflow.server.LocalMLflowServer;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;

/**
 * How an MLflow tracker connects and reports, beyond what tracking.yaml says.
 *
 * @param environment    where credentials ({@link Credentials}) are read from
 * @param retryPolicy    retries of failed requests
 * @param connectTimeout TCP connect timeout per attempt
 * @param requestTimeout answer timeout per attempt
 * @param searchPageSize runs per page when searching (clean-up, numbering)
 * @param localServer    how a server for a local store is started
 * @param warnings       where warnings go (a truncated param, an infinite metric, a failed close)
 */
public record MLflowOptions(Map<String, String> environment, RetryPolicy retryPolicy, Duration connectTimeout,
                            Duration requestTimeout, int searchPageSize, LocalMLflowServer.Settings localServer,
                            PrintStream warnings) {
    public MLflowOptions {
        environment = Map.copyOf(environment);
        if (searchPageSize < 1 || searchPageSize > 50000) {
            throw new IllegalArgumentException("searchPageSize must be 1 to 50000, got " + searchPageSize);
        }
    }

    /**
     * The process environment, {@link RetryPolicy#DEFAULT}, 5 s to connect, 60 s per answer, pages of 1000.
     */
    public static MLflowOptions defaults() {
        return new MLflowOptions(System.getenv(), RetryPolicy.DEFAULT, Duration.ofSeconds(5), Duration.ofSeconds(60),
                1000, LocalMLflowServer.Settings.DEFAULT, System.err);
    }

    /** These options with another environment. */
    public MLflowOptions withEnvironment(Map<String, String> newEnvironment) {
        return new MLflowOptions(newEnvironment, retryPolicy, connectTimeout, requestTimeout, searchPageSize,
                localServer, warnings);
    }

    /** These options with another retry policy and connect timeout. */
    public MLflowOptions withRetries(RetryPolicy newRetryPolicy, Duration newConnectTimeout) {
        return new MLflowOptions(environment, newRetryPolicy, newConnectTimeout, requestTimeout, searchPageSize,
                localServer, warnings);
    }

    /** These options with another search page size. */
    public MLflowOptions withSearchPageSize(int newSearchPageSize) {
        return new MLflowOptions(environment, retryPolicy, connectTimeout, requestTimeout, newSearchPageSize,
                localServer, warnings);
    }

    /** These options with another stream for warnings. */
    public MLflowOptions withWarnings(PrintStream newWarnings) {
        return new MLflowOptions(environment, retryPolicy, connectTimeout, requestTimeout, searchPageSize,
                localServer, newWarnings);
    }
}
