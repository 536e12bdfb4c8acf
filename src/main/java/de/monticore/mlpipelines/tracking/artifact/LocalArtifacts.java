package de.monticore.mlpipelines.tracking.artifact;

import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.rundir.RunDirectories;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Copies artifacts into a run's {@code artifacts/} directory, for backends that keep runs as
 * plain directories (CSV, TensorBoard).
 */
public final class LocalArtifacts {
    private LocalArtifacts() {
    }

    /**
     * Copies a file, or a directory recursively, to {@code <artifactsRoot>/<artifactPath>/<name>},
     * replacing what is there.
     *
     * @param source        the file or directory; its name is kept
     * @param artifactsRoot the run's artifact directory, created when missing
     * @param artifactPath  relative directory inside {@code artifactsRoot}; null or empty for the root
     * @return the copy
     * @throws TrackingException       when {@code source} does not exist or copying fails; the message
     *                                  names the path
     * @throws IllegalArgumentException when {@code artifactPath} is absolute, contains {@code ..} or is
     *                                  not a valid path (see {@link ArtifactHandler#checkTargetPath})
     */
    public static Path copy(File source, Path artifactsRoot, String artifactPath) {
        Path from = source.toPath().toAbsolutePath().normalize();
        if (!Files.exists(from)) {
            throw new TrackingException("artifact '" + source + "' does not exist");
        }
        refuseEscapingLinks(source);
        Path root = artifactsRoot.toAbsolutePath().normalize();
        Path targetDirectory = resolveInside(root, artifactPath);
        Path target = targetDirectory.resolve(from.getFileName().toString());
        try {
            Files.createDirectories(targetDirectory);
            if (Files.isDirectory(from)) {
                copyTree(from, target);
            } else {
                Files.copy(from, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new TrackingException("cannot copy artifact '" + source + "' to '" + target + "': "
                    + RunDirectories.describe(e), e);
        }
        return target;
    }

    /**
     * Refuses an artifact that is a symbolic link, or a directory holding one that resolves outside it:
     * copying would store the link's target (a link to {@code /etc/passwd} would upload that file), which
     * the user did not name. A link inside a directory to something in the same directory is fine.
     *
     * @throws TrackingException naming the link and where it points
     */
    public static void refuseEscapingLinks(File source) {
        Path named = source.toPath().toAbsolutePath().normalize();
        if (Files.isSymbolicLink(named)) {
            throw new TrackingException("artifact '" + source + "' is a symbolic link (to '" + target(named)
                    + "'); refused, since its target is not what was named: log the file it points to instead");
        }
        if (!Files.isDirectory(named)) {
            return;
        }
        Path root;
        try {
            root = named.toRealPath();
        } catch (IOException e) {
            throw new TrackingException("cannot read artifact '" + source + "': " + RunDirectories.describe(e), e);
        }
        try (java.util.stream.Stream<Path> entries = Files.walk(named)) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                if (!Files.isSymbolicLink(entry)) {
                    continue;
                }
                Path resolved;
                try {
                    resolved = entry.toRealPath();
                } catch (IOException dangling) {
                    resolved = null;
                }
                if (resolved == null || !resolved.startsWith(root)) {
                    throw new TrackingException("artifact '" + source + "' holds the symbolic link '"
                            + named.relativize(entry) + "' to '" + target(entry) + "', "
                            + (resolved == null ? "which does not exist" : "outside the directory")
                            + "; refused, since its target is not what was named");
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new TrackingException("cannot read artifact '" + source + "': " + e.getMessage(), e);
        }
    }

    private static String target(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            return "?";
        }
    }

    /** The target directory; the path rules are {@link ArtifactHandler#checkTargetPath(String)}'s. */
    private static Path resolveInside(Path root, String artifactPath) {
        String checked = ArtifactHandler.checkTargetPath(artifactPath);
        if (checked == null) {
            return root;
        }
        try {
            return root.resolve(checked);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("artifact path '" + artifactPath + "' is not a valid path: "
                    + e.getReason(), e);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path directory, BasicFileAttributes attributes) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(directory).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.REPLACE_EXISTING);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
