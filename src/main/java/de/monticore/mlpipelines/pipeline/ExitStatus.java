package de.monticore.mlpipelines.pipeline;

import de.monticore.mlpipelines.tracking.tracker.RunStatus;

import java.util.Map;

/**
 * How a training script's end maps to a run status and a reason. Exit 0 → FINISHED; any other exit
 * code → FAILED; killed by SIGINT, SIGTERM, SIGHUP or SIGQUIT (someone stopped it) → KILLED; killed
 * by SIGKILL → FAILED, because the usual sender is the kernel's out-of-memory killer; killed by
 * another signal (SIGSEGV, SIGABRT, …) → FAILED. A script stopped by the launcher is KILLED whatever
 * its exit code.
 *
 * @param status the status the run ends with
 * @param reason why the run did not finish ({@code failure_reason}); null when FINISHED
 */
record ExitStatus(RunStatus status, String reason) {
    private static final Map<Integer, String> SIGNAL_NAMES = Map.ofEntries(
            Map.entry(1, "SIGHUP"), Map.entry(2, "SIGINT"), Map.entry(3, "SIGQUIT"), Map.entry(4, "SIGILL"),
            Map.entry(6, "SIGABRT"), Map.entry(7, "SIGBUS"), Map.entry(8, "SIGFPE"), Map.entry(9, "SIGKILL"),
            Map.entry(11, "SIGSEGV"), Map.entry(13, "SIGPIPE"), Map.entry(14, "SIGALRM"), Map.entry(15, "SIGTERM"));

    /**
     * The end of a script run.
     *
     * @param exitCode      the script's exit code; null when a stop came before it started
     * @param stopRequested whether the launcher stopped the script (Ctrl-C or SIGTERM of the launcher)
     */
    static ExitStatus of(Integer exitCode, boolean stopRequested) {
        if (exitCode == null) {
            return new ExitStatus(RunStatus.KILLED,
                    "launcher interrupted (Ctrl-C or SIGTERM) before the training started");
        }
        if (stopRequested) {
            return new ExitStatus(RunStatus.KILLED,
                    "launcher interrupted (Ctrl-C or SIGTERM); training stopped: " + describe(exitCode));
        }
        RunStatus status = statusOf(exitCode);
        return new ExitStatus(status, status == RunStatus.FINISHED ? null : describe(exitCode));
    }

    /**
     * The run status an exit code implies (see the class comment); {@code 128 + n} is how the JDK
     * reports a process killed by signal n.
     */
    static RunStatus statusOf(int exitCode) {
        if (exitCode == 0) {
            return RunStatus.FINISHED;
        }
        int signal = signalOf(exitCode);
        return signal == 1 || signal == 2 || signal == 3 || signal == 15 ? RunStatus.KILLED : RunStatus.FAILED;
    }

    /** The words for an exit code: {@code exit code 3} or {@code killed by signal 9 (SIGKILL) …}. */
    static String describe(int exitCode) {
        int signal = signalOf(exitCode);
        if (signal == 0) {
            return "exit code " + exitCode;
        }
        String description = "killed by signal " + signal + " (" + SIGNAL_NAMES.getOrDefault(signal, "SIG?") + ")";
        return signal == 9 ? description + ", as the kernel's out-of-memory killer does" : description;
    }

    private static int signalOf(int exitCode) {
        return exitCode > 128 && exitCode <= 128 + 64 ? exitCode - 128 : 0;
    }
}
