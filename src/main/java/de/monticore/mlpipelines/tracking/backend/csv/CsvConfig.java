package de.monticore.mlpipelines.tracking.backend.csv;

import de.monticore.mlpipelines.tracking.config.BackendConfig;
import de.monticore.mlpipelines.tracking.config.ConfigSection;
import de.monticore.mlpipelines.tracking.config.PathSetting;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code backends.csv}: the directory that holds one sub-directory per run, and the layout of
 * {@code metrics.csv}: {@code long} (the default, {@code step,timestamp,key,value}, one row per value)
 * or {@code wide} (Lightning's CSVLogger layout: one row per step, one column per metric).
 *
 * @param dir    the parent of the run directories
 * @param layout one of {@link #LAYOUTS}
 */
public record CsvConfig(Path dir, String layout) implements BackendConfig {
    /** The keys of the {@code csv} section. */
    public static final Set<String> KEYS = Set.of("dir", "layout");
    /** The layouts of {@code metrics.csv}; the first is the default. */
    public static final List<String> LAYOUTS = List.of("long", "wide");

    public CsvConfig {
        if (!LAYOUTS.contains(layout)) {
            throw new IllegalArgumentException("layout must be one of " + LAYOUTS + ", got " + layout);
        }
    }

    /** The long layout. */
    public CsvConfig(Path dir) {
        this(dir, LAYOUTS.get(0));
    }

    public static CsvConfig fromSection(ConfigSection section) {
        return new CsvConfig(PathSetting.parse(section, "dir", "runs/csv"),
                section.choice("layout", LAYOUTS.get(0), LAYOUTS));
    }

    /** True for Lightning's one-row-per-step layout. */
    public boolean wide() {
        return "wide".equals(layout);
    }

    @Override
    public Map<String, String> settings() {
        Map<String, String> settings = new java.util.LinkedHashMap<>();  // in tracking.yaml's documented order
        settings.put("dir", dir.toString());
        settings.put("layout", layout);
        return settings;
    }

    /**
     * {@code csv_dir}, absolute and normalized, so that it means the same from the script's directory,
     * and {@code csv_layout}.
     */
    @Override
    public Map<String, String> pythonOptions() {
        return Map.of("csv_dir", dir.toAbsolutePath().normalize().toString(), "csv_layout", layout);
    }
}
