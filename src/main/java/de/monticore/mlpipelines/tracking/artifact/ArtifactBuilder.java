package de.monticore.mlpipelines.tracking.artifact;

import de.monticore.mlpipelines.tracking.TrackingException;

import java.io.File;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Describes one artifact step by step and logs it: the fluent API of the original MontiCore tracking,
 * reached through {@code MultiBackendTracker.getArtifactHandler()}.
 *
 * <pre>{@code
 * tracker.getArtifactHandler().setArtifact(new File("model.pt")).setPath("models").log();
 * tracker.getArtifactHandler().setArtifact(new File("train.log")).setFileName("stdout").addExtension("txt").log();
 * tracker.getArtifactHandler().setArtifacts(List.of(confusion, roc)).setPath("plots").log();
 * tracker.getArtifactHandler().setPlaintext("lr: 0.1\n").setFileName("summary").addExtension(".md").log();
 * }</pre>
 *
 * <p>Each {@link #log()} stores one source, set by exactly one of:
 * <ul>
 *   <li>{@link #setArtifact(File)}: a file or a directory (recursively), stored under its own name or
 *       under the name given to {@link #setFileName(String)};</li>
 *   <li>{@link #setArtifacts(List)}: several files or directories, each under its own name;
 *       {@link #setFileName(String)} cannot name several artifacts and is an error here;</li>
 *   <li>{@link #setPlaintext(String)}: text, written as UTF-8 into a file named by
 *       {@link #setFileName(String)}, which is required.</li>
 * </ul>
 * {@link #addExtension(String)} appends {@code .ext} to every stored name, in call order and as
 * given, whether the name came from the source or from {@link #setFileName(String)}:
 * {@code setPlaintext(t).setFileName("summary").addExtension("md")} stores {@code summary.md},
 * {@code .setFileName("data").addExtension("tar").addExtension("gz")} stores {@code data.tar.gz},
 * and {@code setFileName("notes.txt").addExtension("txt")} stores {@code notes.txt.txt}.
 * {@link #setPath(String)} names the directory inside the run's artifacts (default: the root).
 *
 * <p>Setters check their argument at once ({@link IllegalArgumentException}; {@link NullPointerException}
 * for null); {@link #log()} checks the combination ({@link IllegalStateException}) and that every
 * source exists ({@link TrackingException}) before anything is logged. After {@link #log()}, and
 * after any of these errors, the builder is empty again, so a broken chain never leaks into the next
 * artifact; {@link #reset()} empties it without logging. Renamed files and the text are staged
 * copies, removed when the tracker closes; a file stored under its own name is logged where it is.
 */
public final class ArtifactBuilder {
    private final ArtifactHandler staging;
    private final BiConsumer<File, String> sink;

    private List<File> files;
    private String plaintext;
    private String fileName;
    private final List<String> extensions = new ArrayList<>();
    private String path;

    /**
     * @param staging where renamed copies and text files are staged
     * @param sink    logs one file (or directory) under a checked artifact path ({@code null} for the root)
     */
    public ArtifactBuilder(ArtifactHandler staging, BiConsumer<File, String> sink) {
        this.staging = Objects.requireNonNull(staging, "staging");
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    /** The file or directory to store. */
    public ArtifactBuilder setArtifact(File artifact) {
        requireNonNull(artifact, "setArtifact");
        requireNoSource("setArtifact(" + artifact + ")");
        files = List.of(artifact);
        return this;
    }

    /**
     * Several files or directories to store, each under its own name.
     *
     * @throws IllegalArgumentException for an empty list
     */
    public ArtifactBuilder setArtifacts(List<File> artifacts) {
        requireNonNull(artifacts, "setArtifacts");
        if (artifacts.isEmpty()) {
            fail(new IllegalArgumentException("setArtifacts got an empty list; expected at least one file"));
        }
        for (File artifact : artifacts) {
            if (artifact == null) {
                fail(new NullPointerException("setArtifacts got a null file"));
            }
        }
        requireNoSource("setArtifacts(" + artifacts.size() + " files)");
        files = List.copyOf(artifacts);
        return this;
    }

    /** Text to store as a UTF-8 file; name it with {@link #setFileName(String)}. */
    public ArtifactBuilder setPlaintext(String text) {
        requireNonNull(text, "setPlaintext");
        requireNoSource("setPlaintext");
        plaintext = text;
        return this;
    }

    /**
     * The name to store the artifact under, before extensions.
     *
     * @throws IllegalArgumentException for a name with a '/' or '\', or one that is empty, '.' or '..'
     */
    public ArtifactBuilder setFileName(String name) {
        try {
            fileName = ArtifactHandler.checkFileName(name);
        } catch (IllegalArgumentException e) {
            fail(e);
        }
        return this;
    }

    /**
     * Appends an extension to the stored name(s); {@code "txt"} and {@code ".txt"} both append {@code .txt}.
     *
     * @throws IllegalArgumentException for an empty extension or one with a '/' or '\'
     */
    public ArtifactBuilder addExtension(String extension) {
        requireNonNull(extension, "addExtension");
        String bare = extension.startsWith(".") ? extension.substring(1) : extension;
        if (bare.isBlank() || bare.contains("/") || bare.contains("\\")) {
            fail(new IllegalArgumentException("artifact extension '" + extension
                    + "' is not an extension; expected text like 'txt' or '.txt' without '/'"));
        }
        extensions.add("." + bare);
        return this;
    }

    /**
     * The directory inside the run's artifacts; null or empty for the root.
     *
     * @throws IllegalArgumentException for an absolute path or one that climbs out with '..'
     */
    public ArtifactBuilder setPath(String artifactPath) {
        try {
            path = ArtifactHandler.checkTargetPath(artifactPath);
        } catch (IllegalArgumentException e) {
            fail(e);
        }
        return this;
    }

    /**
     * Logs what was described into the current run and empties the builder.
     *
     * @throws IllegalStateException when no source is set, when {@link #setPlaintext(String)} has no
     *                               file name, when {@link #setArtifacts(List)} has one, or when two
     *                               artifacts would be stored under the same name
     * @throws TrackingException     when a file does not exist or cannot be staged; nothing is logged then
     */
    public void log() {
        try {
            List<File> toLog = plaintext != null ? List.of(stagedText()) : stagedFiles();
            String target = path;
            toLog.forEach(file -> sink.accept(file, target));
        } finally {
            reset();
        }
    }

    /** Forgets everything set since the last {@link #log()}. */
    public void reset() {
        files = null;
        plaintext = null;
        fileName = null;
        extensions.clear();
        path = null;
    }

    private File stagedText() {
        if (fileName == null) {
            throw new IllegalStateException("setPlaintext needs setFileName: the text is written into a file "
                    + "named by setFileName plus the extensions");
        }
        return staging.stageText(plaintext, storedName(fileName));
    }

    private List<File> stagedFiles() {
        if (files == null) {
            throw new IllegalStateException("nothing to log: call setArtifact, setArtifacts or setPlaintext first");
        }
        if (files.size() > 1 && fileName != null) {
            throw new IllegalStateException("setFileName('" + fileName + "') cannot name " + files.size()
                    + " artifacts; use setArtifact for one, or drop setFileName to keep their names");
        }
        Set<String> names = new HashSet<>();
        List<String> storedNames = new ArrayList<>();
        for (File file : files) {
            if (!file.exists()) {
                throw new TrackingException("artifact " + file + " does not exist");
            }
            String name = storedName(fileName != null ? fileName : nameOf(file));
            if (!names.add(name)) {
                throw new IllegalStateException("two artifacts would be stored as '" + name + "'"
                        + (path == null ? "" : " in '" + path + "'") + "; log them with separate paths");
            }
            storedNames.add(name);
        }
        List<File> staged = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            staged.add(staging.stage(files.get(i), storedNames.get(i)));
        }
        return staged;
    }

    private String storedName(String base) {
        return ArtifactHandler.checkFileName(base + String.join("", extensions));
    }

    private static String nameOf(File file) {
        java.nio.file.Path name = file.toPath().toAbsolutePath().normalize().getFileName();
        return name == null ? file.getPath() : name.toString();
    }

    private void requireNonNull(Object value, String call) {
        if (value == null) {
            fail(new NullPointerException(call + " got null"));
        }
    }

    private void requireNoSource(String call) {
        if (files != null || plaintext != null) {
            String current = plaintext != null ? "setPlaintext"
                    : files.size() == 1 ? "setArtifact(" + files.get(0) + ")" : "setArtifacts(" + files.size() + " files)";
            fail(new IllegalStateException(call + " after " + current
                    + ": one artifact has one source; call log() in between"));
        }
    }

    private void fail(RuntimeException error) {
        reset();
        throw error;
    }
}
