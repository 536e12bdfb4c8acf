package de.monticore.mlpipelines.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.monticore.mlpipelines.generator.sweep.SweepSpec;
import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.config.TrackingConfigException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The model-based sampler of strategy {@code tpe}: Optuna's TPE sampler in a Python process of the
 * project's interpreter ({@code python -c <python/mlpipelines/sweep_optuna.py>}, nothing written), driven
 * by ask-and-tell over JSON lines. Each answer must come within {@value #DEADLINE_SECONDS} s.
 */
final class OptunaSampler implements AutoCloseable {
    static final String RESOURCE = "python/mlpipelines/sweep_optuna.py";
    private static final int DEADLINE_SECONDS = 120;
    private static final MathContext DIGITS = new MathContext(6);

    private final ObjectMapper json = new ObjectMapper();
    private final Process process;
    private final Writer in;
    private final BufferedReader out;
    private final ExecutorService reader = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "mlpipelines-optuna");
        thread.setDaemon(true);
        return thread;
    });

    /** One asked trial: Optuna's number and the values as YAML text, by key path. */
    record Asked(int number, Map<String, String> values) {
    }

    /**
     * Starts the sampler for a sweep.
     *
     * @throws TrackingConfigException naming {@code sweep.strategy} when Optuna is not installed for
     *                                 {@code python} or the sampler does not start (nothing is written)
     */
    static OptunaSampler start(String python, SweepSpec spec, String file) {
        try {
            return new OptunaSampler(python, spec);
        } catch (IOException | RuntimeException e) {
            throw new TrackingConfigException(file, "sweep.strategy", "tpe needs Optuna for " + python + ": "
                    + e.getMessage());
        }
    }

    private OptunaSampler(String python, SweepSpec spec) throws IOException {
        String code;
        try (InputStream resource = OptunaSampler.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (resource == null) {
                throw new IOException(RESOURCE + " is missing from the jar");
            }
            code = new String(resource.readAllBytes(), StandardCharsets.UTF_8);
        }
        process = new ProcessBuilder(List.of(python, "-c", code)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        ObjectNode study = json.createObjectNode();
        study.put("direction", spec.objective().goal().yamlName());
        study.put("seed", spec.seed());
        ObjectNode parameters = study.putObject("parameters");
        for (SweepSpec.Parameter parameter : spec.parameters()) {
            ObjectNode node = parameters.putObject(parameter.keyPath());
            if (parameter.values() != null) {
                parameter.values().forEach(node.putArray("choices")::add);
            } else {
                node.put("low", parameter.range().low());
                node.put("high", parameter.range().high());
                node.put("log", parameter.range().log());
                node.put("int", parameter.range().integer());
            }
        }
        JsonNode ready = request(study);
        if (!ready.path("ready").asBoolean()) {
            close();
            throw new IOException(ready.path("error").asText("unexpected answer " + ready));
        }
    }

    /** A new trial's values, as YAML text; floats keep 6 significant digits, as a random sweep's. */
    synchronized Asked ask() {
        JsonNode answer = request(json.createObjectNode().put("ask", true));
        Map<String, String> values = new LinkedHashMap<>();
        answer.path("params").fields().forEachRemaining(entry -> {
            JsonNode value = entry.getValue();
            values.put(entry.getKey(), value.isTextual() ? value.asText() : value.isIntegralNumber()
                    ? value.asText() : new BigDecimal(value.asDouble()).round(DIGITS).stripTrailingZeros()
                    .toPlainString());
        });
        return new Asked(answer.path("number").asInt(), values);
    }

    /** Tells the trial's objective; null for a trial without one (failed, stopped, not logged). */
    synchronized void tell(int number, Double objective) {
        ObjectNode message = json.createObjectNode().put("tell", number);
        if (objective == null || objective.isNaN() || objective.isInfinite()) {
            message.putNull("value");
        } else {
            message.put("value", objective);
        }
        request(message);
    }

    private JsonNode request(ObjectNode message) {
        try {
            in.write(json.writeValueAsString(message) + "\n");
            in.flush();
            Future<String> line = reader.submit(out::readLine);
            String answer = line.get(DEADLINE_SECONDS, TimeUnit.SECONDS);
            if (answer == null) {
                throw new TrackingException("the Optuna sampler ended (exit code " + process.waitFor() + ")");
            }
            return json.readTree(answer);
        } catch (IOException | java.util.concurrent.ExecutionException e) {
            throw new TrackingException("the Optuna sampler failed: " + e.getMessage(), e);
        } catch (TimeoutException e) {
            throw new TrackingException("the Optuna sampler did not answer within " + DEADLINE_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TrackingException("interrupted while waiting for the Optuna sampler");
        }
    }

    /** Ends the sampler's process (stdin closed, then destroyed after 10 s). */
    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException ignored) {
            // The process is ended below either way.
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        reader.shutdownNow();
    }
}
