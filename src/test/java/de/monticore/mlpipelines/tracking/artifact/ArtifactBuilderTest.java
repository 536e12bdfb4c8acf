package de.monticore.mlpipelines.tracking.artifact;

import de.monticore.mlpipelines.tracking.TrackingException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArtifactBuilderTest {
    private final ArtifactHandler staging = new ArtifactHandler();
    private final List<String> logged = new ArrayList<>();
    private final List<File> loggedFiles = new ArrayList<>();
    private final ArtifactBuilder builder = new ArtifactBuilder(staging, (file, path) -> {
        loggedFiles.add(file);
        logged.add((path == null ? "" : path + "/") + file.getName() + ": " + content(file));
    });

    @TempDir
    Path tempDir;

    @AfterEach
    void removeStagedCopies() {
        staging.close();
    }

    private static String content(File file) {
        try {
            return file.isDirectory() ? "dir" + List.of(file.list()).stream().sorted().toList()
                    : Files.readString(file.toPath());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private File file(String name, String content) throws IOException {
        return Files.writeString(tempDir.resolve(name), content).toFile();
    }

    @Test
    void logsAFileUnderItsOwnNameWhereItIs() throws Exception {
        File model = file("model.pt", "weights");
        builder.setArtifact(model).setPath("models").log();
        assertEquals(List.of("models/model.pt: weights"), logged);
        assertEquals(model, loggedFiles.get(0), "a file stored under its own name is not copied");
    }

    @Test
    void setFileNameRenamesAndAddExtensionAppends() throws Exception {
        File log = file("train.log", "epoch 1");
        builder.setArtifact(log).setFileName("stdout").addExtension("txt").log();
        builder.setArtifact(log).addExtension(".bak").log();
        builder.setArtifact(log).setFileName("data").addExtension("tar").addExtension(".gz").setPath("a/b/").log();
        builder.setArtifact(log).setFileName("notes.txt").addExtension("txt").log();
        assertEquals(List.of("stdout.txt: epoch 1", "train.log.bak: epoch 1", "a/b/data.tar.gz: epoch 1",
                "notes.txt.txt: epoch 1"), logged);
        assertEquals("epoch 1", Files.readString(log.toPath()), "the original is untouched");
    }

    @Test
    void plaintextIsWrittenIntoAFileNamedByFileNameAndExtensions() {
        builder.setPlaintext("lr: 0.1\n").setFileName("summary").addExtension("md").setPath("reports").log();
        builder.setPlaintext("ünïcode").setFileName("raw").log();
        assertEquals(List.of("reports/summary.md: lr: 0.1\n", "raw: ünïcode"), logged);
    }

    @Test
    void setArtifactsLogsEachUnderItsOwnName() throws Exception {
        File a = file("a.png", "A");
        Path plots = Files.createDirectories(tempDir.resolve("plots"));
        Files.writeString(plots.resolve("roc.png"), "R");
        builder.setArtifacts(List.of(a, plots.toFile())).addExtension("v1").setPath("figures").log();
        assertEquals(List.of("figures/a.png.v1: A", "figures/plots.v1: dir[roc.png]"), logged);
    }

    @Test
    void theBuilderIsEmptyAfterLogAndReusable() throws Exception {
        File a = file("a.txt", "A");
        File b = file("b.txt", "B");
        builder.setArtifact(a).setFileName("renamed").addExtension("md").setPath("first").log();
        builder.setArtifact(b).log();
        assertEquals(List.of("first/renamed.md: A", "b.txt: B"), logged);
        IllegalStateException empty = assertThrows(IllegalStateException.class, builder::log);
        assertEquals("nothing to log: call setArtifact, setArtifacts or setPlaintext first", empty.getMessage());
    }

    @Test
    void resetForgetsAHalfBuiltArtifact() throws Exception {
        builder.setArtifact(file("a.txt", "A")).setFileName("x").setPath("p").reset();
        builder.setArtifact(file("b.txt", "B")).log();
        assertEquals(List.of("b.txt: B"), logged);
    }

    @Test
    void rejectsBadNamesPathsAndExtensionsAtTheSetter() {
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> builder.setFileName("a/b.txt"));
        assertEquals("artifact name 'a/b.txt' is not a file name; expected one path segment without '/'",
                name.getMessage());
        IllegalArgumentException up = assertThrows(IllegalArgumentException.class, () -> builder.setPath("../x"));
        assertEquals("artifact path '../x' contains '..'; expected a path inside the run's artifacts", up.getMessage());
        IllegalArgumentException absolute = assertThrows(IllegalArgumentException.class, () -> builder.setPath("/tmp"));
        assertEquals("artifact path '/tmp' is absolute; expected a path relative to the run's artifacts",
                absolute.getMessage());
        IllegalArgumentException extension = assertThrows(IllegalArgumentException.class,
                () -> builder.addExtension("."));
        assertEquals("artifact extension '.' is not an extension; expected text like 'txt' or '.txt' without '/'",
                extension.getMessage());
        assertThrows(IllegalArgumentException.class, () -> builder.addExtension("tar/gz"));
        NullPointerException none = assertThrows(NullPointerException.class, () -> builder.setArtifact(null));
        assertEquals("setArtifact got null", none.getMessage());
        IllegalArgumentException noFiles = assertThrows(IllegalArgumentException.class,
                () -> builder.setArtifacts(List.of()));
        assertEquals("setArtifacts got an empty list; expected at least one file", noFiles.getMessage());
        assertEquals(List.of(), logged);
    }

    @Test
    void anErrorEmptiesTheBuilder() throws Exception {
        builder.setPlaintext("x").setFileName("kept");
        assertThrows(IllegalArgumentException.class, () -> builder.setPath("/abs"));
        builder.setArtifact(file("a.txt", "A")).log();
        assertEquals(List.of("a.txt: A"), logged, "neither the text nor its name leaked into this artifact");
    }

    @Test
    void rejectsTwoSources() throws Exception {
        File a = file("a.txt", "A");
        IllegalStateException twice = assertThrows(IllegalStateException.class,
                () -> builder.setPlaintext("x").setArtifact(a));
        assertEquals("setArtifact(" + a + ") after setPlaintext: one artifact has one source; call log() in between",
                twice.getMessage());
        IllegalStateException again = assertThrows(IllegalStateException.class,
                () -> builder.setArtifact(a).setArtifacts(List.of(a, a)));
        assertEquals("setArtifacts(2 files) after setArtifact(" + a + "): one artifact has one source; call log() "
                + "in between", again.getMessage());
    }

    @Test
    void plaintextNeedsAFileName() {
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> builder.setPlaintext("x").addExtension("txt").log());
        assertEquals("setPlaintext needs setFileName: the text is written into a file named by setFileName plus "
                + "the extensions", error.getMessage());
        assertEquals(List.of(), logged);
    }

    @Test
    void oneFileNameCannotNameSeveralArtifacts() throws Exception {
        File a = file("a.txt", "A");
        File b = file("b.txt", "B");
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> builder.setArtifacts(List.of(a, b)).setFileName("both").log());
        assertEquals("setFileName('both') cannot name 2 artifacts; use setArtifact for one, or drop setFileName "
                + "to keep their names", error.getMessage());
    }

    @Test
    void rejectsTwoArtifactsUnderTheSameName() throws Exception {
        File a = file("a.txt", "A");
        File sameName = Files.writeString(Files.createDirectories(tempDir.resolve("sub")).resolve("a.txt"), "other")
                .toFile();
        IllegalStateException error = assertThrows(IllegalStateException.class,
                () -> builder.setArtifacts(List.of(a, sameName)).setPath("docs").log());
        assertEquals("two artifacts would be stored as 'a.txt' in 'docs'; log them with separate paths",
                error.getMessage());
        assertEquals(List.of(), logged);
    }

    @Test
    void nothingIsLoggedWhenOneOfSeveralFilesIsMissing() throws Exception {
        File a = file("a.txt", "A");
        File missing = tempDir.resolve("missing.txt").toFile();
        TrackingException error = assertThrows(TrackingException.class,
                () -> builder.setArtifacts(List.of(a, missing)).log());
        assertEquals("artifact " + missing + " does not exist", error.getMessage());
        assertEquals(List.of(), logged);
        assertTrue(a.exists());
    }
}
