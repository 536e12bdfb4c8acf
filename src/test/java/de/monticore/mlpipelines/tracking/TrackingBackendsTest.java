package de.monticore.mlpipelines.tracking;

import de.monticore.mlpipelines.tracking.backend.stdout.StdOutTracker;
import de.monticore.mlpipelines.tracking.config.BackendConfig;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.config.ConfiguredBackend;
import de.monticore.mlpipelines.tracking.config.TrackingConfig;
import de.monticore.mlpipelines.tracking.config.TrackingConfigException;
import de.monticore.mlpipelines.tracking.config.TrackingConfigLoader;
import de.monticore.mlpipelines.tracking.tracker.RunTracker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrackingBackendsTest {
    @TempDir
    Path tempDir;

    /** A backend from outside the source tree, found through ServiceLoader. */
    public static final class NotebookProvider implements TrackingBackendProvider<NotebookProvider.Config> {
        record Config(String page) implements BackendConfig {
            @Override
            public Map<String, String> settings() {
                return Map.of("page", page);
            }
        }

        @Override
        public String name() {
            return "NOTEBOOK";
        }

        @Override
        public Class<? extends RunTracker> trackerClass() {
            return StdOutTracker.class;
        }

        @Override
        public Set<String> configKeys() {
            return Set.of("page");
        }

        @Override
        public Config parseConfig(ConfigSection section) {
            return new Config(section.requireString("page"));
        }

        @Override
        public RunTracker createTracker(Config config) {
            return new StdOutTracker(new de.monticore.mlpipelines.tracking.backend.stdout.StdOutConfig(config.page()));
        }
    }

    private ClassLoader loaderWithServiceFile(String... providerClasses) throws Exception {
        Path services = Files.createDirectories(tempDir.resolve("META-INF/services"));
        Files.writeString(services.resolve(TrackingBackendProvider.class.getName()), String.join("\n", providerClasses));
        return new URLClassLoader(new URL[]{tempDir.toUri().toURL()}, getClass().getClassLoader());
    }

    @ParameterizedTest
    @EnumSource(TrackingBackend.class)
    void everyBuiltInBackendReadsAnEmptySectionAndBuildsItsTrackerWithoutSideEffects(TrackingBackend backend) {
        TrackingBackendProvider<?> provider = backend.provider();
        assertEquals(backend.name(), provider.name());
        assertEquals(backend.name().toLowerCase() + "_", provider.optionPrefix());
        ConfiguredBackend<?> configured = ConfiguredBackend.parse(provider,
                new ConfigSection("tracking.yaml", "backends." + backend.name().toLowerCase(), Map.of(), name -> null));
        RunTracker tracker = configured.createTracker();
        assertInstanceOf(provider.trackerClass(), tracker);
        assertEquals(provider.configKeys(), configured.config().settings().keySet());
    }

    @Test
    void findsBackendsInAnyCase() {
        TrackingBackends backends = TrackingBackends.discover(getClass().getClassLoader());
        assertSame(TrackingBackend.MLFLOW.provider(), backends.find("mlflow").orElseThrow());
        assertSame(TrackingBackend.TENSORBOARD.provider(), backends.find(" TensorBoard ").orElseThrow());
        assertEquals(builtInNames(), backends.names());
    }

    @Test
    void anUnknownNameListsTheKnownOnes() {
        TrackingConfigException error = assertThrows(TrackingConfigException.class,
                () -> TrackingBackends.discover(getClass().getClassLoader()).require("neptune", "t.yaml", "backends.neptune"));
        assertEquals("t.yaml: backends.neptune: 'neptune' is not a tracking backend; expected one of "
                + String.join(", ", builtInNames()), error.getMessage());
    }

    @Test
    void providersOnTheClasspathAreUsedLikeBuiltIns() throws Exception {
        TrackingBackends backends = TrackingBackends.discover(loaderWithServiceFile(NotebookProvider.class.getName()));
        List<String> expected = new java.util.ArrayList<>(builtInNames());
        expected.add("NOTEBOOK");
        assertEquals(expected, backends.names());
        TrackingConfig config = new TrackingConfigLoader(backends, name -> null)
                .parse("backends:\n  notebook:\n    page: lab-7\n", "tracking.yaml");
        assertEquals("NOTEBOOK", config.backends().get(0).name());
        assertEquals(Map.of("page", "lab-7"), config.backends().get(0).config().settings());
        TrackingConfigException missing = assertThrows(TrackingConfigException.class, () ->
                new TrackingConfigLoader(backends, name -> null).parse("backends:\n  notebook: {}\n", "tracking.yaml"));
        assertEquals("tracking.yaml: backends.notebook.page: missing; expected a string", missing.getMessage());
    }

    /** A provider that claims a built-in name. */
    public static final class ImpostorProvider implements TrackingBackendProvider<NotebookProvider.Config> {
        private final NotebookProvider delegate = new NotebookProvider();

        @Override
        public String name() {
            return "MLFLOW";
        }

        @Override
        public Class<? extends RunTracker> trackerClass() {
            return delegate.trackerClass();
        }

        @Override
        public Set<String> configKeys() {
            return delegate.configKeys();
        }

        @Override
        public NotebookProvider.Config parseConfig(ConfigSection section) {
            return delegate.parseConfig(section);
        }

        @Override
        public RunTracker createTracker(NotebookProvider.Config config) {
            return delegate.createTracker(config);
        }
    }

    @Test
    void aProviderMayNotTakeABuiltInName() throws Exception {
        TrackingException error = assertThrows(TrackingException.class,
                () -> TrackingBackends.discover(loaderWithServiceFile(ImpostorProvider.class.getName())));
        assertTrue(error.getMessage().startsWith("tracking backend MLFLOW is provided twice: by "), error.getMessage());
        assertTrue(error.getMessage().endsWith("ImpostorProvider"), error.getMessage());
    }

    /** The built-in names in declaration order, so that a new constant needs no edit here. */
    private static List<String> builtInNames() {
        return java.util.Arrays.stream(TrackingBackend.values()).map(Enum::name).toList();
    }
}
