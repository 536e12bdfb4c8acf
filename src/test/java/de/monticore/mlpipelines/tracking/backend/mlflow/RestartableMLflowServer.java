package de.monticore.mlpipelines.tracking.backend.mlflow;

import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRestClient;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.RetryPolicy;
import de.monticore.mlpipelines.tracking.backend.mlflow.server.LocalMLflowServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real MLflow server of one test's own, on a fixed port with a SQLite store in the given
 * directory, that can be stopped (an outage) and started again on the same port and store.
 */
final class RestartableMLflowServer implements AutoCloseable {
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(120);

    private final LocalStore store;
    private final int port;
    private final Path log;
    private Process process;

    /** A server for {@code directory/mlflow.db} on a free port; not started yet. */
    RestartableMLflowServer(Path directory) {
        this.store = LocalStore.parse("sqlite:///" + directory.resolve("mlflow.db"));
        this.log = directory.resolve("mlflow-server.log");
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            this.port = socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code http://127.0.0.1:<port>}, the same before and after a restart. */
    URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** A client for this server without credentials, to read and change what it stored behind the tracker. */
    MLflowRestClient client() {
        return new MLflowRestClient(url(), Credentials.NONE, RetryPolicy.DEFAULT, Duration.ofSeconds(5),
                Duration.ofSeconds(60));
    }

    /** Starts the server and returns once it answers /health; fails after two minutes with its output. */
    void start() throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(LocalMLflowServer.serverCommand(store, port,
                LocalMLflowServer.Settings.DEFAULT))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false");
        process = builder.start();
        MLflowRestClient probe = new MLflowRestClient(url(), Credentials.NONE, new RetryPolicy(1, Duration.ZERO,
                Duration.ZERO), Duration.ofSeconds(2), Duration.ofSeconds(2));
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (!probe.isHealthy()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                stop();
                throw new IllegalStateException("the test MLflow server on port " + port + " did not come up; "
                        + "its output:\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
    }

    /** Stops the server and everything it started (an outage); the store stays. */
    void stop() {
        if (process != null) {
            LocalMLflowServer.stopProcessTree(process.toHandle());
            process = null;
        }
    }

    @Override
    public void close() {
        stop();
    }
}
