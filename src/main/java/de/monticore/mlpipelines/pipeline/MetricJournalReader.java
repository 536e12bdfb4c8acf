package de.monticore.mlpipelines.pipeline;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
        byte[] data;
        List<String> keys;
        try {
            data = Files.readAllBytes(journal);
            keys = Files.readAllLines(journal.resolveSibling(journal.getFileName() + ".keys"), StandardCharsets.UTF_8);
        } catch (NoSuchFileException missing) {
            return List.of();
        }
        if (data.length < HEADER_BYTES || !java.util.Arrays.equals(data, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new IOException(journal + " is not a metric journal (expected the magic bytes MLPJRNL1)");
        }
        int keyId = keys.indexOf(key) + 1;
        List<Value> values = new ArrayList<>();
        if (keyId == 0) {
            return values;
        }
        ByteBuffer buffer = ByteBuffer.wrap(data).order(ByteOrder.nativeOrder());
        for (int offset = HEADER_BYTES; offset + RECORD_BYTES <= data.length; offset += RECORD_BYTES) {
            if (buffer.getInt(offset + KEY_ID_OFFSET) == keyId) {
                values.add(new Value(buffer.getLong(offset), buffer.getLong(offset + 8), buffer.getDouble(offset + 16)));
            }
        }
        return values;
    }
}
