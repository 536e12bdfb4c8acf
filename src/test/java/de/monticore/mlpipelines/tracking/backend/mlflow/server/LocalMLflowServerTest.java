package de.monticore.mlpipelines.tracking.backend.mlflow.server;

import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.backend.mlflow.Credentials;
import de.monticore.mlpipelines.tracking.backend.mlflow.LocalStore;
import de.monticore.mlpipelines.tracking.backend.mlflow.MLflowProbe;
import de.monticore.mlpipelines.tracking.backend.mlflow.TestMLflowServer;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRestClient;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.RetryPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The local server manager with real {@code mlflow server} processes. */
class LocalMLflowServerTest {

    @Test
    void aServerIsSharedWithinTheJvmAndStoppedWithItsProcessTreeAfterTheLastRelease(@TempDir Path directory)
            throws Exception {
        LocalStore store = LocalStore.parse("sqlite:///" + directory.resolve("store/mlflow.db"));
        LocalMLflowServer.Lease first = LocalMLflowServer.acquire(store, LocalMLflowServer.Settings.DEFAULT);
        assertTrue(first.startedServer());
        MLflowRestClient client = new MLflowRestClient(first.url(), Credentials.NONE, RetryPolicy.DEFAULT,
                Duration.ofSeconds(5), Duration.ofSeconds(30));
        assertTrue(client.isHealthy());
        assertTrue(Files.exists(directory.resolve("store/.mlflow.db.mlflow-server.json")));
        ProcessHandle root = ProcessHandle.of(first.pid()).orElseThrow();
        List<ProcessHandle> tree = new java.util.ArrayList<>(List.of(root));
        root.descendants().forEach(tree::add);
        assertTrue(tree.size() >= 2, "mlflow server and its uvicorn worker: " + tree);

        LocalMLflowServer.Lease second = LocalMLflowServer.acquire(store, LocalMLflowServer.Settings.DEFAULT);
        assertFalse(second.startedServer());
        assertEquals(first.url(), second.url());
        first.close();
        first.close();
        assertTrue(client.isHealthy(), "a lease is still held");

        second.close();
        for (ProcessHandle process : tree) {
            assertFalse(process.isAlive(), "still alive: " + process.pid() + " " + process.info().commandLine());
        }
        assertFalse(client.isHealthy());
        assertFalse(Files.exists(directory.resolve("store/.mlflow.db.mlflow-server.json")));
        // Experiments and runs get artifact roots under the per-store directory next to the store.
        assertEquals(directory.resolve("store/mlflow.db-artifacts"), store.artifactsDirectory());
    }

