package de.monticore.mlpipelines.pipeline;

import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JournalRecoveryTest {
    @TempDir
    Path temp;

    /** A journal header as the Python runtime's journal.py writes it: magic, count, backends, cursors. */
    private Path journal(String magic, long count, long... cursors) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(4096).order(ByteOrder.nativeOrder());
        header.put(magic.getBytes(StandardCharsets.US_ASCII));
        header.putLong(8, count);
        header.putLong(16, cursors.length);
        for (int slot = 0; slot < cursors.length; slot++) {
            header.putLong(64 + 8 * slot, cursors[slot]);
        }
        return Files.write(temp.resolve("metrics.journal"), header.array());
    }

    @Test
    void aCursorBehindTheCountMeansThereIsSomethingToDeliver() throws IOException {
        assertTrue(JournalRecovery.hasUndelivered(journal("MLPJRNL1", 5, 5, 3)));
        assertFalse(JournalRecovery.hasUndelivered(journal("MLPJRNL1", 5, 5, 5)));
    }

    @Test
    void aMissingOrForeignFileHasNothingToDeliver() throws IOException {
        assertFalse(JournalRecovery.hasUndelivered(temp.resolve("missing.journal")));
        assertFalse(JournalRecovery.hasUndelivered(journal("NOTAJRNL", 5, 0)));
        Files.writeString(temp.resolve("short.journal"), "MLPJRNL1");
        assertFalse(JournalRecovery.hasUndelivered(temp.resolve("short.journal")));
    }

    @Test
    void theSummaryNamesWhatWasRecoveredPerBackend() {
        LaunchResult result = new LaunchResult(RunStatus.FAILED, 137, "killed by signal 9 (SIGKILL)", List.of("CSV",
                "MLFLOW"), Map.of(), Map.of(), List.of(), Duration.ZERO, Duration.ZERO, Duration.ZERO,
                Map.of("MLFLOW", "12 metrics recovered after the script died", "CSV", "0 metrics recovered after the "
                        + "script died"));
        List<String> summary = result.summary("digits", "digits.yaml", "train.py");
        assertTrue(summary.contains("recovered:  MLFLOW: 12 metrics recovered after the script died"),
                summary.toString());
        assertTrue(summary.indexOf("recovered:  CSV: 0 metrics recovered after the script died")
                < summary.indexOf("recovered:  MLFLOW: 12 metrics recovered after the script died"), summary.toString());
    }
}
