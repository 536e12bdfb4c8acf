package de.monticore.mlpipelines.sweep;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Renders the plot of a sweep's objective against each swept parameter: the packed
 * {@code python/mlpipelines/sweep_plot.py} is copied into the sweep's directory and run with the
 * project's interpreter, as the launcher runs training scripts, at most {@value #DEADLINE_SECONDS} s.
 * When matplotlib is missing or the script fails, the sweep goes on and says why the plot was skipped.
 */
final class ObjectivePlot {
    static final String RESOURCE = "python/mlpipelines/sweep_plot.py";
    static final String PLOT_FILE = "objective.png";
    private static final int DEADLINE_SECONDS = 120;
    private static final int MISSING_LIBRARY = 3;

    /**
     * The outcome.
     *
     * @param png  the plot; null when skipped
     * @param note why it was skipped; null when it was made
     */
    record Outcome(Path png, String note) {
    }

    private ObjectivePlot() {
    }

    static Outcome render(String python, Path directory, Path resultsTable, String objective) {
        Path script = directory.resolve("sweep_plot.py");
        Path png = directory.resolve(PLOT_FILE);
        Path log = directory.resolve("sweep_plot.log");
        try (InputStream in = ObjectivePlot.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return new Outcome(null, RESOURCE + " is missing from the jar");
            }
            Files.write(script, in.readAllBytes());
            Process process = new ProcessBuilder(List.of(python, script.toString(), resultsTable.toString(),
                    png.toString(), "--objective", objective)).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!process.waitFor(DEADLINE_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                return new Outcome(null, "the plot did not finish within " + DEADLINE_SECONDS + " s");
            }
            String output = Files.readString(log, StandardCharsets.UTF_8).strip();
            String last = output.isEmpty() ? "" : output.substring(output.lastIndexOf('\n') + 1);
            if (process.exitValue() == MISSING_LIBRARY) {
                return new Outcome(null, "matplotlib is not installed for " + python);
            }
            if (process.exitValue() != 0 || !Files.isRegularFile(png)) {
                return new Outcome(null, "the plot failed (exit code " + process.exitValue() + "): " + last
                        + "; see " + log);
            }
            Files.deleteIfExists(log);
            return new Outcome(png, null);
        } catch (IOException e) {
            return new Outcome(null, "the plot could not run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(null, "interrupted");
        }
    }
}
