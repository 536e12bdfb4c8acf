package de.monticore.mlpipelines.generator;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The pip requirements of the Python tracking runtime, per backend, as its data file
 * {@value #FILE} declares them (the one source: the Python backends' "pip install" messages read
 * the same file). A line is {@code BACKEND requirement  # why}; BACKEND is a backend name or
 * {@value #RUNTIME} for what the runtime needs whatever the backends; blank lines and {@code #}
 * lines are ignored.
 *
 * <pre>{@code
 * BackendRequirements.of(runtime).forBackends(Set.of("MLFLOW"))   // the * lines, then MLFLOW's
 * }</pre>
 */
final class BackendRequirements {
    /** The data file, relative to the {@code tracking} package. */
    static final String FILE = "backend_requirements.txt";
    /** The BACKEND of the runtime's own requirements. */
    static final String RUNTIME = "*";

    private static final Pattern BACKEND = Pattern.compile("\\*|[A-Z][A-Z0-9_]*");

    /**
     * One line of the data file.
     *
     * @param backend     who needs it: a backend name, {@value #RUNTIME}, or (the generator's own lines)
     *                    {@code training}
     * @param requirement a pip requirement, e.g. {@code mlflow>=2.12}
     * @param why         the line's comment, empty when it has none
     */
    record Requirement(String backend, String requirement, String why) {
    }

    private final List<Requirement> requirements;

    private BackendRequirements(List<Requirement> requirements) {
        this.requirements = List.copyOf(requirements);
    }

    /**
     * Reads {@value #FILE} out of the runtime.
     *
     * @throws GenerationException when the runtime has no such file or a line is malformed
     */
    static BackendRequirements of(PythonRuntime runtime) {
        return parse(runtime.readText(FILE), runtime.describe(FILE));
    }

    /**
     * Parses the text of a {@value #FILE}.
     *
     * @param origin names the file in error messages
     * @throws GenerationException naming the file and line when a line is not {@code BACKEND requirement  # why}
     */
    static BackendRequirements parse(String text, String origin) {
        List<Requirement> requirements = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int number = 1; number <= lines.length; number++) {
            String line = lines[number - 1];
            int hash = line.indexOf('#');
            String content = (hash < 0 ? line : line.substring(0, hash)).strip();
            if (content.isEmpty()) {
                continue;
            }
            String[] fields = content.split("\\s+");
            if (fields.length != 2 || !BACKEND.matcher(fields[0]).matches() || fields[1].startsWith("-")) {
                throw new GenerationException(origin + ":" + number + ": expected 'BACKEND requirement  # why' "
                        + "(BACKEND an upper-case backend name or " + RUNTIME + ", one pip requirement), found '"
                        + line.strip() + "'");
            }
            String why = hash < 0 ? "" : line.substring(hash + 1).strip();
            requirements.add(new Requirement(fields[0], fields[1], why));
        }
        return new BackendRequirements(requirements);
    }

    /** Every line, in file order. */
    List<Requirement> all() {
        return requirements;
    }

    /**
     * The runtime's own requirements and those of the given backends, in file order, each
     * requirement once.
     *
     * @param backends enabled backend names (upper case, as in {@code tracking_backends})
     */
    List<Requirement> forBackends(Collection<String> backends) {
        Set<String> seen = new LinkedHashSet<>();
        List<Requirement> selected = new ArrayList<>();
        for (Requirement requirement : requirements) {
            boolean wanted = requirement.backend().equals(RUNTIME) || backends.contains(requirement.backend());
            if (wanted && seen.add(requirement.requirement())) {
                selected.add(requirement);
            }
        }
        return selected;
    }
}
