package de.monticore.mlpipelines.generator;

import de.monticore.mlpipelines.generator.ExperimentSpec.Activation;
import de.monticore.mlpipelines.generator.ExperimentSpec.ModelType;
import de.monticore.mlpipelines.tracking.TrackingBackends;
import de.monticore.mlpipelines.tracking.config.TrackingConfig;
import de.monticore.mlpipelines.tracking.format.PythonFloat;
import freemarker.cache.ClassTemplateLoader;
import freemarker.cache.TemplateLoader;
import freemarker.core.PlainTextOutputFormat;
import freemarker.core.TemplateClassResolver;
import freemarker.template.Configuration;
import freemarker.template.SimpleObjectWrapper;
import freemarker.template.TemplateException;
import freemarker.template.TemplateExceptionHandler;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Turns an {@link ExperimentSpec} into a directory that trains it:
 *
 * <pre>
 * &lt;out&gt;/&lt;experiment&gt;/train.py               the training script (FreeMarker, templates in
 *                                            experiments/tracking/ on the class path)
 * &lt;out&gt;/&lt;experiment&gt;/requirements.txt       the training's needs, the runtime's and the enabled
 *                                            backends' (from the runtime's backend_requirements.txt)
 * &lt;out&gt;/&lt;experiment&gt;/mlpipelines/__init__.py
 * &lt;out&gt;/&lt;experiment&gt;/mlpipelines/tracking/   byte-identical copy of the Python tracking runtime
 * &lt;out&gt;/&lt;experiment&gt;/mlpipelines/training/   for PyTorch experiments: the training module the script
 *                                            imports (data, loop, distributed, models), copied the same way
 * </pre>
 *
 * <p>{@link #generate} writes that directory (for {@code mlpipelines generate}, replacing an earlier
 * generation); {@link #generateRun} writes the same files into a directory no other pipeline uses,
 * {@code <out>/_runs/<experiment>/run-<N>/} (for {@code mlpipelines run}), so that concurrent
 * pipelines of one experiment never share, replace or train each other's script. The leading
 * {@code _} keeps it apart from every experiment directory ({@link ExperimentSpec#directoryName()}
 * never starts with one).
 *
 * <p>The script's tracking defaults are the {@link TrackingConfig#pythonDefaults()} of the tracking
 * configuration it is generated with, so that {@code python train.py} on its own tracks into the
 * stores that tracking.yaml names. Its values win over the experiment's name: a script on its own
 * files its runs where a launched run of the same tracking.yaml goes. Options of a backend the
 * configuration does not enable keep the runtime's defaults.
 *
 * <p>The templates only paste text this class prepared: every value from the description passes
 * through {@link PythonLiterals} (strings become escaped literals, numbers Python literals, option
 * names checked identifiers). FreeMarker is locked down: no {@code ?new}, no {@code ?api}, only plain
 * strings, lists and maps in the data model. The directory is written beside its final place and
 * moved there at the end, so a failure leaves the previous output (or nothing) rather than half a
 * script.
 */
public final class TrainingScriptGenerator {
    /** Shown in the generated files. */
    public static final String VERSION = "0.1.0";

    /**
     * What the training itself needs, with why; the tracking runtime's requirements come from its
     * {@code backend_requirements.txt} ({@link BackendRequirements}).
     */
    static final List<BackendRequirements.Requirement> TRAINING_REQUIREMENTS = List.of(
            new BackendRequirements.Requirement("training", "numpy>=1.24", "the model and its training"),
            new BackendRequirements.Requirement("training", "scikit-learn>=1.3", "the digits data set"));

    /**
     * What a PyTorch experiment's training needs; torch is listed for PyTorch experiments only (the
     * CPU build of the version the project tests with).
     */
    static final List<BackendRequirements.Requirement> PYTORCH_REQUIREMENTS = List.of(
            new BackendRequirements.Requirement("training", "torch==2.13.0", "the model, its training and torchrun"),
            new BackendRequirements.Requirement("training", "numpy>=1.24", "data loading"),
            new BackendRequirements.Requirement("training", "scikit-learn>=1.3", "the bundled data sets"),
            new BackendRequirements.Requirement("training", "tqdm>=4.60", "the progress bar"));

    /** The option that sets where checkpoints and the final model go (default: beside the script). */
    public static final String CHECKPOINT_OPTION = "checkpoint_dir";

    /**
     * The script's flag that says the launcher has logged the hyperparameters as params already. A
     * script option rather than an environment variable: it is declared by the script, visible in
     * {@code --help} and argv, and not inherited by processes the script starts.
     */
    public static final String PARAMS_LOGGED_OPTION = "params_logged_by_launcher";
    /** The directory below {@code <out>} that holds the per-run directories of {@link #generateRun}. */
    public static final String RUNS_DIRECTORY = "_runs";

    private static final String TEMPLATE_DIRECTORY = "experiments/tracking";
    private static final Pattern OPTION_KEY = Pattern.compile("[a-z][a-z0-9_]*");
    private static final Pattern RUN_DIRECTORY = Pattern.compile("run-([1-9][0-9]{0,8})");

    private final Configuration freemarker;
    private final PythonRuntime runtime;
    private PythonRuntime trainingModule;

    /** A generator using the templates and the Python runtime packed into this jar. */
    public TrainingScriptGenerator() {
        this(PythonRuntime.packaged());
    }

    /** A generator using the packed templates and the given runtime. */
    public TrainingScriptGenerator(PythonRuntime runtime) {
        this(runtime, new ClassTemplateLoader(TrainingScriptGenerator.class.getClassLoader(), TEMPLATE_DIRECTORY));
    }

    TrainingScriptGenerator(PythonRuntime runtime, TemplateLoader templates) {
        this.runtime = runtime;
        this.freemarker = lockedDownConfiguration(templates);
    }

    /**
     * The FreeMarker configuration every template runs with: no class instantiation ({@code ?new}),
     * no access to Java APIs ({@code ?api}), a wrapper that exposes only strings, numbers, booleans,
     * lists and maps, errors rethrown instead of printed into the output, no auto-escaping (the
     * values are Python source already).
     */
    static Configuration lockedDownConfiguration(TemplateLoader templates) {
        Configuration configuration = new Configuration(Configuration.VERSION_2_3_31);
        configuration.setTemplateLoader(templates);
        configuration.setDefaultEncoding(StandardCharsets.UTF_8.name());
        configuration.setLocale(Locale.ROOT);
        configuration.setLocalizedLookup(false);
        configuration.setOutputFormat(PlainTextOutputFormat.INSTANCE);
        configuration.setNewBuiltinClassResolver(TemplateClassResolver.ALLOWS_NOTHING_RESOLVER);
        configuration.setAPIBuiltinEnabled(false);
        configuration.setObjectWrapper(new SimpleObjectWrapper(Configuration.VERSION_2_3_31));
        configuration.setTemplateExceptionHandler(TemplateExceptionHandler.RETHROW_HANDLER);
        configuration.setLogTemplateExceptions(false);
        configuration.setWrapUncheckedExceptions(true);
        configuration.setFallbackOnNullLoopVariable(false);
        configuration.setNumberFormat("computer");
        configuration.setBooleanFormat("c");
        return configuration;
    }

    /**
     * Writes {@code <out>/<experiment.directoryName()>/} (see the class comment), replacing an
     * earlier generation of the same experiment.
     *
     * @param tracking the configuration whose {@link TrackingConfig#pythonDefaults()} become the script's defaults
     * @throws GenerationException when the output cannot be written; nothing half-written remains
     */
    public GeneratedExperiment generate(ExperimentSpec experiment, TrackingConfig tracking, Path outDirectory) {
        String script = renderScript(experiment, tracking);
        String requirements = renderRequirements(experiment, tracking);
        Path target = outDirectory.resolve(experiment.directoryName());
        Path staging = null;
        try {
            Files.createDirectories(outDirectory);
            staging = Files.createTempDirectory(outDirectory, "." + experiment.directoryName() + ".generating-");
            writeFiles(staging, experiment, script, requirements);
            replaceDirectory(staging, target);
            staging = null;
        } catch (IOException e) {
            throw new GenerationException("cannot write " + target + ": " + e, e);
        } finally {
            if (staging != null) {
                deleteRecursively(staging);
            }
        }
        return new GeneratedExperiment(target, target.resolve("train.py"), target.resolve("requirements.txt"));
    }

    /**
     * Writes the same files as {@link #generate} into a new directory of this run alone,
     * {@code <out>/_runs/<experiment.directoryName()>/run-<N>/}, N one more than the highest taken,
     * claimed with an exclusive {@code mkdir} so that concurrent pipelines get different ones.
     *
     * @throws GenerationException when the output cannot be written; the claimed directory is removed then
     */
    public GeneratedExperiment generateRun(ExperimentSpec experiment, TrackingConfig tracking, Path outDirectory) {
        String script = renderScript(experiment, tracking);
        String requirements = renderRequirements(experiment, tracking);
        Path runs = outDirectory.resolve(RUNS_DIRECTORY).resolve(experiment.directoryName());
        Path claimed = null;
        try {
            claimed = claimRunDirectory(runs);
            writeFiles(claimed, experiment, script, requirements);
        } catch (IOException e) {
            if (claimed != null) {
                deleteRecursively(claimed);
            }
            throw new GenerationException("cannot write " + (claimed == null ? runs : claimed) + ": " + e, e);
        }
        return new GeneratedExperiment(claimed, claimed.resolve("train.py"), claimed.resolve("requirements.txt"));
    }

    private void writeFiles(Path directory, ExperimentSpec experiment, String script, String requirements)
            throws IOException {
        Files.writeString(directory.resolve("train.py"), script, StandardCharsets.UTF_8);
        Files.writeString(directory.resolve("requirements.txt"), requirements, StandardCharsets.UTF_8);
        runtime.copyInto(directory);
        if (experiment.framework() == ExperimentSpec.Framework.PYTORCH) {
            trainingModule().copyInto(directory);
        }
    }

    /** The training module PyTorch scripts import, read from the jar on first use. */
    private synchronized PythonRuntime trainingModule() {
        if (trainingModule == null) {
            trainingModule = PythonRuntime.packagedTraining();
        }
        return trainingModule;
    }

    /**
     * requirements.txt: the training's own needs, then the tracking runtime's ({@code *} lines of
     * its {@code backend_requirements.txt}) and those of the backends {@code tracking} enables, each
     * line {@code requirement  # who: why}.
     *
     * @throws GenerationException when the runtime's requirements file is missing or malformed
     */
    String renderRequirements(TrackingConfig tracking) {
        return renderRequirements(null, tracking);
    }

    /** As {@link #renderRequirements(TrackingConfig)}, with torch for a PyTorch experiment. */
    String renderRequirements(ExperimentSpec experiment, TrackingConfig tracking) {
        List<String> enabled = tracking.backends().stream().map(backend -> backend.name()).collect(Collectors.toList());
        boolean pytorch = experiment != null && experiment.framework() == ExperimentSpec.Framework.PYTORCH;
        List<BackendRequirements.Requirement> requirements =
                new ArrayList<>(pytorch ? PYTORCH_REQUIREMENTS : TRAINING_REQUIREMENTS);
        requirements.addAll(BackendRequirements.of(runtime).forBackends(enabled));
        Set<String> seen = new HashSet<>();
        List<String> lines = new ArrayList<>();
        for (BackendRequirements.Requirement requirement : requirements) {
            if (seen.add(requirement.requirement())) {
                String who = requirement.backend().equals(BackendRequirements.RUNTIME) ? "tracking runtime"
                        : requirement.backend().equals("training") ? "training" : requirement.backend() + " backend";
                String why = requirement.why().isEmpty() ? who : who + ": " + requirement.why();
                lines.add(String.format(Locale.ROOT, "%-26s # %s", requirement.requirement(), why));
            }
        }
        return render("Requirements.ftl", Map.of("generatorVersion", VERSION, "requirements", lines));
    }

    /** Creates {@code run-<N>} below {@code runs} with the lowest N above every existing one. */
    static Path claimRunDirectory(Path runs) throws IOException {
        Files.createDirectories(runs);
        int next = 1;
        try (Stream<Path> existing = Files.list(runs)) {
            for (Path path : (Iterable<Path>) existing::iterator) {
                Matcher matcher = RUN_DIRECTORY.matcher(path.getFileName().toString());
                if (matcher.matches()) {
                    next = Math.max(next, Integer.parseInt(matcher.group(1)) + 1);
                }
            }
        }
        for (int attempt = 0; attempt < 10_000; attempt++, next++) {
            try {
                return Files.createDirectory(runs.resolve("run-" + next));
            } catch (FileAlreadyExistsException taken) {
                // A concurrent pipeline claimed it first; the next number is free or will be tried.
            }
        }
        throw new IOException("no free run-<N> directory in " + runs + " after 10000 attempts");
    }

    /** The text of train.py for an experiment, with the tracking defaults of {@code tracking}. */
    public String renderScript(ExperimentSpec experiment, TrackingConfig tracking) {
        if (experiment.framework() == ExperimentSpec.Framework.PYTORCH) {
            return render("TorchTrainingScript.ftl", PyTorchScriptModel.of(experiment, scriptModel(experiment, tracking)));
        }
        return render("TrainingScript.ftl", scriptModel(experiment, tracking));
    }

    /**
     * The tags the generated script sets when it runs on its own ({@code experiment}: the experiment's
     * name); under the launcher, the launcher logs them instead, with the params.
     */
    public static Map<String, String> scriptTags(ExperimentSpec experiment) {
        return Map.of("experiment", experiment.name());
    }

    /**
     * The options the launcher passes to the generated script so that it trains with exactly the
     * hyperparameters logged as params: one per training option, the value in the form the
     * option's argparse type reads ({@code hidden_sizes=16,8}, {@code learning_rate=0.1}), which is
     * also the logged param's text ({@link ExperimentSpec#hyperparameters()}).
     */
    public static Map<String, String> scriptOptions(ExperimentSpec experiment) {
        Map<String, String> params = experiment.hyperparameters();
        Map<String, String> options = new LinkedHashMap<>();
        for (TrainingOption option : trainingOptions(experiment)) {
            String value = params.get(option.name());
            if (value == null) {
                throw new IllegalStateException("training option '" + option.name() + "' is not a hyperparameter");
            }
            options.put(option.name(), value);
        }
        return options;
    }

    /**
     * The data model of TrainingScript.ftl: Python source fragments only, every one made here.
     */
    static Map<String, Object> scriptModel(ExperimentSpec experiment, TrackingConfig tracking) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("trackingDefaultLines", trackingDefaultLines(tracking));
        model.put("paramsLoggedOption", PythonLiterals.identifier(PARAMS_LOGGED_OPTION));
        model.put("generatorVersion", VERSION);
        model.put("experimentNameLine", PythonLiterals.stringValue("EXPERIMENT_NAME = ", experiment.name(), "", 0));
        model.put("experimentFileLine", PythonLiterals.stringValue("EXPERIMENT_FILE = ",
                Path.of(experiment.file()).getFileName().toString(), "", 0));
        model.put("options", trainingOptions(experiment).stream().map(TrainingOption::toModel)
                .collect(Collectors.toList()));
        if (experiment.pytorch() != null) {
            return model;
        }
        model.put("model", PythonLiterals.string(experiment.model().type().yamlName()));
        model.put("dataset", PythonLiterals.string(experiment.dataset().yamlName()));
        boolean mlp = experiment.model().type() == ModelType.MLP;
        model.put("hiddenSizesExpression", mlp ? "args.hidden_sizes" : "[]");
        model.put("activationExpression", mlp ? "args.activation" : "None");
        return model;
    }

    /**
     * The entries of the script's {@code TRACKING_DEFAULTS} dict as {@code "key": value} Python source:
     * every value a string literal, except {@code tracking_backends}, which is given in its parsed
     * form (a tuple of upper-case names, empty when no backend is enabled) because argparse applies
     * an option's type only to string defaults.
     *
     * @throws GenerationException for an option key that is not an option name ({@code [a-z][a-z0-9_]*})
     */
    static List<String> trackingDefaults(TrackingConfig tracking) {
        return trackingDefaultSource(tracking, false);
    }

    /**
     * The {@link #trackingDefaults} entries as the lines of the dict's body: indented, with their
     * trailing comma, long values laid out as ruff format does ({@link PythonLiterals#stringValue}).
     */
    static List<String> trackingDefaultLines(TrackingConfig tracking) {
        return trackingDefaultSource(tracking, true);
    }

    private static List<String> trackingDefaultSource(TrackingConfig tracking, boolean asLines) {
        List<String> entries = new ArrayList<>();
        for (Map.Entry<String, String> option : tracking.pythonDefaults().entrySet()) {
            String key = option.getKey();
            if (!OPTION_KEY.matcher(key).matches()) {
                throw new GenerationException("tracking option '" + key + "' from " + tracking.file()
                        + " is not an option name; expected [a-z][a-z0-9_]*");
            }
            String prefix = PythonLiterals.string(key) + ": ";
            if (key.equals("tracking_backends")) {
                List<String> names = Arrays.stream(option.getValue().split(",")).map(String::strip)
                        .filter(name -> !name.isEmpty()).map(name -> PythonLiterals.string(name.toUpperCase(Locale.ROOT)))
                        .collect(Collectors.toList());
                String value = names.size() == 1 ? "(" + names.get(0) + ",)" : "(" + String.join(", ", names) + ")";
                entries.add(asLines ? "    " + prefix + value + "," : prefix + value);
            } else if (asLines) {
                entries.add(PythonLiterals.stringValue("    " + prefix, option.getValue(), ",", 4));
            } else {
                entries.add(prefix + PythonLiterals.string(option.getValue()));
            }
        }
        return entries;
    }

    /**
     * One {@code --name} option of the script; every field is Python source, {@code help} a
     * double-quoted literal from {@link PythonLiterals#string} that gets the default appended.
     */
    record TrainingOption(String name, String type, String defaultValue, String choices, String help) {
        TrainingOption {
            // argparse expands %(default)s in help texts.
            help = help.substring(0, help.length() - 1) + " (default: %(default)s)\"";
            PythonLiterals.identifier(name);
            PythonLiterals.identifier(type);
            for (String prefix : reservedOptionPrefixes()) {
                if (name.startsWith(prefix)) {
                    throw new IllegalArgumentException("training option '" + name + "' starts with '" + prefix
                            + "', which belongs to a tracking backend's options");
                }
            }
        }

        Map<String, Object> toModel() {
            Map<String, Object> option = new LinkedHashMap<>();
            option.put("name", name);
            option.put("type", type);
            option.put("default", defaultValue);
            option.put("help", help);
            if (choices != null) {
                option.put("choices", choices);
            }
            return option;
        }
    }

    static List<TrainingOption> trainingOptions(ExperimentSpec experiment) {
        ExperimentSpec.Training training = experiment.training();
        List<TrainingOption> options = new ArrayList<>();
        if (experiment.pytorch() != null) {
            options.addAll(commonOptions(training));
            options.addAll(PyTorchScriptModel.options(experiment.pytorch()));
            return options;
        }
        if (experiment.model().type() == ModelType.MLP) {
            options.add(new TrainingOption("hidden_sizes", "layer_sizes",
                    defaultList(experiment.model().hiddenSizes()), null,
                    PythonLiterals.string("hidden layer widths, comma-separated")));
            options.add(new TrainingOption("activation", "str",
                    PythonLiterals.string(experiment.model().activation().yamlName()),
                    Arrays.stream(Activation.values()).map(a -> PythonLiterals.string(a.yamlName()))
                            .collect(Collectors.joining(", ", "[", "]")),
                    PythonLiterals.string("activation of the hidden layers")));
        }
        options.addAll(commonOptions(training));
        return options;
    }

    /** The options every framework has: epochs, batch size, learning rate, seed, validation split. */
    private static List<TrainingOption> commonOptions(ExperimentSpec.Training training) {
        List<TrainingOption> options = new ArrayList<>();
        options.add(new TrainingOption("epochs", "positive_int", String.valueOf(training.epochs()), null,
                PythonLiterals.string("passes over the training set")));
        options.add(new TrainingOption("batch_size", "positive_int", String.valueOf(training.batchSize()), null,
                PythonLiterals.string("examples per SGD step")));
        options.add(new TrainingOption("learning_rate", "positive_float",
                PythonFloat.repr(training.learningRate()), null, PythonLiterals.string("SGD step size")));
        options.add(new TrainingOption("seed", "non_negative_int", String.valueOf(training.seed()), null,
                PythonLiterals.string("seeds the data split, the initial weights and the batch order")));
        options.add(new TrainingOption("validation_split", "fraction",
                PythonFloat.repr(training.validationSplit()), null,
                PythonLiterals.string("fraction of the data held out for validation")));
        return options;
    }

    /**
     * A list default as the template's {@code         default=…,} line takes it: on one line when it
     * fits, else one element a line with a trailing comma, as ruff format explodes it.
     */
    static String defaultList(List<Integer> values) {
        String list = PythonLiterals.intList(values);
        if ("        default=".length() + list.length() + 1 <= PythonLiterals.LINE_LENGTH) {
            return list;
        }
        return values.stream().map(value -> "            " + value + ",\n")
                .collect(Collectors.joining("", "[\n", "        ]"));
    }

    /** Prefixes of the tracking backends' options ({@code mlflow_}, …) and the shared {@code tracking_}. */
    static List<String> reservedOptionPrefixes() {
        List<String> prefixes = new ArrayList<>(List.of("tracking_"));
        TrackingBackends.discover().names().forEach(name -> prefixes.add(name.toLowerCase(Locale.ROOT) + "_"));
        return prefixes;
    }

    private String render(String templateName, Map<String, Object> model) {
        StringWriter out = new StringWriter();
        try {
            freemarker.getTemplate(templateName).process(model, out);
        } catch (IOException | TemplateException e) {
            throw new GenerationException("template " + TEMPLATE_DIRECTORY + "/" + templateName + " failed: "
                    + e.getMessage(), e);
        }
        return out.toString();
    }

    private static void replaceDirectory(Path staging, Path target) throws IOException {
        Path previous = null;
        if (Files.exists(target)) {
            previous = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".previous-");
            Files.delete(previous);
            Files.move(target, previous, StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
            if (previous != null) {
                Files.move(previous, target, StandardCopyOption.ATOMIC_MOVE);
            }
            throw e;
        }
        if (previous != null) {
            deleteRecursively(previous);
        }
    }

    private static void deleteRecursively(Path directory) {
        try (Stream<Path> walk = Files.walk(directory)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // Best effort: a left-over hidden staging directory does not affect the result.
        }
    }
}
