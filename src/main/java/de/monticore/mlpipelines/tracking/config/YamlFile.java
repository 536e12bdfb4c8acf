package de.monticore.mlpipelines.tracking.config;

import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.ConstructorException;
import org.yaml.snakeyaml.constructor.DuplicateKeyException;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.representer.Representer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads a YAML configuration file into a {@link ConfigSection}, with SnakeYAML in safe mode: only
 * mappings, lists and scalars are constructed, never an arbitrary Java object named by a tag.
 * Every failure is a {@link TrackingConfigException} that names the file (and line and column for
 * malformed YAML).
 */
public final class YamlFile {
    private YamlFile() {
    }

    /**
     * Reads a file whose top level must be a mapping.
     *
     * @param file        the file
     * @param environment looks up {@code ${ENV_VAR}} references; returns null when unset
     */
    public static ConfigSection read(Path file, Function<String, String> environment) {
        String name = file.toString();
        if (Files.isDirectory(file)) {
            throw new TrackingConfigException(name, "", "is a directory; expected a YAML file");
        }
        if (!Files.isRegularFile(file)) {
            throw new TrackingConfigException(name, "", "no such file");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new TrackingConfigException(name, "", "cannot be read: " + e.getMessage(), e);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new TrackingConfigException(name, "", "is not UTF-8 text", e);
        }
        return parse(text, name, environment);
    }

    /** Parses YAML text whose top level must be a mapping; {@code name} is used in messages. */
    public static ConfigSection parse(String text, String name, Function<String, String> environment) {
        Object document;
        try {
            document = newSafeYaml().load(text);
        } catch (DuplicateKeyException e) {
            throw new TrackingConfigException(name, "", "malformed YAML: " + position(e.getProblemMark())
                    + firstLine(e.getProblem()), e);
        } catch (ConstructorException e) {
            throw new TrackingConfigException(name, "", position(e.getProblemMark())
                    + "only plain mappings, lists and scalars are allowed; "
                    + firstLine(e.getProblem()) + " (YAML tags that construct objects are rejected)", e);
        } catch (MarkedYAMLException e) {
            String context = e.getContext() == null ? "" : " (" + e.getContext() + ")";
            throw new TrackingConfigException(name, "", "malformed YAML: " + position(e.getProblemMark())
                    + firstLine(e.getProblem()) + context, e);
        } catch (YAMLException e) {
            throw new TrackingConfigException(name, "", "malformed YAML: " + firstLine(e.getMessage()), e);
        }
        if (document == null) {
            throw new TrackingConfigException(name, "", "is empty; expected a mapping");
        }
        if (!(document instanceof Map)) {
            throw new TrackingConfigException(name, "",
                    "expected a mapping at the top level, got " + ConfigSection.describe(document));
        }
        Map<String, Object> top = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : ((Map<?, ?>) document).entrySet()) {
            if (!(entry.getKey() instanceof String)) {
                throw new TrackingConfigException(name, "",
                        "top-level keys must be strings, got " + ConfigSection.describe(entry.getKey()));
            }
            top.put((String) entry.getKey(), entry.getValue());
        }
        return new ConfigSection(name, "", top, environment);
    }

    private static Yaml newSafeYaml() {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setAllowRecursiveKeys(false);
        options.setMaxAliasesForCollections(50);
        return new Yaml(new SafeConstructor(options), new Representer(new DumperOptions()),
                new DumperOptions(), options);
    }

    private static String position(Mark mark) {
        return mark == null ? "" : "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1) + ": ";
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "";
        }
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
