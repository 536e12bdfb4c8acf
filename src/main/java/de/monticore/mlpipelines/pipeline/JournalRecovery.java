package de.monticore.mlpipelines.pipeline;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Delivers what a training script that died had journaled but its backends had not stored yet.
 *
 * <p>The script appends every metric to its journal ({@code --tracking_journal}, the Python
 * runtime's {@code journal.py}) before a backend sees it, and each backend keeps a delivered cursor
 * in the journal's header. After an abnormal end the launcher calls {@link #recover}: when the journal
 * exists, it runs {@code python -m mlpipelines.tracking.recover JOURNAL <tracking options>} with the
 * script's interpreter, environment and vendored runtime, within a deadline, and reads one line per
 * backend from it (the format of the journal is the Python runtime's alone).
 */
final class JournalRecovery {
    /** The journal's file name in the run's script directory. */
    static final String JOURNAL_FILE = "metrics.journal";
    /** The Python option that names the journal. */
    static final String JOURNAL_OPTION = "tracking_journal";

    private static final String PREFIX = "mlpipelines.tracking.recover: ";
    private static final Pattern RECOVERED = Pattern.compile(
            Pattern.quote(PREFIX) + "([A-Za-z0-9_]+): recovered (\\d+) metrics(?:, (\\d+) dropped)?");

    private final String python;
    private final PrintStream out;
    private final PrintStream err;
    private final Duration deadline;

    /**
     * @param python   the interpreter that ran the script
     * @param out      receives the backends' own output during recovery (STDOUT's metric lines)
     * @param err      receives the recovery's stderr
     * @param deadline how long the recovery may take before it is stopped and reported
     */
    JournalRecovery(String python, PrintStream out, PrintStream err, Duration deadline) {
        this.python = python;
        this.out = out;
        this.err = err;
        this.deadline = deadline;
    }

    /** What a recovery did: metrics recovered per backend, and what went wrong (already phrased). */
    record Outcome(Map<String, String> recovered, List<String> problems) {
        static final Outcome NOTHING = new Outcome(Map.of(), List.of());
    }

    /**
     * Runs the recovery for {@code journal} of the script in {@code scriptDirectory} (whose vendored
     * runtime it imports), passing {@code trackingArguments} (the script's tracking options).
     *
     * @param environment added to the inherited environment, as for the script
     */
    Outcome recover(Path journal, Path scriptDirectory, List<String> trackingArguments,
                    Map<String, String> environment) {
        if (!Files.isRegularFile(journal)) {
            return Outcome.NOTHING; // the script died before it logged a metric
        }
        List<String> command = new ArrayList<>(List.of(python, "-m", "mlpipelines.tracking.recover",
                journal.toString()));
        command.addAll(trackingArguments);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        String inherited = builder.environment().get("PYTHONPATH");
        builder.environment().put("PYTHONPATH", scriptDirectory.toAbsolutePath()
                + (inherited == null || inherited.isEmpty() ? "" : java.io.File.pathSeparator + inherited));
        builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        Map<String, String> recovered = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return new Outcome(Map.of(), List.of("recovery of " + journal + " could not start: " + e.getMessage()));
        }
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // stdin is not used
        }
        List<String> lines = new ArrayList<>();
        Thread reader = readLines(process.getInputStream(), lines);
        try {
            if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                problems.add("recovery of " + journal + " exceeded " + deadline.toSeconds()
                        + " s and was stopped; what it had not delivered is still in the journal");
            }
            reader.join(5000);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            problems.add("recovery of " + journal + " was interrupted");
        }
        synchronized (lines) {
            for (String line : lines) {
                Matcher matcher = RECOVERED.matcher(line);
                if (matcher.matches()) {
                    String text = matcher.group(2) + " metrics recovered after the script died";
                    if (matcher.group(3) != null) {
                        text += ", " + matcher.group(3) + " dropped by the store";
                    }
                    recovered.put(matcher.group(1), text);
                } else if (line.startsWith(PREFIX)) {
                    problems.add(line.substring(PREFIX.length()));
                } else {
                    out.println(line);
                }
            }
        }
        if (!process.isAlive() && process.exitValue() != 0 && problems.isEmpty()) {
            problems.add("recovery of " + journal + " ended with exit code " + process.exitValue());
        }
        problems.forEach(problem -> err.println("mlpipelines: " + problem));
        return new Outcome(recovered, problems);
    }

    private static Thread readLines(InputStream from, List<String> lines) {
        Thread thread = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(from, StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                }
            } catch (IOException e) {
                // The recovery is gone; its lines so far are kept.
            }
        }, "mlpipelines-recovery-output");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
