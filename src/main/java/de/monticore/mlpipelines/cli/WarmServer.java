package de.monticore.mlpipelines.cli;

import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.backend.mlflow.LocalStore;
import de.monticore.mlpipelines.tracking.backend.mlflow.MLflowConfig;
import de.monticore.mlpipelines.tracking.backend.mlflow.server.LocalMLflowServer;
import de.monticore.mlpipelines.tracking.config.ConfiguredBackend;
import de.monticore.mlpipelines.tracking.config.TrackingConfig;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Starts the local MLflow server of a tracking configuration in the background while the pipeline
 * reads its configuration and generates the script, so that the MLflow tracker, connecting later in
 * the same JVM, finds it running (or waits for the start already under way instead of beginning one).
 * Closing it releases its lease. A start that fails is not reported here: the tracker tries again and
 * reports it.
 */
final class WarmServer implements AutoCloseable {
    private final CompletableFuture<LocalMLflowServer.Lease> lease;

    private WarmServer(CompletableFuture<LocalMLflowServer.Lease> lease) {
        this.lease = lease;
    }

    /** Begins acquiring the server of the configuration's local MLflow store; does nothing without one. */
    static WarmServer startFor(TrackingConfig tracking) {
        return new WarmServer(tracking.backends().stream().map(ConfiguredBackend::config)
                .filter(MLflowConfig.class::isInstance).map(MLflowConfig.class::cast)
                .filter(config -> !LocalStore.isServerUrl(config.trackingUri()))
                .findFirst()
                .map(config -> CompletableFuture.supplyAsync(() -> acquire(config)))
                .orElse(CompletableFuture.completedFuture(null)));
    }

    private static LocalMLflowServer.Lease acquire(MLflowConfig config) {
        try {
            return LocalMLflowServer.acquire(LocalStore.parse(config.trackingUri()),
                    config.serverSettings(LocalMLflowServer.Settings.DEFAULT));
        } catch (TrackingException | java.io.UncheckedIOException e) {
            return null;
        }
    }

    /** Releases the lease once the background start has ended. */
    @Override
    public void close() {
        try {
            LocalMLflowServer.Lease held = lease.join();
            if (held != null) {
                held.close();
            }
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            // Not started; nothing to release.
        }
    }
}
