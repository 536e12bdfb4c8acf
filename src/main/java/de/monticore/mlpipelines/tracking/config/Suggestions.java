package de.monticore.mlpipelines.tracking.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * The closest valid name to a misspelt one ({@code mlfow} → {@code mlflow}), for messages about an
 * unknown backend, key or command. Case is ignored; a candidate is suggested only when at most a third
 * of its letters (at least one, at most three) would have to change, so that a wild guess is not offered.
 */
public final class Suggestions {
    private Suggestions() {
    }

    /** The candidate nearest to {@code name} by edit distance, if it is near enough. */
    public static Optional<String> closest(String name, Collection<String> candidates) {
        String wanted = name.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            int distance = distance(wanted, candidate.toLowerCase(Locale.ROOT));
            int allowed = Math.min(3, Math.max(1, candidate.length() / 3));
            if (distance <= allowed && distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return Optional.ofNullable(best);
    }

    /** {@code "; did you mean 'x'?"} for the closest candidate, or nothing. */
    public static String didYouMean(String name, Collection<String> candidates) {
        return closest(name, candidates).map(candidate -> "; did you mean '" + candidate + "'?").orElse("");
    }

    /** Damerau–Levenshtein distance (optimal string alignment): a swap of neighbours counts once. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
