package de.monticore.mlpipelines.cli;

import de.monticore.mlpipelines.pipeline.PythonEnvironment;
import de.monticore.mlpipelines.tracking.TrackerFactory;
import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.backend.mlflow.LocalStore;
import de.monticore.mlpipelines.tracking.backend.mlflow.MLflowConfig;
import de.monticore.mlpipelines.tracking.backend.mlflow.server.LocalMLflowServer;
import de.monticore.mlpipelines.tracking.backend.tensorboard.TensorBoardConfig;
import de.monticore.mlpipelines.tracking.config.ConfiguredBackend;
import de.monticore.mlpipelines.tracking.config.TrackingConfig;
import de.monticore.mlpipelines.tracking.config.TrackingConfigLoader;

import java.io.IOException;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * {@code mlpipelines ui [TRACKING.yaml] [--stop]}: shows what the pipelines recorded. For a local
 * MLflow store it starts (or reuses) the project's light local server ({@link LocalMLflowServer}); for
 * the TensorBoard log directory it starts TensorBoard; both on 127.0.0.1 and free ports. It prints both
 * URLs and waits; Ctrl-C (or SIGTERM) stops TensorBoard and the MLflow server (unless a running pipeline
 * still uses the server). An http(s) tracking URI is only printed. Without TRACKING.yaml it reads
 * {@code tracking.yaml} in the working directory, or else shows the default stores
 * ({@code sqlite:///mlflow.db}, {@code runs/tb}).
 *
 * <p>{@code --stop} stops the local MLflow server that pipelines left warm for the store (see
 * {@code backends.mlflow.server_idle_timeout}) and exits; a server a running pipeline uses is left alone.
 */
final class UiCommand implements Command {
    /** What {@code ui} shows when there is no tracking.yaml: the default stores of MLFLOW and TENSORBOARD. */
    static final String DEFAULT_STORES = "backends:\n  mlflow: {}\n  tensorboard: {}\n";
    private static final Duration TENSORBOARD_STARTUP = Duration.ofSeconds(120);
    /** MLflow 3's UI opens in its GenAI view unless a page's URL asks for the model-training one. */
    static final String MODEL_TRAINING_VIEW = "workflowType=machine_learning";

    @Override
    public String usage() {
        return "ui [TRACKING.yaml] [--stop]";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        boolean stop = false;
        Path file = null;
        for (String arg : args) {
            if (arg.equals("--stop")) {
                stop = true;
            } else if (arg.startsWith("-")) {
                throw new UsageException("unknown option '" + arg + "'; expected --stop");
            } else if (file == null) {
                file = Path.of(arg);
            } else {
                throw new UsageException("expected at most one TRACKING.yaml, got '" + file + "' and '" + arg + "'");
            }
        }
        TrackingConfig tracking = load(file);
        Optional<MLflowConfig> mlflow = backend(tracking, MLflowConfig.class);
        Optional<TensorBoardConfig> tensorboard = backend(tracking, TensorBoardConfig.class);
        Optional<LocalStore> store = mlflow.filter(config -> !LocalStore.isServerUrl(config.trackingUri()))
                .map(config -> LocalStore.parse(config.trackingUri()));
        if (stop) {
            return stopServer(store, tracking, out);
        }
        if (mlflow.isEmpty() && tensorboard.isEmpty()) {
            err.println("mlpipelines ui: " + tracking.file() + " enables neither MLFLOW nor TENSORBOARD; "
                    + "nothing to show");
            return BAD_INPUT;
        }
        return show(mlflow, store, tensorboard, out);
    }

    /** TRACKING.yaml, else tracking.yaml in the working directory, else {@link #DEFAULT_STORES}. */
    static TrackingConfig load(Path file) {
        if (file != null) {
            return TrackerFactory.loadConfig(file);
        }
        Path here = Path.of("tracking.yaml");
        if (Files.isRegularFile(here)) {
            return TrackerFactory.loadConfig(here);
        }
        return new TrackingConfigLoader().parse(DEFAULT_STORES, "the default stores (no tracking.yaml here)");
    }

    private static <C> Optional<C> backend(TrackingConfig tracking, Class<C> type) {
        return tracking.backends().stream().map(ConfiguredBackend::config).filter(type::isInstance).map(type::cast)
                .findFirst();
    }

    private static int stopServer(Optional<LocalStore> store, TrackingConfig tracking, PrintStream out) {
        if (store.isEmpty()) {
            out.println("no local MLflow store in " + tracking.file() + "; nothing to stop");
            return OK;
        }
        LocalMLflowServer.StopOutcome outcome = LocalMLflowServer.stop(store.get());
        if (outcome.url() == null) {
            out.println("no local MLflow server runs for " + store.get().uri());
        } else if (outcome.stopped()) {
            out.println("stopped the local MLflow server at " + outcome.url() + " for " + store.get().uri());
        } else {
            out.println("the local MLflow server at " + outcome.url() + " is in use by running process(es) "
                    + outcome.users() + "; left running (it stops when they end and its idle timeout passes)");
            return TRAINING_FAILED;
        }
        return OK;
    }

    private static int show(Optional<MLflowConfig> mlflow, Optional<LocalStore> store,
                            Optional<TensorBoardConfig> tensorboard, PrintStream out) {
        List<AutoCloseable> toStop = new ArrayList<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread stopper = new Thread(() -> {
            closeAll(toStop);
            stopped.countDown();
        }, "ui-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            if (mlflow.isPresent()) {
                if (store.isPresent()) {
                    LocalMLflowServer.Lease lease = LocalMLflowServer.acquire(store.get(),
                            mlflow.get().serverSettings(LocalMLflowServer.Settings.DEFAULT));
                    lease.stopWhenReleased();
                    synchronized (toStop) {
                        toStop.add(lease);
                    }
                    out.println("MLflow:      " + lease.url() + "/#/experiments?" + MODEL_TRAINING_VIEW + "  (store "
                            + store.get().uri() + ")");
                } else {
                    out.println("MLflow:      " + mlflow.get().trackingUri().strip() + "  (a server of its own)");
                }
            }
            if (tensorboard.isPresent()) {
                Path logDir = tensorboard.get().logDir().toAbsolutePath().normalize();
                TensorBoard board = TensorBoard.start(logDir);
                synchronized (toStop) {
                    toStop.add(board);
                }
                out.println("TensorBoard: " + board.url + "/  (log dir " + logDir + ")");
            }
            out.println("Ctrl-C stops " + (toStop.size() == 1 ? "it" : "both") + ".");
            out.flush();
            // Wait until the shutdown hook runs (Ctrl-C, SIGTERM), or TensorBoard exits on its own.
            while (stopped.getCount() > 0) {
                Optional<TensorBoard> board;
                synchronized (toStop) {
                    board = toStop.stream().filter(TensorBoard.class::isInstance).map(TensorBoard.class::cast)
                            .findFirst();
                }
                if (board.isPresent() && !board.get().process.isAlive()) {
                    out.println("TensorBoard exited with code " + board.get().process.exitValue() + "; see "
                            + board.get().log);
                    return TRAINING_FAILED;
                }
                stopped.await(Duration.ofMillis(500).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            }
            return INTERRUPTED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return INTERRUPTED;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
                closeAll(toStop);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running and stops everything itself.
            }
        }
    }

    private static void closeAll(List<AutoCloseable> resources) {
        List<AutoCloseable> copy;
        synchronized (resources) {
            copy = new ArrayList<>(resources);
            resources.clear();
        }
        for (AutoCloseable resource : copy) {
            try {
                resource.close();
            } catch (Exception e) {
                System.err.println("mlpipelines ui: " + e.getMessage());
            }
        }
    }

    /** TensorBoard on 127.0.0.1 for one log directory, run from the project's Python. */
    private static final class TensorBoard implements AutoCloseable {
        final Process process;
        final URI url;
        final Path log;

        private TensorBoard(Process process, URI url, Path log) {
            this.process = process;
            this.url = url;
            this.log = log;
        }

        static TensorBoard start(Path logDir) throws InterruptedException {
            int port = freePort();
            Path log;
            try {
                Files.createDirectories(logDir);
                log = Files.createTempFile("mlpipelines-tensorboard", ".log");
            } catch (IOException e) {
                throw new TrackingException("cannot prepare TensorBoard for " + logDir + ": " + e.getMessage(), e);
            }
            ProcessBuilder builder = new ProcessBuilder(PythonEnvironment.interpreter(), "-m", "tensorboard.main",
                    "--logdir", logDir.toString(), "--host", "127.0.0.1", "--port", Integer.toString(port))
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            Process process;
            try {
                process = builder.start();
            } catch (IOException e) {
                throw new TrackingException("cannot run " + builder.command().get(0) + " to start TensorBoard: "
                        + e.getMessage() + "; set " + PythonEnvironment.PYTHON_VARIABLE
                        + " to a Python that has tensorboard installed");
            }
            TensorBoard board = new TensorBoard(process, URI.create("http://127.0.0.1:" + port), log);
            long deadline = System.nanoTime() + TENSORBOARD_STARTUP.toNanos();
            while (!board.answers()) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    String output = tail(log);
                    board.close();
                    throw new TrackingException("TensorBoard for " + logDir + " did not come up at " + board.url
                            + " within " + TENSORBOARD_STARTUP.toSeconds() + " s; its output:\n" + output);
                }
                Thread.sleep(200);
            }
            return board;
        }

        private boolean answers() {
            try {
                HttpURLConnection connection = (HttpURLConnection) url.resolve("/data/logdir").toURL().openConnection();
                connection.setConnectTimeout(1000);
                connection.setReadTimeout(2000);
                try {
                    return connection.getResponseCode() == 200;
                } finally {
                    connection.disconnect();
                }
            } catch (IOException notYet) {
                return false;
            }
        }

        @Override
        public void close() {
            List<Long> survivors = LocalMLflowServer.stopProcessTree(process.toHandle());
            if (!survivors.isEmpty()) {
                throw new TrackingException("TensorBoard's processes " + survivors + " survived SIGKILL");
            }
            try {
                Files.deleteIfExists(log);
            } catch (IOException e) {
                // A temporary file; the system cleans it up.
            }
        }

        private static String tail(Path log) {
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
            } catch (IOException e) {
                return "(no output: " + e.getMessage() + ")";
            }
        }

        private static int freePort() {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException e) {
                throw new TrackingException("no free port on 127.0.0.1 for TensorBoard: " + e.getMessage(), e);
            }
        }
    }
}
