package de.monticore.mlpipelines.tracking.backend.mlflow.server;

import de.monticore.mlpipelines.pipeline.PythonEnvironment;
import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.backend.mlflow.Credentials;
import de.monticore.mlpipelines.tracking.backend.mlflow.LocalStore;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.MLflowRestClient;
import de.monticore.mlpipelines.tracking.backend.mlflow.rest.RetryPolicy;
import de.monticore.mlpipelines.tracking.backend.mlflow.server.ServerStateFiles.ServerState;
import de.monticore.mlpipelines.tracking.secret.Secrets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs {@code mlflow server} for a local store, so that a {@code sqlite:///…} or directory
 * tracking URI needs no setup:
 *
 * <pre>{@code
 * try (LocalMLflowServer.Lease server = LocalMLflowServer.acquire(LocalStore.parse("sqlite:///mlflow.db"),
 *         LocalMLflowServer.Settings.DEFAULT)) {
 *     MLflowRestClient client = new MLflowRestClient(server.url(), …);
 * }
 * }</pre>
 *
 * <p>The server runs from the project's Python ({@link PythonEnvironment#interpreter()}) on 127.0.0.1
 * and a free port, serves artifacts from {@code <store>-artifacts} next to the store, and is started
 * light: one worker, MLflow's job runner off ({@link #serverCommand}). A server of ours that already
 * serves the store is reused, also one started by another process: a state file next to the store
 * ({@code .<store>.mlflow-server.json}: pid, port) says where it is, and {@code /health} plus the
 * process's command line prove it is still that server. Each process that uses it holds a lease
 * file; the last one to release stops the server by its own process tree. The server's output goes
 * to {@code .<store>.mlflow-server.log}. The files are {@link ServerStateFiles}'; this class runs the
 * server process.
 *
 * <p>When the first lease of this JVM is taken, a shutdown hook is registered that releases the
 * leases still held at exit.
 */
public final class LocalMLflowServer {
    /** Servers this JVM holds leases on, by state file: several trackers of one store share one entry. */
    private static final Map<Path, SharedServer> HELD = new ConcurrentHashMap<>();
    private static final Map<Path, Object> LOCKS = new ConcurrentHashMap<>();
    private static final AtomicBoolean RELEASE_ON_EXIT_REGISTERED = new AtomicBoolean();
    /** How long releasing waits for another process's hold on the lock file before it gives up and says so. */
    private static final Duration RELEASE_LOCK_TIMEOUT = Duration.ofSeconds(30);

    private LocalMLflowServer() {
    }

    /**
     * How local servers are started.
     *
     * @param python         interpreter that has mlflow installed
     * @param startupTimeout how long to wait for {@code /health}
     * @param workers        uvicorn worker processes
     * @param idleTimeout    how long a server nobody uses stays up for the next pipeline; zero stops it
     *                       when the last lease is released; null: {@value #IDLE_TIMEOUT_VARIABLE}
     *                       seconds, or {@link #DEFAULT_IDLE_TIMEOUT} (see {@link #effectiveIdleTimeout()})
     */
    public record Settings(String python, Duration startupTimeout, int workers, Duration idleTimeout) {
        /** Environment variable with the idle timeout in seconds (tests and CI set 0). */
        public static final String IDLE_TIMEOUT_VARIABLE = "MLPIPELINES_MLFLOW_SERVER_IDLE_TIMEOUT";
        /** The idle timeout when neither tracking.yaml nor {@value #IDLE_TIMEOUT_VARIABLE} sets one. */
        public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(10);
        /**
         * The project's Python, two minutes to come up (a busy machine needs that), one worker, the idle
         * timeout of {@value #IDLE_TIMEOUT_VARIABLE} or {@link #DEFAULT_IDLE_TIMEOUT}.
         */
        public static final Settings DEFAULT = new Settings(null, Duration.ofSeconds(120), 1, null);

        public Settings {
            if (idleTimeout != null && idleTimeout.isNegative()) {
                throw new IllegalArgumentException("idleTimeout must not be negative, got " + idleTimeout);
            }
        }

        /** Settings with the idle timeout from the environment ({@link #DEFAULT}'s). */
        public Settings(String python, Duration startupTimeout, int workers) {
            this(python, startupTimeout, workers, null);
        }

        /**
         * The idle timeout: as given, else {@value #IDLE_TIMEOUT_VARIABLE} seconds, else {@link #DEFAULT_IDLE_TIMEOUT}.
         *
         * @throws TrackingException when the variable is not a whole number of seconds &gt;= 0
         */
        public Duration effectiveIdleTimeout() {
            return idleTimeout != null ? idleTimeout : idleTimeoutFrom(System.getenv(IDLE_TIMEOUT_VARIABLE));
        }

        /** The interpreter to run: {@code python}, or {@link PythonEnvironment#interpreter()} if that is null. */
        public String interpreter() {
            return python != null ? python : PythonEnvironment.interpreter();
        }

        /** These settings with another idle timeout. */
        public Settings withIdleTimeout(Duration newIdleTimeout) {
            return new Settings(python, startupTimeout, workers, newIdleTimeout);
        }

        /**
         * The idle timeout an environment value (seconds, e.g. {@code 0} or {@code 600}) gives:
         * {@link #DEFAULT_IDLE_TIMEOUT} when null or empty.
         *
         * @throws TrackingException naming the variable when the value is not a whole number of seconds &gt;= 0
         */
        public static Duration idleTimeoutFrom(String seconds) {
            if (seconds == null || seconds.isBlank()) {
                return DEFAULT_IDLE_TIMEOUT;
            }
            try {
                long value = Long.parseLong(seconds.strip());
                if (value >= 0) {
                    return Duration.ofSeconds(value);
                }
            } catch (NumberFormatException notANumber) {
                // Reported below.
            }
            throw new TrackingException(IDLE_TIMEOUT_VARIABLE + "='" + seconds + "' is not a number of seconds; "
                    + "expected a whole number >= 0 (0 stops the local MLflow server when the last pipeline ends)");
        }
    }

    /** A use of a local server; closing it releases the use, and the last release stops the server. */
    public static final class Lease implements AutoCloseable {
        private final ServerStateFiles files;
        private final URI url;
        private final long pid;
        private final boolean started;
        private boolean released;

        private Lease(ServerStateFiles files, URI url, long pid, boolean started) {
            this.files = files;
            this.url = url;
            this.pid = pid;
            this.started = started;
        }

        /** The server's base URL, {@code http://127.0.0.1:<port>}. */
        public URI url() {
            return url;
        }

        /** Process id of the server's root process ({@code python -m mlflow server}). */
        public long pid() {
            return pid;
        }

        /** True if this lease started the server, false if it reused a running one. */
        public boolean startedServer() {
            return started;
        }

        /**
         * Releases this use. When no use by this or another process remains, the server stops now if
         * the idle timeout is zero or {@link #stopWhenReleased()} was called, else after the idle timeout.
         */
        @Override
        public synchronized void close() {
            if (!released) {
                released = true;
                release(files);
            }
        }

        /**
         * Asks that the server stop as soon as the last use of it is released, whatever the idle timeout
         * (what {@code mlpipelines ui} wants on Ctrl-C); also when this JVM exits still holding the lease.
         */
        public void stopWhenReleased() {
            SharedServer held = HELD.get(files.stateFile());
            if (held != null) {
                held.stopNow = true;
            }
        }
    }

    /**
     * A lease on the server for the store: this JVM's one, another process's, or a newly started one.
     *
     * @throws TrackingException if the server does not come up (with its output), if the Python
     *                           interpreter cannot be run, or if it lacks mlflow
     */
    public static Lease acquire(LocalStore store, Settings settings) {
        ServerStateFiles files = ServerStateFiles.of(store);
        Path stateFile = files.stateFile();
        Duration idleTimeout = settings.effectiveIdleTimeout();
        synchronized (LOCKS.computeIfAbsent(stateFile, key -> new Object())) {
            SharedServer held = HELD.get(stateFile);
            if (held != null && isOurLiveServer(held.state)) {
                held.users++;
                return new Lease(files, held.state.url(), held.state.pid(), false);
            }
            HELD.remove(stateFile);
            createParentDirectory(store);
            try {
                // Another process may hold the lock while it starts a server: as long as a start may take.
                return files.underLock(settings.startupTimeout().plus(RELEASE_LOCK_TIMEOUT), () -> {
                    Optional<ServerState> running = files.readState().filter(LocalMLflowServer::isOurLiveServer);
                    boolean started = running.isEmpty();
                    ServerState state = running.orElseGet(() -> start(store, settings, idleTimeout, files));
                    files.addOwnLease();
                    registerReleaseOnExit();
                    HELD.put(stateFile, new SharedServer(state, files, idleTimeout));
                    return new Lease(files, state.url(), state.pid(), started);
                });
            } catch (IOException e) {
                throw new TrackingException("could not start or find the local MLflow server for " + store.uri()
                        + ": " + e, e);
            }
        }
    }

    /**
     * The command that starts a server for the store on the port: {@code python -m mlflow server} with
     * the store, its artifact directory (served through the proxy), 127.0.0.1 and the worker count.
     */
    public static List<String> serverCommand(LocalStore store, int port, Settings settings) {
        return List.of(settings.interpreter(), "-m", "mlflow", "server",
                "--backend-store-uri", store.uri(),
                "--artifacts-destination", store.artifactsDirectory().toString(),
                "--serve-artifacts",
                "--host", "127.0.0.1",
                "--port", Integer.toString(port),
                "--workers", Integer.toString(settings.workers()));
    }

    /**
     * The command that runs {@code server} under the keeper ({@code python/mlpipelines/mlflow_server_keeper.py},
     * read from standard input), which stops it after {@code idleTimeout} without a live lease.
     */
    static List<String> keeperCommand(List<String> server, ServerStateFiles files, Duration idleTimeout,
                                      String python) {
        List<String> command = new ArrayList<>(List.of(python, "-", files.leaseDirectory().toString(),
                files.lockFile().toString(), files.stateFile().toString(), Long.toString(idleTimeout.toSeconds()),
                "--"));
        command.addAll(server);
        return command;
    }

    private static ServerState start(LocalStore store, Settings settings, Duration idleTimeout,
                                     ServerStateFiles files) {
        // The free port can be taken by someone else before the server binds it; then try another.
        for (int attempt = 1; ; attempt++) {
            try {
                return start(store, settings, idleTimeout, files, freePort());
            } catch (PortTakenException e) {
                if (attempt == 3) {
                    throw new TrackingException(e.getMessage());
                }
            }
        }
    }

    private static ServerState start(LocalStore store, Settings settings, Duration idleTimeout,
                                     ServerStateFiles files, int port) {
        Path log;
        try {
            log = files.logFile();
        } catch (IOException e) {
            throw new TrackingException("cannot create the MLflow server's log beside " + store.path() + ": "
                    + e.getMessage(), e);
        }
        ProcessBuilder builder = new ProcessBuilder(keeperCommand(serverCommand(store, port, settings), files,
                idleTimeout, settings.interpreter()))
                .directory(store.path().getParent().toFile())
                .redirectErrorStream(true)
                // A file, not a pipe: the server may outlive this JVM while another process uses it.
                .redirectOutput(log.toFile());
        Map<String, String> environment = builder.environment();
        // MLflow's background job runner (huey consumers) is for GenAI jobs the pipeline never runs.
        environment.put("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false");
        // The server needs no client credentials; keep them out of its environment.
        environment.remove(Credentials.TOKEN_VARIABLE);
        environment.remove(Credentials.USERNAME_VARIABLE);
        environment.remove(Credentials.PASSWORD_VARIABLE);
        byte[] keeperSource = keeperSource();
        Process process;
        try {
            process = builder.start();
            try (var keeper = process.getOutputStream()) {
                keeper.write(keeperSource);
            } catch (IOException e) {
                // The interpreter exited at once; its output says why, below.
            }
        } catch (IOException e) {
            throw new TrackingException("could not run Python interpreter '" + settings.interpreter() + "' to start "
                    + "a local MLflow server for " + store.uri() + " (" + e.getMessage() + "); set "
                    + PythonEnvironment.PYTHON_VARIABLE + " to a Python that has mlflow installed");
        }
        URI url = URI.create("http://127.0.0.1:" + port);
        long deadline = System.nanoTime() + settings.startupTimeout().toNanos();
        while (!isHealthy(url)) {
            if (!process.isAlive()) {
                String output = tail(log);
                if (output.contains("No module named mlflow")) {
                    throw new TrackingException("mlflow is not installed for Python interpreter '"
                            + settings.interpreter() + "', so no local MLflow server can be started for "
                            + store.uri() + "; install it (" + settings.interpreter() + " -m pip install mlflow) or set "
                            + PythonEnvironment.PYTHON_VARIABLE + " to a Python that has it");
                }
                if (output.contains("address already in use")) {
                    throw new PortTakenException("the local MLflow server for " + store.uri() + " found port " + port
                            + " taken three times; its output (" + log + "):\n" + output);
                }
                throw new TrackingException("the local MLflow server for " + store.uri() + " exited with code "
                        + process.exitValue() + " before answering /health; its output (" + log + "):\n" + output);
            }
            if (System.nanoTime() > deadline) {
                stopProcessTree(process.toHandle());
                throw new TrackingException("the local MLflow server for " + store.uri() + " did not answer " + url
                        + "/health within " + settings.startupTimeout().toSeconds() + " s and was stopped; its output ("
                        + log + "):\n" + tail(log));
            }
            sleep(100);
        }
        ServerState server = new ServerState(process.pid(), url);
        try {
            files.writeState(server, store);
        } catch (IOException e) {
            stopProcessTree(process.toHandle());
            throw new TrackingException("could not write " + files.stateFile() + " for the local MLflow server: " + e,
                    e);
        }
        return server;
    }

    private static void release(ServerStateFiles files) {
        Path stateFile = files.stateFile();
        synchronized (LOCKS.computeIfAbsent(stateFile, key -> new Object())) {
            SharedServer held = HELD.get(stateFile);
            if (held == null || --held.users > 0) {
                return;
            }
            HELD.remove(stateFile);
            try {
                files.underLock(RELEASE_LOCK_TIMEOUT, () -> {
                    files.removeOwnLease();
                    if (files.liveLeaseHolders() > 0 || !(held.stopNow || held.idleTimeout.isZero())) {
                        // In use, or left warm for the next pipeline: its keeper stops it after the idle timeout.
                        return null;
                    }
                    Optional<ServerState> state = files.readState();
                    if (state.isPresent() && state.get().pid() == held.state.pid()) {
                        List<Long> survivors = ProcessHandle.of(held.state.pid())
                                .map(LocalMLflowServer::stopProcessTree).orElse(List.of());
                        if (!survivors.isEmpty()) {
                            throw new IOException("the local MLflow server's processes " + survivors
                                    + " are still alive after SIGKILL");
                        }
                        files.deleteState();
                    }
                    return null;
                });
            } catch (IOException e) {
                throw new UncheckedIOException("could not release the local MLflow server recorded in " + stateFile
                        + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * What {@link #stop} did.
     *
     * @param url   the server's URL when one was running, else null
     * @param users pids of other processes that use it; when not empty the server was left running
     */
    public record StopOutcome(URI url, List<Long> users) {
        public StopOutcome {
            users = List.copyOf(users);
        }

        /** True when a server was running and is stopped now. */
        public boolean stopped() {
            return url != null && users.isEmpty();
        }
    }

    /**
     * Stops the store's server now ({@code mlpipelines ui --stop}), unless another process still uses it
     * (a running pipeline): then it is left running and the outcome names those processes.
     *
     * @throws TrackingException if the lock file stays locked, or the server's processes survive SIGKILL
     */
    public static StopOutcome stop(LocalStore store) {
        ServerStateFiles files = ServerStateFiles.of(store);
        if (!Files.exists(files.stateFile())) {
            return new StopOutcome(null, List.of());
        }
        try {
            return files.underLock(RELEASE_LOCK_TIMEOUT, () -> {
                Optional<ServerState> state = files.readState().filter(LocalMLflowServer::isOurLiveServer);
                if (state.isEmpty()) {
                    files.deleteState();
                    return new StopOutcome(null, List.of());
                }
                List<Long> users = files.otherLiveLeaseHolders();
                if (!users.isEmpty()) {
                    return new StopOutcome(state.get().url(), users);
                }
                List<Long> survivors = ProcessHandle.of(state.get().pid()).map(LocalMLflowServer::stopProcessTree)
                        .orElse(List.of());
                if (!survivors.isEmpty()) {
                    throw new IOException("the local MLflow server's processes " + survivors
                            + " are still alive after SIGKILL");
                }
                files.deleteState();
                HELD.remove(files.stateFile());
                return new StopOutcome(state.get().url(), List.of());
            });
        } catch (IOException e) {
            throw new TrackingException("could not stop the local MLflow server for " + store.uri() + ": "
                    + e.getMessage(), e);
        }
    }

    /** The URL of the store's running server (started by any process), if one runs. */
    public static Optional<URI> runningServer(LocalStore store) {
        return ServerStateFiles.of(store).readState().filter(LocalMLflowServer::isOurLiveServer).map(ServerState::url);
    }

    /** Registers {@link #releaseAllOnExit()} once, when this JVM first holds a lease (not at class loading). */
    private static void registerReleaseOnExit() {
        if (RELEASE_ON_EXIT_REGISTERED.compareAndSet(false, true)) {
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(LocalMLflowServer::releaseAllOnExit,
                        "mlflow-server-release"));
            } catch (IllegalStateException shuttingDown) {
                // The JVM is exiting: the lease is released when closed, or swept later as a dead pid's.
            }
        }
    }

    private static void releaseAllOnExit() {
        for (Map.Entry<Path, SharedServer> entry : new HashMap<>(HELD).entrySet()) {
            entry.getValue().users = 1;
            try {
                release(entry.getValue().files);
            } catch (RuntimeException e) {
                System.err.println("[tracking] " + e.getMessage());
            }
        }
    }

    /**
     * Stops a process and everything it started: descendants are collected first, because a child
     * whose parent is gone is no longer found as a descendant. SIGTERM, up to 10 s, then SIGKILL and
     * up to 5 s more.
     *
     * @return the pids still alive after that (empty when the whole tree is gone)
     */
    public static List<Long> stopProcessTree(ProcessHandle root) {
        List<ProcessHandle> tree = new ArrayList<>();
        tree.add(root);
        root.descendants().forEach(tree::add);
        tree.forEach(ProcessHandle::destroy);
        awaitExit(tree, TimeUnit.SECONDS.toNanos(10), true);
        return awaitExit(tree, TimeUnit.SECONDS.toNanos(5), false);
    }

    /** Waits until {@code timeoutNanos} for the processes to exit; kills each late one if asked; returns the live pids. */
    private static List<Long> awaitExit(List<ProcessHandle> processes, long timeoutNanos, boolean killLate) {
        long deadline = System.nanoTime() + timeoutNanos;
        List<ProcessHandle> running = new ArrayList<>(processes);
        boolean interrupted = false;
        while (true) {
            running.removeIf(LocalMLflowServer::hasExited);
            if (running.isEmpty() || System.nanoTime() > deadline) {
                break;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                // A JVM shutting down (Ctrl-C in the console script) interrupts its threads; the processes
                // must still be stopped, within the deadline. The interrupt is restored afterwards.
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (killLate) {
            running.forEach(ProcessHandle::destroyForcibly);
        }
        return running.stream().map(ProcessHandle::pid).toList();
    }

    /**
     * True when the process is gone or a zombie: it has exited and only waits to be reaped (which a JVM
     * shutting down, e.g. on Ctrl-C inside the Python console script, may no longer do).
     */
    private static boolean hasExited(ProcessHandle process) {
        if (!process.isAlive()) {
            return true;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException | RuntimeException noProcFs) {
            return false;
        }
    }

    private static boolean isOurLiveServer(ServerState server) {
        URI url = server.url();
        Optional<ProcessHandle> process = ProcessHandle.of(server.pid()).filter(ProcessHandle::isAlive);
        // Guards against a recycled pid: the process must still be an mlflow server on that port.
        boolean isMlflowServer = process.flatMap(handle -> handle.info().commandLine())
                .map(line -> line.contains("mlflow") && line.contains("--port " + url.getPort()))
                .orElse(process.isPresent());
        return isMlflowServer && isHealthy(url);
    }

    private static boolean isHealthy(URI url) {
        return new MLflowRestClient(url, Credentials.NONE, new RetryPolicy(1, Duration.ZERO, Duration.ZERO),
                Duration.ofSeconds(2), Duration.ofSeconds(2)).isHealthy();
    }

    private static void createParentDirectory(LocalStore store) {
        try {
            Files.createDirectories(store.path().getParent());
        } catch (IOException e) {
            throw new TrackingException("cannot create directory " + store.path().getParent() + " for the MLflow "
                    + "store " + store.uri() + ": " + e.getMessage(), e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new TrackingException("no free port on 127.0.0.1 for a local MLflow server: " + e.getMessage(), e);
        }
    }

    /** The last lines of the server's output, with secret environment values masked. */
    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return Secrets.redactEnvironmentSecrets(
                    String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrackingException("interrupted while waiting for the local MLflow server", e);
        }
    }

    private static final class PortTakenException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PortTakenException(String message) {
            super(message);
        }
    }

    /** A server this JVM holds leases on, how many of them are open, and whether to stop it on the last release. */
    private static final class SharedServer {
        final ServerState state;
        final ServerStateFiles files;
        final Duration idleTimeout;
        int users = 1;
        volatile boolean stopNow;

        SharedServer(ServerState state, ServerStateFiles files, Duration idleTimeout) {
            this.state = state;
            this.files = files;
            this.idleTimeout = idleTimeout;
        }
    }

    /** The keeper script, from the jar (the build copies python/mlpipelines/mlflow_server_keeper.py there). */
    private static byte[] keeperSource() {
        try (var source = LocalMLflowServer.class.getResourceAsStream("/python/mlpipelines/mlflow_server_keeper.py")) {
            if (source == null) {
                throw new TrackingException("the jar lacks python/mlpipelines/mlflow_server_keeper.py; rebuild it "
                        + "(gradle installDist)");
            }
            return source.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the MLflow server keeper from the jar", e);
        }
    }
}
