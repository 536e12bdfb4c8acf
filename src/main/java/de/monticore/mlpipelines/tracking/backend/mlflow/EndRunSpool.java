package de.monticore.mlpipelines.tracking.backend.mlflow;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The Java half of the MLflow spool: a run end (status and end time) that could not be delivered,
 * written in the Python runtime's spool format ({@code mlpipelines/tracking/spool.py}) so that
 * {@code mlpipelines replay SPOOL_DIR} delivers it.
 *
 * <p>One file per undelivered end, {@code <run id>-java-<pid>-<ms>.jsonl}, mode 0600, fsynced:
 * line 1 the header {@code {"spool": "mlpipelines-spool/1", "tracking_uri": …, "run_id": …,
 * "experiment_id": …, "experiment_name": …}}, line 2 {@code {"seq": 1, "end_run": "FINISHED",
 * "end_time": ms}}. Replay marks delivered entries in {@code <file>.progress}.
 */
public final class EndRunSpool {
    /** The format name in every spool header, as the Python runtime writes and checks it. */
    public static final String FORMAT = "mlpipelines-spool/1";

    private static final ObjectMapper JSON = new ObjectMapper();

    private EndRunSpool() {
    }

    /**
     * Writes a spool file with one {@code end_run} entry and returns it.
     *
     * @param directory   the spool directory (created when missing)
     * @param trackingUri where replay sends the end; must not carry credentials
     * @throws IOException if the directory or file cannot be written
     */
    public static Path write(Path directory, String trackingUri, String runId, String experimentId,
                             String experimentName, String status, long endTimeMillis) throws IOException {
        Files.createDirectories(directory);
        ObjectNode header = JSON.createObjectNode().put("spool", FORMAT).put("tracking_uri", trackingUri)
                .put("run_id", runId).put("experiment_id", experimentId).put("experiment_name", experimentName);
        ObjectNode entry = JSON.createObjectNode().put("seq", 1).put("end_run", status).put("end_time", endTimeMillis);
        byte[] content = (JSON.writeValueAsString(header) + "\n" + JSON.writeValueAsString(entry) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        long pid = ProcessHandle.current().pid();
        for (long millis = System.currentTimeMillis(); ; millis++) {
            Path file = directory.resolve(runId + "-java-" + pid + "-" + millis + ".jsonl");
            try (FileChannel channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------")))) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            } catch (FileAlreadyExistsException sameMillisecond) {
                continue;
            }
            syncDirectory(directory);
            return file;
        }
    }

    /**
     * The runs with an end in a spool file under {@code directory} (searched recursively, Java's and
     * Python's files alike) that replay has not delivered yet: what the server says about those runs
     * is not their last word.
     *
     * @throws IOException if a spool file or its progress cannot be read, naming the file and line
     */
    public static Set<String> runsWithPendingEnd(Path directory) throws IOException {
        Set<String> pending = new HashSet<>();
        if (!Files.isDirectory(directory)) {
            return pending;
        }
        List<Path> files;
        try (Stream<Path> found = Files.walk(directory)) {
            files = found.filter(path -> path.getFileName().toString().endsWith(".jsonl")).sorted().toList();
        }
        for (Path file : files) {
            List<JsonNode> lines = readLines(file);
            if (lines.isEmpty() || !FORMAT.equals(lines.get(0).path("spool").asText())) {
                continue;
            }
            String fileRun = lines.get(0).path("run_id").asText("");
            Set<Integer> delivered = new HashSet<>();
            Path progress = file.resolveSibling(file.getFileName() + ".progress");
            if (Files.exists(progress)) {
                for (JsonNode record : readLines(progress)) {
                    if (record.has("delivered")) {
                        delivered.add(record.path("delivered").asInt());
                    }
                }
            }
            for (JsonNode entry : lines.subList(1, lines.size())) {
                fileRun = entry.has("run_id") ? entry.path("run_id").asText() : fileRun;
                if (entry.has("end_run") && !delivered.contains(entry.path("seq").asInt()) && !fileRun.isEmpty()) {
                    pending.add(fileRun);
                }
            }
        }
        return pending;
    }

    private static List<JsonNode> readLines(Path file) throws IOException {
        List<JsonNode> records = new java.util.ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (!line.isBlank()) {
                    try {
                        records.add(JSON.readTree(line));
                    } catch (JsonProcessingException e) {
                        throw new IOException(file + ":" + number + ": not a JSON line: " + e.getOriginalMessage(), e);
                    }
                }
            }
        }
        return records;
    }

    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException unsupported) {
            // Some file systems cannot sync a directory; the file itself is synced.
        }
    }
}
