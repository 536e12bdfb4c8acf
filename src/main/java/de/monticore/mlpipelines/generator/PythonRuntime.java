package de.monticore.mlpipelines.generator;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The Python tracking runtime ({@code python/mlpipelines/tracking}) that each generated script gets
 * a copy of, so that its directory runs without our package installed. The build packs the runtime
 * into the jar under {@value #RESOURCE_DIRECTORY} together with an index of its files
 * ({@value #INDEX_RESOURCE}, one relative path per line), because a class loader cannot list a
 * directory inside a jar.
 */
public final class PythonRuntime {
    /** Where the build puts the runtime's files on the class path. */
    public static final String RESOURCE_DIRECTORY = "python/mlpipelines/tracking";
    /** The build-generated list of the runtime's files, relative to {@link #RESOURCE_DIRECTORY}. */
    public static final String INDEX_RESOURCE = "python/mlpipelines/tracking.index";

    /** {@code mlpipelines/__init__.py} of the vendored copy: the package itself has no code. */
    static final String PACKAGE_INIT = "\"\"\"mlpipelines: experiment tracking for generated ML training scripts "
            + "(vendored copy of the tracking runtime).\"\"\"\n";

    private interface FileSource {
        InputStream open(String relativePath) throws IOException;
    }

    /** The package of the training module that PyTorch scripts import, packed beside the tracking runtime. */
    public static final String TRAINING_PACKAGE = "training";

    private final List<String> files;
    private final FileSource source;
    private final String origin;
    private final String packageName;

    private PythonRuntime(List<String> files, FileSource source, String origin) {
        this(files, source, origin, "tracking");
    }

    private PythonRuntime(List<String> files, FileSource source, String origin, String packageName) {
        this.files = List.copyOf(files);
        this.source = source;
        this.origin = origin;
        this.packageName = packageName;
    }

    /**
     * The training module ({@code python/mlpipelines/training}) packed into this generator's jar the way
     * the tracking runtime is, with its index {@code python/mlpipelines/training.index}: the fixed
     * training code that generated PyTorch scripts import, so that they stay thin.
     *
     * @throws GenerationException when the index or a listed file is missing
     */
    public static PythonRuntime packagedTraining() {
        ClassLoader loader = PythonRuntime.class.getClassLoader();
        String directory = "python/mlpipelines/" + TRAINING_PACKAGE;
        String indexResource = directory + ".index";
        List<String> files = new ArrayList<>();
        try (InputStream index = loader.getResourceAsStream(indexResource)) {
            if (index == null) {
                throw new GenerationException("the training module index " + indexResource + " is not on the class "
                        + "path; rebuild the generator (gradle installDist)");
            }
            for (String line : new String(index.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    files.add(checkedRelativePath(line.strip()));
                }
            }
        } catch (IOException e) {
            throw new GenerationException("cannot read " + indexResource + ": " + e.getMessage(), e);
        }
        return new PythonRuntime(files, path -> {
            InputStream in = loader.getResourceAsStream(directory + "/" + path);
            if (in == null) {
                throw new IOException(directory + "/" + path + " is listed in the index but not packed");
            }
            return in;
        }, "the generator's class path", TRAINING_PACKAGE);
    }

    /**
     * The runtime packed into the jar (or the build's resources directory) of the given class loader.
     *
     * @throws GenerationException when the index or a listed file is missing, or the index is empty
     *                             or names a path outside the runtime
     */
    public static PythonRuntime fromClassLoader(ClassLoader loader) {
        String rebuild = "; rebuild the generator (gradle installDist) from a tree that has python/mlpipelines/tracking";
        List<String> files = new ArrayList<>();
        try (InputStream index = loader.getResourceAsStream(INDEX_RESOURCE)) {
            if (index == null) {
                throw new GenerationException("the Python runtime index " + INDEX_RESOURCE + " is not on the class path"
                        + rebuild);
            }
            for (String line : new String(index.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    files.add(checkedRelativePath(line.strip()));
                }
            }
        } catch (IOException e) {
            throw new GenerationException("cannot read " + INDEX_RESOURCE + ": " + e.getMessage(), e);
        }
        if (!files.contains("__init__.py")) {
            throw new GenerationException("the Python runtime packed with the generator has no __init__.py" + rebuild);
        }
        return new PythonRuntime(files, path -> {
            InputStream in = loader.getResourceAsStream(RESOURCE_DIRECTORY + "/" + path);
            if (in == null) {
                throw new IOException(RESOURCE_DIRECTORY + "/" + path + " is listed in the index but not packed");
            }
            return in;
        }, "the generator's class path");
    }

    /** The runtime in this generator's own jar. */
    public static PythonRuntime packaged() {
        return fromClassLoader(PythonRuntime.class.getClassLoader());
    }

    /**
     * The runtime in a source directory (the {@code tracking} package itself), without caches.
     *
     * @throws GenerationException when the directory has no {@code __init__.py} or cannot be listed
     */
    public static PythonRuntime fromDirectory(Path directory) {
        if (!Files.isRegularFile(directory.resolve("__init__.py"))) {
            throw new GenerationException(directory + " is not a Python package (no __init__.py)");
        }
        try (Stream<Path> walk = Files.walk(directory)) {
            List<String> files = walk.filter(Files::isRegularFile)
                    .map(path -> directory.relativize(path).toString().replace('\\', '/'))
                    .filter(path -> !path.contains("__pycache__/") && !path.endsWith(".pyc"))
                    .sorted().collect(Collectors.toList());
            return new PythonRuntime(files, path -> Files.newInputStream(directory.resolve(path)), directory.toString());
        } catch (IOException | UncheckedIOException e) {
            throw new GenerationException("cannot list " + directory + ": " + e.getMessage(), e);
        }
    }

    /** The runtime's files, relative to the {@code tracking} package, sorted. */
    public List<String> files() {
        return files;
    }

    /**
     * The UTF-8 text of one runtime file, e.g. {@code backend_requirements.txt}.
     *
     * @param file a path relative to the {@code tracking} package, as in {@link #files()}
     * @throws GenerationException when the runtime has no such file or it cannot be read
     */
    public String readText(String file) {
        if (!files.contains(file)) {
            throw new GenerationException("the Python runtime from " + origin + " has no " + file
                    + "; rebuild the generator (gradle installDist) from a tree that has python/mlpipelines/tracking/"
                    + file);
        }
        try (InputStream in = source.open(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new GenerationException("cannot read " + describe(file) + ": " + e.getMessage(), e);
        }
    }

    /** Names a runtime file in messages: {@code python/mlpipelines/tracking/FILE from <origin>}. */
    public String describe(String file) {
        return RESOURCE_DIRECTORY + "/" + file + " from " + origin;
    }

    /**
     * Writes {@code mlpipelines/__init__.py} and a byte-identical copy of every runtime file to
     * {@code mlpipelines/tracking/} under {@code directory}.
     *
     * @throws GenerationException when a file cannot be read or written
     */
    public void copyInto(Path directory) {
        Path packageDirectory = directory.resolve("mlpipelines");
        Path trackingDirectory = packageDirectory.resolve(packageName);
        try {
            Files.createDirectories(trackingDirectory);
            Files.writeString(packageDirectory.resolve("__init__.py"), PACKAGE_INIT, StandardCharsets.UTF_8);
            for (String file : files) {
                Path target = trackingDirectory.resolve(file);
                Files.createDirectories(target.getParent());
                try (InputStream in = source.open(file)) {
                    Files.copy(in, target);
                }
            }
        } catch (IOException e) {
            throw new GenerationException("cannot copy the Python runtime from " + origin + " to " + trackingDirectory
                    + ": " + e.getMessage(), e);
        }
    }

    private static String checkedRelativePath(String path) {
        boolean escapes = path.startsWith("/") || path.contains("\\")
                || Stream.of(path.split("/")).anyMatch(part -> part.isEmpty() || part.equals("..") || part.equals("."));
        if (escapes) {
            throw new GenerationException(INDEX_RESOURCE + " lists '" + path + "'; expected a path inside the runtime");
        }
        return path;
    }
}