    @Test
    void aServerStaysWarmAfterTheLastReleaseIsReusedAndItsKeeperStopsItAfterTheIdleTimeout(@TempDir Path directory)
            throws Exception {
        LocalStore store = LocalStore.parse("sqlite:///" + directory.resolve("mlflow.db"));
        LocalMLflowServer.Settings warm = LocalMLflowServer.Settings.DEFAULT.withIdleTimeout(Duration.ofSeconds(3));
        List<ProcessHandle> tree = new java.util.ArrayList<>();
        try {
            LocalMLflowServer.Lease first = LocalMLflowServer.acquire(store, warm);
            assertTrue(first.startedServer());
            ProcessHandle root = ProcessHandle.of(first.pid()).orElseThrow();
            tree.add(root);
            root.descendants().forEach(tree::add);
            first.close();
            assertTrue(root.isAlive(), "the server stays up for the next pipeline");

            LocalMLflowServer.Lease second = LocalMLflowServer.acquire(store, warm);
            assertFalse(second.startedServer(), "the next pipeline reuses the warm server");
            assertEquals(first.url(), second.url());
            Thread.sleep(4000);
            assertTrue(root.isAlive(), "no idle time passes while a lease is held");
            second.close();

            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (tree.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            for (ProcessHandle process : tree) {
                assertFalse(process.isAlive(), "still alive after the idle timeout: " + process.pid());
            }
            assertFalse(Files.exists(directory.resolve(".mlflow.db.mlflow-server.json")), "the keeper removed the state");
            assertEquals(Optional.empty(), LocalMLflowServer.runningServer(store));
        } finally {
            tree.forEach(LocalMLflowServer::stopProcessTree);
        }
    }

    @Test
    void stopEndsAWarmServerAtOnceAndSaysWhenNoneRuns(@TempDir Path directory) throws Exception {
        LocalStore store = LocalStore.parse("sqlite:///" + directory.resolve("mlflow.db"));
        LocalMLflowServer.Settings warm = LocalMLflowServer.Settings.DEFAULT.withIdleTimeout(Duration.ofSeconds(600));
        LocalMLflowServer.Lease lease = LocalMLflowServer.acquire(store, warm);
        ProcessHandle root = ProcessHandle.of(lease.pid()).orElseThrow();
        List<ProcessHandle> tree = new java.util.ArrayList<>(List.of(root));
        root.descendants().forEach(tree::add);
        try {
            lease.close();
            assertEquals(Optional.of(lease.url()), LocalMLflowServer.runningServer(store));
            LocalMLflowServer.StopOutcome stopped = LocalMLflowServer.stop(store);
            assertEquals(new LocalMLflowServer.StopOutcome(lease.url(), List.of()), stopped);
            assertTrue(stopped.stopped());
            for (ProcessHandle process : tree) {
                assertFalse(process.isAlive(), "still alive: " + process.pid());
            }
            assertFalse(Files.exists(directory.resolve(".mlflow.db.mlflow-server.json")));
            LocalMLflowServer.StopOutcome none = LocalMLflowServer.stop(store);
            assertEquals(null, none.url());
            assertFalse(none.stopped());
        } finally {
            tree.forEach(LocalMLflowServer::stopProcessTree);
        }
    }

    @Test
    void aBadIdleTimeoutInTheEnvironmentNamesTheVariable() {
        TrackingException error = assertThrows(TrackingException.class,
                () -> LocalMLflowServer.Settings.idleTimeoutFrom("ten minutes"));
        assertEquals("MLPIPELINES_MLFLOW_SERVER_IDLE_TIMEOUT='ten minutes' is not a number of seconds; expected a "
                + "whole number >= 0 (0 stops the local MLflow server when the last pipeline ends)", error.getMessage());
        assertEquals(Duration.ofMinutes(10), LocalMLflowServer.Settings.idleTimeoutFrom(""));
        assertEquals(Duration.ZERO, LocalMLflowServer.Settings.idleTimeoutFrom("0"));
    }

    @Test
    void anotherProcessReusesTheRunningServerAndDoesNotStopItWhileWeUseIt() throws Exception {
        String storeUri = TestMLflowServer.storeUri();
        Process probe = MLflowProbe.start("server", storeUri);
        List<String> lines = MLflowProbe.output(probe);
        assertEquals(List.of("url=" + TestMLflowServer.url(), "started=false", "released=true"), lines);
        assertTrue(TestMLflowServer.client().isHealthy());
    }

    @Test
    void aPythonWithoutMlflowGetsAClearError(@TempDir Path directory) {
        LocalStore store = LocalStore.parse("sqlite:///" + directory.resolve("mlflow.db"));
        LocalMLflowServer.Settings settings = new LocalMLflowServer.Settings("/usr/bin/python3",
                Duration.ofSeconds(60), 1);
        TrackingException error = assertThrows(TrackingException.class, () -> LocalMLflowServer.acquire(store, settings));
        assertEquals("mlflow is not installed for Python interpreter '/usr/bin/python3', so no local MLflow server "
                + "can be started for " + store.uri() + "; install it (/usr/bin/python3 -m pip install mlflow) or set "
                + "MLPIPELINES_PYTHON to a Python that has it", error.getMessage());
    }

    @Test
    void aMissingInterpreterGetsAClearError(@TempDir Path directory) {
        LocalStore store = LocalStore.parse("sqlite:///" + directory.resolve("mlflow.db"));
        LocalMLflowServer.Settings settings = new LocalMLflowServer.Settings(directory.resolve("no-python").toString(),
                Duration.ofSeconds(60), 1);
        TrackingException error = assertThrows(TrackingException.class, () -> LocalMLflowServer.acquire(store, settings));
        assertTrue(error.getMessage().startsWith("could not run Python interpreter '" + directory.resolve("no-python")
                + "' to start a local MLflow server for " + store.uri()), error.getMessage());
        assertTrue(error.getMessage().endsWith("set MLPIPELINES_PYTHON to a Python that has mlflow installed"),
                error.getMessage());
    }

    @Test
    void aServerThatCannotStartReportsItsOutput(@TempDir Path directory) throws Exception {
        Path notADatabase = Files.writeString(directory.resolve("broken.db"), "this is not an SQLite database\n".repeat(200));
        LocalStore store = LocalStore.parse("sqlite:///" + notADatabase);
        TrackingException error = assertThrows(TrackingException.class,
                () -> LocalMLflowServer.acquire(store, LocalMLflowServer.Settings.DEFAULT));
        assertTrue(error.getMessage().startsWith("the local MLflow server for " + store.uri() + " exited with code "),
                error.getMessage());
        assertTrue(error.getMessage().contains("file is not a database"), error.getMessage());
    }

    @Test
    void localStoresAreMadeAbsoluteAndOtherSchemesAreRefused() {
        Path cwd = Path.of("").toAbsolutePath();
        assertEquals(new LocalStore("sqlite:///" + cwd.resolve("runs/mlflow.db"), cwd.resolve("runs/mlflow.db")),
                LocalStore.parse("sqlite:///runs/mlflow.db"));
        assertEquals(new LocalStore("sqlite:////tmp/x/mlflow.db", Path.of("/tmp/x/mlflow.db")),
                LocalStore.parse("sqlite:////tmp/x/mlflow.db"));
        assertEquals(Path.of("/tmp/store"), LocalStore.parse("file:///tmp/store").path());
        assertEquals(cwd.resolve("mlruns"), LocalStore.parse("mlruns").path());
        assertTrue(LocalStore.isServerUrl("HTTPS://mlflow.example.org"));
        assertFalse(LocalStore.isServerUrl("sqlite:///mlflow.db"));

        TrackingException postgres = assertThrows(TrackingException.class,
                () -> LocalStore.parse("postgresql://db/mlflow"));
        assertEquals("tracking URI 'postgresql://db/mlflow' is not supported; expected an http(s):// server URL, "
                + "sqlite:///FILE, file:///DIR or a directory path", postgres.getMessage());
        TrackingException memory = assertThrows(TrackingException.class, () -> LocalStore.parse("sqlite:///:memory:"));
        assertTrue(memory.getMessage().contains("names no database file"), memory.getMessage());
    }
}
