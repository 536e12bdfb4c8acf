package de.monticore.mlpipelines.sweep;

import de.monticore.mlpipelines.tracking.format.PythonFloat;

import java.util.ArrayList;
import java.util.List;

/**
 * The table of a sweep's trials: as CSV (the results artifact of the parent run and the sweep's
 * directory) and as aligned text lines for the summary, with the best trial marked.
 */
final class ResultsTable {
    private ResultsTable() {
    }

    /** The header: trial, the swept key paths, the objective's metric, status, best, run, script. */
    private static List<String> header(List<String> keyPaths, String metric) {
        List<String> header = new ArrayList<>(List.of("trial"));
        header.addAll(keyPaths);
        header.addAll(List.of(metric, "status", "best", "run", "failure_reason"));
        return header;
    }

    private static List<String> row(TrialResult trial, List<String> keyPaths, Integer best) {
        List<String> row = new ArrayList<>(List.of(String.valueOf(trial.number())));
        keyPaths.forEach(keyPath -> row.add(trial.values().getOrDefault(keyPath, "")));
        row.add(objectiveText(trial.objective()));
        row.add(trial.status());
        row.add(best != null && best == trial.number() ? "*" : "");
        row.add(trial.runName() == null ? "" : trial.runName());
        row.add(trial.failureReason() == null ? "" : trial.failureReason());
        return row;
    }

    /** The objective as Python would print it; empty when none was logged. */
    static String objectiveText(Double objective) {
        return objective == null ? "" : PythonFloat.repr(objective);
    }

    /** RFC 4180 CSV: a header line, one line per trial. */
    static String csv(List<TrialResult> trials, List<String> keyPaths, String metric, Integer best) {
        StringBuilder text = new StringBuilder();
        text.append(csvLine(header(keyPaths, metric)));
        trials.forEach(trial -> text.append(csvLine(row(trial, keyPaths, best))));
        return text.toString();
    }

    private static String csvLine(List<String> cells) {
        List<String> quoted = new ArrayList<>();
        for (String cell : cells) {
            quoted.add(cell.matches("[^\",\r\n]*") ? cell : "\"" + cell.replace("\"", "\"\"") + "\"");
        }
        return String.join(",", quoted) + "\n";
    }

    /** Aligned columns (no failure reason, which the status lines carry), the best row marked {@code *}. */
    static List<String> text(List<TrialResult> trials, List<String> keyPaths, String metric, Integer best) {
        List<List<String>> rows = new ArrayList<>();
        List<String> header = new ArrayList<>(header(keyPaths, metric));
        header.remove(header.size() - 1);
        header.remove("best");
        rows.add(header);
        for (TrialResult trial : trials) {
            List<String> row = row(trial, keyPaths, best);
            row.remove(row.size() - 1);
            String mark = row.remove(keyPaths.size() + 3);
            row.set(0, (mark.isEmpty() ? " " : "*") + " " + row.get(0));
            rows.add(row);
        }
        rows.get(0).set(0, "  " + rows.get(0).get(0));
        int[] widths = new int[header.size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(i == row.size() - 1 ? row.get(i) : String.format("%-" + widths[i] + "s  ", row.get(i)));
            }
            lines.add(line.toString().stripTrailing());
        }
        return lines;
    }
}
