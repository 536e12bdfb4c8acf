package de.monticore.mlpipelines.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.monticore.mlpipelines.pipeline.PythonEnvironment;
import de.monticore.mlpipelines.tracking.TrackingBackendProvider;
import de.monticore.mlpipelines.tracking.TrackingBackends;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * {@code mlpipelines backends}: every backend known to either half, with its Java class and
 * tracking.yaml keys, and its Python class and command-line options. The Python half is asked
 * through {@code python -m mlpipelines.backends}, so entry-point backends show up too.
 */
final class BackendsCommand implements Command {
    private static final long PYTHON_TIMEOUT_SECONDS = 60;

    @Override
    public String usage() {
        return "backends";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        if (!args.isEmpty()) {
            throw new UsageException("takes no arguments");
        }
        Map<String, TrackingBackendProvider<?>> java = new LinkedHashMap<>();
        TrackingBackends.discover().all().forEach(provider -> java.put(provider.name(), provider));
        Map<String, JsonNode> python = new LinkedHashMap<>();
        String pythonProblem = null;
        try {
            for (JsonNode backend : askPython()) {
                python.put(backend.get("name").asText(), backend);
            }
        } catch (IOException e) {
            pythonProblem = e.getMessage();
            err.println("warning: the Python half could not be listed: " + pythonProblem);
        }
        for (String name : orderedNames(java, python)) {
            out.println(name);
            TrackingBackendProvider<?> provider = java.get(name);
            if (provider == null) {
                out.println("  Java    (none: add a TrackingBackend constant or a TrackingBackendProvider named " + name + ")");
            } else {
                out.println("  Java    " + provider.trackerClass().getName());
                out.println("          tracking.yaml: backends." + name.toLowerCase(Locale.ROOT) + ".{"
                        + String.join(", ", new TreeSet<>(provider.configKeys())) + "}");
            }
            JsonNode backend = python.get(name);
            if (backend != null) {
                out.println("  Python  " + backend.get("python_class").asText());
                for (JsonNode option : backend.get("options")) {
                    out.println("          " + option.get("flag").asText() + " (" + option.get("type").asText()
                            + ", default " + option.get("default").asText("none") + "): " + option.get("help").asText());
                }
            } else if (pythonProblem == null) {
                out.println("  Python  (none: register a tracker under " + name + ")");
            } else {
                out.println("  Python  (unknown)");
            }
        }
        return OK;
    }

    private static List<String> orderedNames(Map<String, ?> java, Map<String, ?> python) {
        List<String> names = new java.util.ArrayList<>(java.keySet());
        python.keySet().stream().filter(name -> !java.containsKey(name)).forEach(names::add);
        return names;
    }

    private static JsonNode askPython() throws IOException {
        String interpreter = PythonEnvironment.interpreter();
        Process process = new ProcessBuilder(interpreter, "-m", "mlpipelines.backends")
                .redirectErrorStream(false).start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (!process.waitFor(PYTHON_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(interpreter + " -m mlpipelines.backends did not finish");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (process.exitValue() != 0) {
            String last = errors.isEmpty() ? "" : ": " + errors.substring(errors.lastIndexOf('\n') + 1);
            throw new IOException(interpreter + " -m mlpipelines.backends exited with " + process.exitValue() + last
                    + "; set " + PythonEnvironment.PYTHON_VARIABLE + " to the Python that has mlpipelines installed");
        }
        return new ObjectMapper().readTree(output);
    }
}
