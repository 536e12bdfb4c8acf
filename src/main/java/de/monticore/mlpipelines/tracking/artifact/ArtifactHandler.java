package de.monticore.mlpipelines.tracking.artifact;

import de.monticore.mlpipelines.tracking.TrackingException;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Prepares artifacts for the backends: checks target paths, stages renamed files, plain-text content
 * and snapshots in temporary directories (removed by {@link #close()}), and leaves plain files and
 * directories where they are.
 */
public final class ArtifactHandler implements AutoCloseable {
    private final List<Path> stagingDirectories = new ArrayList<>();

    /**
     * Checks and normalises a target path inside a run's artifacts.
     *
     * @return the path with '/' separators and no leading or trailing '/', or null for the root
     * @throws IllegalArgumentException for an absolute path or one that climbs out with '..'
     */
    public static String checkTargetPath(String artifactPath) {
        if (artifactPath == null || artifactPath.isBlank()) {
            return null;
        }
        String path = artifactPath.replace('\\', '/');
        if (path.startsWith("/") || path.matches("^[A-Za-z]:/.*")) {
            throw new IllegalArgumentException("artifact path '" + artifactPath
                    + "' is absolute; expected a path relative to the run's artifacts");
        }
        List<String> segments = new ArrayList<>();
        for (String segment : path.split("/")) {
            if (segment.equals("..")) {
                throw new IllegalArgumentException("artifact path '" + artifactPath
                        + "' contains '..'; expected a path inside the run's artifacts");
            }
            if (!segment.isEmpty() && !segment.equals(".")) {
                segments.add(segment);
            }
        }
        return segments.isEmpty() ? null : String.join("/", segments);
    }

    /** Checks a file name for an artifact: one path segment, no separators. */
    public static String checkFileName(String fileName) {
        if (fileName == null || fileName.isBlank() || fileName.equals(".") || fileName.equals("..")
                || fileName.contains("/") || fileName.contains("\\")) {
            throw new IllegalArgumentException("artifact name '" + fileName
                    + "' is not a file name; expected one path segment without '/'");
        }
        return fileName;
    }

    /**
     * The file to hand to backends for {@code source} stored under {@code fileName}: the source itself
     * when the name is unchanged, otherwise a staged copy (a file or a whole directory).
     *
     * @throws TrackingException when the source does not exist or cannot be copied
     */
    public File stage(File source, String fileName) {
        if (!source.exists()) {
            throw new TrackingException("artifact " + source + " does not exist");
        }
        LocalArtifacts.refuseEscapingLinks(source);
        if (fileName == null || fileName.equals(source.getName())) {
            return source;
        }
        Path target = newStagingDirectory().resolve(checkFileName(fileName));
        try {
            copyRecursively(source.toPath(), target);
        } catch (IOException | UncheckedIOException e) {
            throw new TrackingException("cannot stage artifact " + source + " as '" + fileName + "': " + e.getMessage(), e);
        }
        return target.toFile();
    }

    /**
     * A copy of {@code source} (a file or a whole directory, same name) taken now, so that later
     * edits or the deletion of the source do not change what is logged from it. It lives until
     * {@link #discard(File)} or {@link #close()}.
     *
     * @throws TrackingException when the source does not exist or cannot be copied
     */
    public File snapshot(File source) {
        if (!source.exists()) {
            throw new TrackingException("artifact " + source + " does not exist");
        }
        LocalArtifacts.refuseEscapingLinks(source);
        Path name = source.toPath().toAbsolutePath().normalize().getFileName();
        if (name == null) {
            throw new TrackingException("cannot copy artifact " + source + ": it has no file name");
        }
        Path target = newStagingDirectory().resolve(name.toString());
        try {
            copyRecursively(source.toPath(), target);
        } catch (IOException | UncheckedIOException e) {
            throw new TrackingException("cannot copy artifact " + source + ": " + e.getMessage(), e);
        }
        return target.toFile();
    }

    /** Removes one staged file or snapshot (and its staging directory); other files are left alone. */
    public void discard(File staged) {
        Path directory = staged.toPath().getParent();
        if (directory != null && stagingDirectories.remove(directory)) {
            delete(directory);
        }
    }

    /** A staged UTF-8 text file with the given name and content. */
    public File stageText(String content, String fileName) {
        Path target = newStagingDirectory().resolve(checkFileName(fileName));
        try {
            Files.writeString(target, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TrackingException("cannot stage text artifact '" + fileName + "': " + e.getMessage(), e);
        }
        return target.toFile();
    }

    private Path newStagingDirectory() {
        try {
            Path directory = Files.createTempDirectory("mlpipelines-artifact-");
            stagingDirectories.add(directory);
            return directory;
        } catch (IOException e) {
            throw new TrackingException("cannot create a temporary directory for artifacts: " + e.getMessage(), e);
        }
    }

    private static void copyRecursively(Path source, Path target) throws IOException {
        if (!Files.isDirectory(source)) {
            Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
            return;
        }
        try (Stream<Path> paths = Files.walk(source)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                Path destination = target.resolve(source.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(destination);
                } else {
                    Files.copy(path, destination, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    /** Removes the staged copies. */
    @Override
    public void close() {
        stagingDirectories.forEach(ArtifactHandler::delete);
        stagingDirectories.clear();
    }

    private static void delete(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // Best effort: a leftover temporary file is not worth failing a pipeline for.
        }
    }
}
