package de.monticore.mlpipelines.pipeline;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one metric's values from a run's metric journal ({@value JournalRecovery#JOURNAL_FILE}, written by
 * the Python half's {@code mlpipelines.tracking.journal.MetricJournal}), also while the script still
 * writes it: the launcher's side of the format that {@code journal.py} documents (a 4096-byte header
 * starting with {@code MLPJRNL1}; from there 32-byte records of step, timestamp, value and a 1-based key
 * id into the {@code .keys} file, native byte order; a record whose key id is 0 is unfinished and skipped).
 * A sweep reads its trials' objectives here, from what the trial logged.
 */
public final class MetricJournalReader {
    private static final byte[] MAGIC = "MLPJRNL1".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER_BYTES = 4096;
    private static final int RECORD_BYTES = 32;
    private static final int KEY_ID_OFFSET = 24;

    private MetricJournalReader() {
    }

    /** One logged value. */
    public record Value(long step, long timestamp, double value) {
    }

    /**
     * The values logged for {@code key}, in logging order; empty when the journal or the key does not exist.
     *
     * @throws IOException when the journal exists but cannot be read or is no journal
     */
    public static List<Value> values(Path journal, String key) throws IOException {
        return values(journal, List.of(key)).get(key);
    }

    /**
     * The values logged for each of {@code keys}, in logging order, from one read of the journal; a key
     * never logged (or a journal not yet created) maps to an empty list.
     *
     * @throws IOException when the journal exists but cannot be read or is no journal
     */
    public static Map<String, List<Value>> values(Path journal, Collection<String> keys) throws IOException {
        Map<String, List<Value>> values = new LinkedHashMap<>();
        keys.forEach(key -> values.put(key, new ArrayList<>()));
        byte[] data;
        List<String> names;
        try {
            // The records before the key file: a record's key is in the key file before the record is written.
            data = Files.readAllBytes(journal);
            names = Files.readAllLines(journal.resolveSibling(journal.getFileName() + ".keys"), StandardCharsets.UTF_8);
        } catch (NoSuchFileException missing) {
            return values;
        }
        if (data.length < HEADER_BYTES || !java.util.Arrays.equals(data, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new IOException(journal + " is not a metric journal (expected the magic bytes MLPJRNL1)");
        }
        Map<Integer, List<Value>> byId = new HashMap<>();
        for (String key : keys) {
            int id = names.indexOf(key) + 1;
            if (id > 0) {
                byId.put(id, values.get(key));
            }
        }
        if (byId.isEmpty()) {
            return values;
        }
        ByteBuffer buffer = ByteBuffer.wrap(data).order(ByteOrder.nativeOrder());
        for (int offset = HEADER_BYTES; offset + RECORD_BYTES <= data.length; offset += RECORD_BYTES) {
            List<Value> target = byId.get(buffer.getInt(offset + KEY_ID_OFFSET));
            if (target != null) {
                target.add(new Value(buffer.getLong(offset), buffer.getLong(offset + 8), buffer.getDouble(offset + 16)));
            }
        }
        return values;
    }
}
