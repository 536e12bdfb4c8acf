package de.monticore.mlpipelines.tracking.artifact;

import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.backend.csv.CsvConfig;
import de.monticore.mlpipelines.tracking.backend.csv.CsvTracker;
import de.monticore.mlpipelines.tracking.tracker.MultiBackendTracker;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An artifact that is a symbolic link, or a directory holding one that resolves outside it, is refused
 * before any backend copies the link's target; the same rule as the Python half's
 * {@code refuse_escaping_links} (tests/tracking/test_bad_runtime_values.py).
 */
class EscapingLinksTest {
    @TempDir
    Path temp;

    private final ByteArrayOutputStream errors = new ByteArrayOutputStream();

    private MultiBackendTracker csvTracker() {
        Map<String, RunTracker> trackers = new LinkedHashMap<>();
        trackers.put("CSV", new CsvTracker(new CsvConfig(temp.resolve("csv"))));
        return new MultiBackendTracker(trackers, List.of(), Map.of(),
                new PrintStream(errors, true, StandardCharsets.UTF_8));
    }

    private String refusal(Path artifact) {
        try (MultiBackendTracker tracker = csvTracker()) {
            tracker.startNewRun();
            String message = assertThrows(TrackingException.class, () -> tracker.logArtifact(artifact.toFile(), null))
                    .getMessage();
            assertThrows(TrackingException.class, () -> LocalArtifacts.copy(artifact.toFile(), temp.resolve("copy"), null));
            assertThrows(TrackingException.class, () -> new ArtifactHandler().snapshot(artifact.toFile()));
            return message;
        } finally {
            assertFalse(Files.exists(temp.resolve("csv/run_1/artifacts")), "an artifact was copied");
            assertFalse(Files.exists(temp.resolve("copy")), "an artifact was copied");
            assertEquals("", errors.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void aLinkToAFileElsewhereIsRefused() throws Exception {
        Path link = Files.createSymbolicLink(temp.resolve("model.pt"), Path.of("/etc/passwd"));
        assertEquals("artifact '" + link + "' is a symbolic link (to '/etc/passwd'); refused, since its target is not "
                + "what was named: log the file it points to instead", refusal(link));
    }

    @Test
    void aDirectoryHoldingALinkOutsideItIsRefused() throws Exception {
        Path directory = Files.createDirectories(temp.resolve("plots/sub"));
        Files.writeString(temp.resolve("plots/ok.txt"), "fine");
        Files.createSymbolicLink(directory.resolve("secret"), Path.of("/etc/passwd"));
        assertEquals("artifact '" + temp.resolve("plots") + "' holds the symbolic link 'sub/secret' to '/etc/passwd', "
                + "outside the directory; refused, since its target is not what was named", refusal(temp.resolve("plots")));
    }

    @Test
    void aDirectoryHoldingADanglingLinkOrALinkedDirectoryIsRefused() throws Exception {
        Path dangling = Files.createDirectories(temp.resolve("dangling"));
        Files.createSymbolicLink(dangling.resolve("gone"), Path.of("/nonexistent/x"));
        assertEquals("artifact '" + dangling + "' holds the symbolic link 'gone' to '/nonexistent/x', which does not "
                + "exist; refused, since its target is not what was named", refusal(dangling));
        Path linked = Files.createDirectories(temp.resolve("linked"));
        Files.createSymbolicLink(linked.resolve("etc"), Path.of("/etc"));
        assertEquals("artifact '" + linked + "' holds the symbolic link 'etc' to '/etc', outside the directory; "
                + "refused, since its target is not what was named", refusal(linked));
    }

    @Test
    void aLinkInsideTheDirectoryToItsOwnFileIsCopied() throws Exception {
        Path directory = Files.createDirectories(temp.resolve("model"));
        Files.writeString(directory.resolve("weights.bin"), "w");
        Files.createSymbolicLink(directory.resolve("latest.bin"), Path.of("weights.bin"));
        try (MultiBackendTracker tracker = csvTracker()) {
            tracker.startNewRun();
            tracker.logArtifact(directory.toFile(), null);
        }
        assertEquals("w", Files.readString(temp.resolve("csv/run_1/artifacts/model/latest.bin")));
        assertTrue(Files.isRegularFile(temp.resolve("csv/run_1/artifacts/model/weights.bin")));
    }
}
