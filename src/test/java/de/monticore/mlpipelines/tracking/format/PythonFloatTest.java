package de.monticore.mlpipelines.tracking.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.monticore.mlpipelines.pipeline.PythonEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PythonFloatTest {

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "0.25; 0.25", "1e-5; 1e-05", "0.0001; 0.0001", "0.00012; 0.00012", "1e16; 1e+16",
            "1e15; 1000000000000000.0", "123456789012345678; 1.2345678901234568e+17", "100; 100.0",
            "0.1; 0.1", "-2.5; -2.5", "-0.0; -0.0", "0; 0.0", "3.14159; 3.14159", "1.5e300; 1.5e+300",
            "4.9e-324; 5e-324", "1.7976931348623157e308; 1.7976931348623157e+308", "2.2250738585072014e-308; 2.2250738585072014e-308",
            "0.30000000000000004; 0.30000000000000004", "9007199254740993; 9007199254740992.0",
            "1.2345e-7; 1.2345e-07", "-1e100; -1e+100"})
    void formatsLikePythonRepr(double value, String expected) {
        assertEquals(expected, PythonFloat.repr(value));
    }

    @Test
    void formatsNonFiniteValuesLikePython() {
        assertEquals("nan", PythonFloat.repr(Double.NaN));
        assertEquals("inf", PythonFloat.repr(Double.POSITIVE_INFINITY));
        assertEquals("-inf", PythonFloat.repr(Double.NEGATIVE_INFINITY));
    }

    /** Random bit patterns and random "human" decimals, each compared with what Python prints. */
    @Test
    void agreesWithPythonOnRandomDoubles() throws Exception {
        Random random = new Random(20261123);
        List<Double> values = new ArrayList<>();
        while (values.size() < 3000) {
            double candidate = switch (values.size() % 3) {
                case 0 -> Double.longBitsToDouble(random.nextLong());
                case 1 -> Math.round(random.nextDouble() * 1e6) / Math.pow(10, random.nextInt(12));
                default -> random.nextGaussian() * Math.pow(10, random.nextInt(40) - 20);
            };
            if (Double.isFinite(candidate)) {
                values.add(candidate);
            }
        }
        List<String> command = new ArrayList<>(List.of(PythonEnvironment.interpreter(), "-c",
                "import json, struct, sys\n"
                        + "print(json.dumps([repr(struct.unpack('>d', bytes.fromhex(h))[0]) for h in sys.argv[1:]]))"));
        for (double value : values) {
            command.add(String.format("%016x", Double.doubleToRawLongBits(value)));
        }
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] output = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue());
        JsonNode expected = new ObjectMapper().readTree(new String(output, StandardCharsets.UTF_8));
        assertEquals(values.size(), expected.size());
        for (int i = 0; i < values.size(); i++) {
            double value = values.get(i);
            assertEquals(expected.get(i).asText(), PythonFloat.repr(value), () -> "bits " + Long.toHexString(Double.doubleToRawLongBits(value)));
        }
    }
}
