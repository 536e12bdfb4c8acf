package de.monticore.mlpipelines.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The training script's process: starts it (an argument list, never a shell string), streams its
 * stdout and stderr live, keeps the tail of its stderr, and stops it with SIGINT, SIGTERM and
 * SIGKILL. One process per instance; {@link #stop()} may come from any thread, also before the
 * start.
 */
final class TrainingProcess {
    private final PrintStream out;
    private final PrintStream err;
    private final Duration interruptGrace;
    private final Object lock = new Object();
    private boolean stopRequested;
    private Process process;

    /**
     * @param out            receives the script's stdout
     * @param err            receives the script's stderr and the stop notice
     * @param interruptGrace how long {@link #stop()} lets the script flush after SIGINT before terminating it
     */
    TrainingProcess(PrintStream out, PrintStream err, Duration interruptGrace) {
        this.out = out;
        this.err = err;
        this.interruptGrace = interruptGrace;
    }

    /**
     * Starts the command with {@code environment} added to the inherited one, streams its output
     * (stderr also into {@code stderrTail}) and waits for it. Interrupting the calling thread stops
     * the script rather than abandoning it.
     *
     * @return the exit code, or null when a stop came before the start
     * @throws IOException when the command cannot be started
     */
    Integer run(List<String> command, Map<String, String> environment, TailBuffer stderrTail) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process started;
        synchronized (lock) {
            if (stopRequested) {
                return null;
            }
            started = builder.start();
            process = started;
        }
        started.getOutputStream().close();
        Thread stdoutPump = pump(started.getInputStream(), out, null, "stdout");
        Thread stderrPump = pump(started.getErrorStream(), err, stderrTail, "stderr");
        boolean interrupted = false;
        while (true) {
            try {
                started.waitFor();
                break;
            } catch (InterruptedException e) {
                // Interrupting the launching thread means stop, not abandon: the run still gets ended.
                interrupted = true;
                stop();
            }
        }
        for (Thread pump : List.of(stdoutPump, stderrPump)) {
            try {
                // A grandchild may hold the pipe open; its output is not worth hanging for.
                pump.join(5000);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return started.exitValue();
    }

    /**
     * Stops the script: SIGINT (so that it can flush), after the grace period SIGTERM, two seconds
     * later SIGKILL. Before the start, the script will not start. Returns when the script is gone.
     */
    void stop() {
        Process running;
        synchronized (lock) {
            stopRequested = true;
            running = process;
        }
        if (running == null || !running.isAlive()) {
            return;
        }
        err.println("mlpipelines: stopping the training (pid " + running.pid() + ")");
        try {
            sendInterrupt(running);
            if (!running.waitFor(interruptGrace.toMillis(), TimeUnit.MILLISECONDS)) {
                running.destroy();
                if (!running.waitFor(2, TimeUnit.SECONDS)) {
                    running.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            running.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** True once {@link #stop()} has been called. */
    boolean stopRequested() {
        synchronized (lock) {
            return stopRequested;
        }
    }

    private static Thread pump(InputStream from, OutputStream to, TailBuffer tail, String name) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try (from) {
                for (int read; (read = from.read(buffer)) != -1; ) {
                    synchronized (to) {
                        to.write(buffer, 0, read);
                        to.flush();
                    }
                    if (tail != null) {
                        tail.append(buffer, read);
                    }
                }
            } catch (IOException e) {
                // The script is gone; what it wrote so far has been forwarded.
            }
        }, "mlpipelines-training-" + name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static void sendInterrupt(Process running) throws InterruptedException {
        // The JDK can only send SIGTERM and SIGKILL; SIGINT lets Python raise KeyboardInterrupt and flush.
        try {
            new ProcessBuilder("kill", "-INT", Long.toString(running.pid())).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            running.destroy();
        }
    }

    /** The last {@code capacity} bytes written to it. */
    static final class TailBuffer {
        private final byte[] ring;
        private long written;

        TailBuffer(int capacity) {
            ring = new byte[capacity];
        }

        synchronized void append(byte[] data, int length) {
            for (int i = 0; i < length; i++) {
                ring[(int) (written++ % ring.length)] = data[i];
            }
        }

        synchronized int size() {
            return (int) Math.min(written, ring.length);
        }

        synchronized byte[] bytes() {
            int size = size();
            byte[] result = new byte[size];
            for (int i = 0; i < size; i++) {
                result[i] = ring[(int) ((written - size + i) % ring.length)];
            }
            return result;
        }
    }
}
