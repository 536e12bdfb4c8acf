package de.monticore.mlpipelines.tracking.tracker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parameters whose key a pattern of {@code param_blacklist} matches are never logged. A pattern
 * takes one of two forms:
 *
 * <ul>
 *   <li><b>A regular expression that must match the whole key</b> ({@link Matcher#matches()}):
 *       {@code context} blocks {@code context} but not {@code context_size}; {@code _.*} blocks every
 *       key that starts with {@code _}; {@code .*password.*} every key that contains {@code password}.
 *       Anchors are redundant: {@code ^_} blocks only the key {@code _}.</li>
 *   <li><b>A name followed by {@code .*}</b> (the form of the original MontiCore tracking): the keys under that name,
 *       i.e. those that start with the name and a literal dot. {@code optimizer.*} blocks
 *       {@code optimizer.beta1} and {@code optimizer.adam.eps}, but neither {@code optimizer},
 *       {@code optimizers} nor {@code optimizer_momentum}. A name is a letter followed by letters,
 *       digits or {@code _}; dotted names work too: {@code model.encoder.*} blocks
 *       {@code model.encoder.depth}. Every other pattern is a regular expression; to block every key that
 *       starts with a name, anchor it: {@code ^optimizer.*} blocks {@code optimizer} and
 *       {@code optimizers} too.</li>
 * </ul>
 */
public final class ParamBlacklist {
    private static final Pattern DOTTED_PREFIX =
            Pattern.compile("([A-Za-z][A-Za-z0-9_]*(?:\\.[A-Za-z][A-Za-z0-9_]*)*)\\.\\*");

    private final List<Predicate<String>> rules;

    /** A blacklist of the given patterns, each read as described in the class comment. */
    public ParamBlacklist(List<Pattern> patterns) {
        List<Predicate<String>> compiled = new ArrayList<>();
        for (Pattern pattern : patterns) {
            compiled.add(rule(pattern));
        }
        this.rules = List.copyOf(compiled);
    }

    private static Predicate<String> rule(Pattern pattern) {
        Matcher dotted = DOTTED_PREFIX.matcher(pattern.pattern());
        if (dotted.matches()) {
            String prefix = dotted.group(1) + ".";
            return key -> key.startsWith(prefix);
        }
        return key -> pattern.matcher(key).matches();
    }

    /**
     * A hint for a pattern written for matching anywhere in the key, as {@code param_blacklist} once
     * did: one that starts with {@code ^} but ends with neither {@code $} nor {@code .*} now matches
     * far less than its author meant ({@code ^_} only the key {@code _}).
     *
     * @return the hint, naming the pattern to write instead; empty for every other pattern
     */
    public static Optional<String> anchorHint(String pattern) {
        if (!pattern.startsWith("^") || pattern.endsWith("$") || pattern.endsWith(".*")) {
            return Optional.empty();
        }
        return Optional.of("'" + pattern + "' has to match the whole key, not just its start; write '"
                + pattern + ".*' to block keys by their start");
    }

    /** True when a pattern matches the key (see the class comment for the two forms). */
    public boolean blocks(String key) {
        for (Predicate<String> rule : rules) {
            if (rule.test(key)) {
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
