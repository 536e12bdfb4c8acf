package de.monticore.mlpipelines.tracking.tracker;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Parameters whose key matches one of the configured regular expressions (anywhere in the key) are never logged. */
public final class ParamBlacklist {
    private final List<Pattern> patterns;

    public ParamBlacklist(List<Pattern> patterns) {
        this.patterns = List.copyOf(patterns);
    }

    /** True when the key matches a pattern. */
    public boolean blocks(String key) {
        for (Pattern pattern : patterns) {
            if (pattern.matcher(key).find()) {
                return true;
            }
        }
        return false;
    }

    /** The params that may be logged, in their original order. */
    public Map<String, String> filter(Map<String, String> params) {
        Map<String, String> allowed = new LinkedHashMap<>();
        params.forEach((key, value) -> {
            if (!blocks(key)) {
                allowed.put(key, value);
            }
        });
        return allowed;
    }
}
