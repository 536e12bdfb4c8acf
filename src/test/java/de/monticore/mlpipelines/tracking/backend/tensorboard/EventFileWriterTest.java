package de.monticore.mlpipelines.tracking.backend.tensorboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.monticore.mlpipelines.pipeline.PythonEnvironment;
import de.monticore.mlpipelines.tracking.TrackingException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventFileWriterTest {
    @TempDir
    Path temp;

    /** Values from tensorboard.compat.tensorflow_stub.pywrap_tensorflow.masked_crc32c. */
    @Test
    void masksCrc32cLikeTensorFlow() {
        assertEquals(0x191c1fbb, EventFileWriter.maskedCrc32c("hello".getBytes(StandardCharsets.US_ASCII), 0, 5));
        byte[] length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(42).array();
        assertEquals(0xf5918dae, EventFileWriter.maskedCrc32c(length, 0, 8));
        assertEquals(0xa282ead8, EventFileWriter.maskedCrc32c(new byte[0], 0, 0));
    }

    /**
     * Reads every record with TensorBoard's own record reader, which verifies both CRCs, and
     * decodes it with TensorBoard's generated Event class, so each hand-encoded field is checked.
     */
    @Test
    void writesRecordsThatTensorBoardDecodesFieldByField() throws Exception {
        EventFileWriter writer = EventFileWriter.create(temp);
        writer.writeScalar("loss", 0.5f, 3_000_000_000L, 1_700_000_000.5);
        writer.writeText("notes", "hello *world* ✓", 7, 1_700_000_001.25);
        writer.close();
        String script = String.join("\n",
                "import json, sys",
                "from google.protobuf.json_format import MessageToDict",
                "from tensorboard.compat.proto import event_pb2",
                "from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import PyRecordReader_New",
                "reader = PyRecordReader_New(sys.argv[1])",
                "events = []",
                "while True:",
                "    try:",
                "        reader.GetNext()",
                "    except Exception as e:",
                "        if type(e).__name__ != 'OutOfRangeError': raise",
                "        break",
                "    events.append(MessageToDict(event_pb2.Event.FromString(reader.record())))",
                "print(json.dumps(events))");
        Process process = new ProcessBuilder(PythonEnvironment.interpreter(), "-c", script, writer.file().toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] output = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue());
        JsonNode events = new ObjectMapper().readTree(new String(output, StandardCharsets.UTF_8));

        assertEquals(3, events.size());
        assertEquals("brain.Event:2", events.get(0).get("fileVersion").asText());
        assertEquals("{\"wallTime\":1.7000000005E9,\"step\":\"3000000000\",\"summary\":{\"value\":"
                + "[{\"tag\":\"loss\",\"simpleValue\":0.5}]}}", events.get(1).toString());
        JsonNode text = events.get(2);
        assertEquals(1_700_000_001.25, text.get("wallTime").asDouble());
        assertEquals("7", text.get("step").asText());
        JsonNode value = text.get("summary").get("value").get(0);
        assertEquals("notes", value.get("tag").asText());
        assertEquals("{\"pluginData\":{\"pluginName\":\"text\"}}", value.get("metadata").toString());
        assertEquals("DT_STRING", value.get("tensor").get("dtype").asText());
        assertEquals("{}", value.get("tensor").get("tensorShape").toString());
        String encoded = value.get("tensor").get("stringVal").get(0).asText();
        assertEquals("hello *world* ✓", new String(java.util.Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8));
    }

    @Test
    void namesTheFileItCannotCreate() throws Exception {
        Path notADirectory = Files.writeString(temp.resolve("file"), "x");
        TrackingException error = assertThrows(TrackingException.class, () -> EventFileWriter.create(notADirectory));
        assertTrue(error.getMessage().startsWith("cannot create TensorBoard event file '" + notADirectory + "/events.out.tfevents."),
                error.getMessage());
    }
}
