package de.monticore.mlpipelines.tracking.backend.mlflow;

import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRestClient;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.RetryPolicy;
import de.monticore.mlpipelines.tracking.backend.mlflow.server.LocalMLflowServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One real MLflow server for all test classes of a test JVM: started on first use through
 * {@link LocalMLflowServer} with a SQLite store in a temporary directory, stopped when the JVM
 * exits (the server manager releases its leases then).
 */
public final class TestMLflowServer {
    private static LocalMLflowServer.Lease lease;
    private static Path directory;

    private TestMLflowServer() {
    }

    /** The shared server's URL. */
    public static synchronized URI url() {
        if (lease == null) {
            try {
                directory = Files.createTempDirectory("mlflow-test-server");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            lease = LocalMLflowServer.acquire(LocalStore.parse("sqlite:///" + directory.resolve("mlflow.db")),
                    LocalMLflowServer.Settings.DEFAULT);
        }
        return lease.url();
    }

    /** The shared server's store, as a tracking URI that names it ({@code sqlite:////tmp/…/mlflow.db}). */
    public static synchronized String storeUri() {
        url();
        return "sqlite:///" + directory.resolve("mlflow.db");
    }

    /** A client for the shared server without credentials. */
    public static MLflowRestClient client() {
        return new MLflowRestClient(url(), Credentials.NONE, RetryPolicy.DEFAULT, java.time.Duration.ofSeconds(5),
                java.time.Duration.ofSeconds(60));
    }
}
