package de.monticore.mlpipelines.tracking.tracker;

import java.util.Arrays;
import java.util.List;

/** Lifecycle state of a run, with the names MLflow uses; the only Java list of run states. */
public enum RunStatus {
    RUNNING, SCHEDULED, FINISHED, FAILED, KILLED;

    /** True for the states a run ends in. */
    public boolean isTerminal() {
        return this == FINISHED || this == FAILED || this == KILLED;
    }

    /**
     * The states a run ends in, for messages, in declaration order.
     *
     * <pre>{@code
     * RunStatus.terminalChoices()  // "FINISHED, FAILED or KILLED"
     * }</pre>
     */
    public static String terminalChoices() {
        List<String> names = Arrays.stream(values()).filter(RunStatus::isTerminal).map(Enum::name).toList();
        return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }
}
