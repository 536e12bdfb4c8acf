package de.monticore.mlpipelines.tracking.rundir;

import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.format.ParamValues;
import de.monticore.mlpipelines.tracking.format.PythonFloat;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Small YAML files of a run directory ({@code params.yaml}, {@code tags.yaml}, {@code run.yaml})
 * that both halves of a backend read and write. Reading uses SnakeYAML in safe mode; writing goes
 * to a temporary file in the same directory that is then renamed over the target, so a reader
 * (in any process) sees the old or the new file, never half of one. Files are block-style YAML;
 * strings are plain only when they are simple words that both SnakeYAML and PyYAML read as strings;
 * everything else ({@code "1.0"}, {@code "yes"}, {@code "null"}, {@code "="}, text with
 * punctuation or line breaks) is double-quoted, so it reads back as the same string in both.
 * Doubles are written as PyYAML writes Python floats ({@code 1.0e-05}, {@code .nan}), so both
 * read back the same double. {@link #mergeParams} stores param texts with the types of
 * {@link ParamValues}.
 */
public final class YamlStore {
    /** The smallest allocation of common file systems: a file this small never needs a new block. */
    private static final long BLOCK_SIZE = 4096;
    /** Serializes read-merge-write cycles within this JVM; other processes may still interleave. */
    private static final Object MERGE_LOCK = new Object();

    private YamlStore() {
    }

    /**
     * Reads a file holding a mapping of strings to strings; a missing file is an empty mapping.
     * Values that another writer stored as numbers or booleans come back as their text, as Python's
     * {@code str} gives it ({@link ParamValues#text}): {@code 1e-05}, {@code True}.
     *
     * @throws TrackingException when the file cannot be read, is not YAML or not a mapping;
     *                           the message names the file
     */
    public static Map<String, String> readStringMap(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new LinkedHashMap<>();
        } catch (IOException e) {
            throw new TrackingException("cannot read '" + file + "': " + RunDirectories.describe(e), e);
        }
        Object document;
        try {
            document = newYaml().load(text);
        } catch (YAMLException e) {
            throw new TrackingException("'" + file + "' is not valid YAML: " + e.getMessage(), e);
        }
        Map<String, String> result = new LinkedHashMap<>();
        if (document == null) {
            return result;
        }
        if (!(document instanceof Map)) {
            throw new TrackingException("'" + file + "' must hold a mapping of names to values, found a "
                    + document.getClass().getSimpleName());
        }
        for (Map.Entry<?, ?> entry : ((Map<?, ?>) document).entrySet()) {
            result.put(String.valueOf(entry.getKey()), ParamValues.text(entry.getValue()));
        }
        return result;
    }

    /**
     * Adds (or replaces) entries of a string mapping file: reads it, merges, writes it atomically.
     * Keys already in the file keep their position; new keys follow in the given order.
     *
     * @throws TrackingException when the file cannot be read or written; the message names it
     */
    public static void mergeStringMap(Path file, Map<String, String> additions) {
        synchronized (MERGE_LOCK) {
            Map<String, String> merged = readStringMap(file);
            merged.putAll(additions);
            write(file, merged);
        }
    }

    /**
     * Adds (or replaces) params in a {@code params.yaml}: like {@link #mergeStringMap}, but every
     * value, old and new, is stored with its type by {@link ParamValues#typed}, so {@code 0.1} is a
     * YAML float and {@code 0.10} stays a string.
     *
     * @throws TrackingException when the file cannot be read or written; the message names it
     */
    public static void mergeParams(Path file, Map<String, String> additions) {
        synchronized (MERGE_LOCK) {
            Map<String, String> merged = readStringMap(file);
            merged.putAll(additions);
            Map<String, Object> typed = new LinkedHashMap<>();
            merged.forEach((key, value) -> typed.put(key, ParamValues.typed(value)));
            write(file, typed);
        }
    }

    /**
     * Replaces {@code file} with the YAML of {@code content} (strings, numbers, booleans, null,
     * nested maps and lists) through a temporary file and an atomic rename.
     *
     * @throws TrackingException when the file cannot be written; the message names it
     */
    public static void write(Path file, Map<String, ?> content) {
        String text = newYaml().dump(content);
        Path temporary = null;
        try {
            temporary = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName() + ".", ".tmp");
            Files.writeString(temporary, text, StandardCharsets.UTF_8);
            try {
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            deleteQuietly(temporary);
            temporary = null;
            rewriteInPlace(file, text.getBytes(StandardCharsets.UTF_8), e);
        } finally {
            deleteQuietly(temporary);
        }
    }

    /**
     * The fallback of {@link #write} when the atomic replace failed, typically a full disk with no room
     * for the second copy: a small file that still fits in the block it already occupies is overwritten
     * in place, as the Python half does, so that a run's end is recorded rather than lost. A reader may
     * see a torn file only during this rewrite.
     *
     * @throws TrackingException naming the file and the first failure when that does not work either
     */
    private static void rewriteInPlace(Path file, byte[] bytes, IOException atomicFailure) {
        TrackingException failure = new TrackingException("cannot write '" + file + "': "
                + RunDirectories.describe(atomicFailure), atomicFailure);
        try {
            if (!Files.isRegularFile(file) || bytes.length > roundUpToBlock(Files.size(file))) {
                throw failure;
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer, buffer.position());
                }
                channel.truncate(bytes.length);
                channel.force(true);
            }
        } catch (IOException inPlace) {
            failure.addSuppressed(inPlace);
            throw failure;
        }
    }

    private static long roundUpToBlock(long size) {
        return Math.max(BLOCK_SIZE, (size + BLOCK_SIZE - 1) / BLOCK_SIZE * BLOCK_SIZE);
    }

    private static void deleteQuietly(Path temporary) {
        if (temporary == null) {
            return;
        }
        try {
            Files.deleteIfExists(temporary);
        } catch (IOException ignored) {
            // A stray hidden temp file is harmless; the real error (if any) is already thrown.
        }
    }

    private static Yaml newYaml() {
        DumperOptions dumper = new DumperOptions();
        dumper.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        dumper.setAllowUnicode(true);
        dumper.setSplitLines(false);
        LoaderOptions loader = new LoaderOptions();
        loader.setAllowDuplicateKeys(false);
        loader.setMaxAliasesForCollections(50);
        return new Yaml(new SafeConstructor(loader), new StringQuotingRepresenter(dumper), dumper, loader,
                new PyYamlResolver());
    }

    /**
     * SnakeYAML's resolver with PyYAML's float pattern: SnakeYAML reads {@code 1e-5} and
     * {@code 1E-05} as floats, PyYAML (which needs a point and a signed exponent) as strings, and
     * the Python half writes such strings plain. Reading them as PyYAML does keeps their text.
     */
    private static final class PyYamlResolver extends Resolver {
        private static final Pattern PYYAML_FLOAT = Pattern.compile("^(?:[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*"
                + "(?:[eE][-+][0-9]+)?|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+"
                + "\\.[0-9_]*|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$");

        @Override
        protected void addImplicitResolvers() {
            addImplicitResolver(Tag.BOOL, BOOL, "yYnNtTfFoO");
            addImplicitResolver(Tag.INT, INT, "-+0123456789");
            addImplicitResolver(Tag.FLOAT, PYYAML_FLOAT, "-+0123456789.");
            addImplicitResolver(Tag.MERGE, MERGE, "<");
            addImplicitResolver(Tag.NULL, NULL, "~nN\0");
            addImplicitResolver(Tag.NULL, EMPTY, null);
            addImplicitResolver(Tag.TIMESTAMP, TIMESTAMP, "0123456789");
        }
    }

    /**
     * Quotes every string that is not obviously a plain word. SnakeYAML alone quotes only what
     * its own resolver would misread, and PyYAML resolves a few more plain scalars ({@code =} as
     * the "value" type, which {@code yaml.safe_load} rejects; {@code .5_} as a float).
     */
    private static final class StringQuotingRepresenter extends Representer {
        /** Starts with a letter, so no number, timestamp, merge key, "=" or indicator character. */
        private static final Pattern SIMPLE_WORDS = Pattern.compile("[A-Za-z][A-Za-z0-9_./+-]*( [A-Za-z0-9_./+-]+)*");
        private static final Resolver RESOLVER = new PyYamlResolver();

        StringQuotingRepresenter(DumperOptions options) {
            super(options);
            representers.put(String.class, data -> {
                String text = (String) data;
                boolean plain = SIMPLE_WORDS.matcher(text).matches()
                        && Tag.STR.equals(RESOLVER.resolve(NodeId.scalar, text, true));
                return representScalar(Tag.STR, text,
                        plain ? DumperOptions.ScalarStyle.PLAIN : DumperOptions.ScalarStyle.DOUBLE_QUOTED);
            });
            representers.put(Double.class, data -> representScalar(Tag.FLOAT, yamlFloat((Double) data),
                    DumperOptions.ScalarStyle.PLAIN));
        }

        /**
         * A double as PyYAML writes a Python float: its repr, with {@code .0} before an exponent that
         * has no point ({@code 1.0e-05}; PyYAML reads {@code 1e-05} as a string) and {@code .nan},
         * {@code .inf}, {@code -.inf}. SnakeYAML reads all of these as the same double.
         */
        private static String yamlFloat(double value) {
            if (Double.isNaN(value)) {
                return ".nan";
            }
            if (Double.isInfinite(value)) {
                return value > 0 ? ".inf" : "-.inf";
            }
            String repr = PythonFloat.repr(value);
            return repr.contains(".") ? repr : repr.replace("e", ".0e");
        }
    }
}
