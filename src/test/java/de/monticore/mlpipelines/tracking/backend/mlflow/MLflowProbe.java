package de.monticore.mlpipelines.tracking.backend.mlflow;

import de.monticore.mlpipelines.tracking.backend.mlflow.server.LocalMLflowServer;
import de.monticore.mlpipelines.tracking.tracker.RunStatus;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A second process for tests that need one: {@code server STORE} acquires and releases the local
 * server of a store; {@code run SERVER_URL EXPERIMENT GO_FILE} starts a run once GO_FILE exists.
 * Prints {@code key=value} lines on stdout.
 */
public final class MLflowProbe {
    private MLflowProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("server")) {
            try (LocalMLflowServer.Lease lease = LocalMLflowServer.acquire(LocalStore.parse(args[1]),
                    LocalMLflowServer.Settings.DEFAULT)) {
                System.out.println("url=" + lease.url());
                System.out.println("started=" + lease.startedServer());
            }
            System.out.println("released=true");
        } else if (args[0].equals("run")) {
            MLflowConfig config = new MLflowConfig(args[2], args[1], Set.of());
            try (MLflowTracker tracker = new MLflowTracker(config)) {
                System.out.println("ready=true");
                System.out.flush();
                Path go = Path.of(args[3]);
                while (!Files.exists(go)) {
                    Thread.sleep(5);
                }
                tracker.startNewRun();
                tracker.endRun(RunStatus.FINISHED);
                System.out.println("name=" + tracker.runName());
            }
        } else {
            throw new IllegalArgumentException("unknown probe " + args[0] + "; expected server or run");
        }
    }

    /** Starts the probe in a new JVM with this JVM's class path. */
    public static Process start(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), MLflowProbe.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** Reads the probe's stdout lines until it exits; fails with the lines if its exit code is not 0. */
    public static List<String> output(Process probe) throws IOException, InterruptedException {
        List<String> lines = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(probe.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lines.add(line);
            }
        }
        if (probe.waitFor() != 0) {
            throw new IllegalStateException("probe exited with " + probe.exitValue() + ": " + lines);
        }
        return lines;
    }

    /** Waits for the first line of a running probe. */
    public static String firstLine(Process probe) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = probe.getInputStream().read(); c != -1 && c != '\n'; c = probe.getInputStream().read()) {
            line.append((char) c);
        }
        return line.toString();
    }
}
