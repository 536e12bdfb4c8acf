package de.monticore.mlpipelines.pipeline;

import de.monticore.mlpipelines.tracking.tracker.RunStatus;

import java.util.List;
import java.util.Map;

/**
 * How a training script's end maps to a run status and a reason. Exit 0 → FINISHED; any other exit
 * code → FAILED; killed by SIGINT, SIGTERM, SIGHUP or SIGQUIT (someone stopped it) → KILLED; killed
 * by SIGKILL → FAILED, because the usual sender is the kernel's out-of-memory killer; killed by
 * another signal (SIGSEGV, SIGABRT, …) → FAILED. A script stopped by the launcher is KILLED whatever
 * its exit code. A script that exits with a non-zero code gets the last meaningful line of its stderr
 * appended to the reason ({@code exit code 1: ValueError: bad shape}), so that the run says why
 * without opening its stderr artifact.
 *
 * @param status the status the run ends with
 * @param reason why the run did not finish ({@code failure_reason}); null when FINISHED
 */
record ExitStatus(RunStatus status, String reason) {
    private static final Map<Integer, String> SIGNAL_NAMES = Map.ofEntries(
            Map.entry(1, "SIGHUP"), Map.entry(2, "SIGINT"), Map.entry(3, "SIGQUIT"), Map.entry(4, "SIGILL"),
            Map.entry(6, "SIGABRT"), Map.entry(7, "SIGBUS"), Map.entry(8, "SIGFPE"), Map.entry(9, "SIGKILL"),
            Map.entry(11, "SIGSEGV"), Map.entry(13, "SIGPIPE"), Map.entry(14, "SIGALRM"), Map.entry(15, "SIGTERM"));

    /** The longest stderr line a reason quotes, in characters; a longer one is cut with "…". */
    static final int MAX_QUOTED_LINE = 500;
    private static final String TRACEBACK = "Traceback (most recent call last):";

    /** {@link #of(Integer, boolean, String)} without stderr to quote. */
    static ExitStatus of(Integer exitCode, boolean stopRequested) {
        return of(exitCode, stopRequested, "");
    }

    /**
     * The end of a script run.
     *
     * @param exitCode      the script's exit code; null when a stop came before it started
     * @param stopRequested whether the launcher stopped the script (Ctrl-C or SIGTERM of the launcher)
     * @param stderr        the tail of the script's stderr; its {@linkplain #lastMeaningfulLine last meaningful
     *                      line} is appended to the reason of a non-zero exit code
     */
    static ExitStatus of(Integer exitCode, boolean stopRequested, String stderr) {
        if (exitCode == null) {
            return new ExitStatus(RunStatus.KILLED,
                    "launcher interrupted (Ctrl-C or SIGTERM) before the training started");
        }
        if (stopRequested) {
            return new ExitStatus(RunStatus.KILLED,
                    "launcher interrupted (Ctrl-C or SIGTERM); training stopped: " + describe(exitCode));
        }
        RunStatus status = statusOf(exitCode);
        if (status == RunStatus.FINISHED) {
            return new ExitStatus(status, null);
        }
        String reason = describe(exitCode);
        String line = signalOf(exitCode) == 0 ? lastMeaningfulLine(stderr) : null;
        return new ExitStatus(status, line == null ? reason : reason + ": " + line);
    }

    /**
     * The line of a script's stderr that says why it failed: after a Python traceback, the exception
     * line ({@code ValueError: …}, the first unindented line after the last
     * {@value #TRACEBACK} header, so that output printed after the traceback does not hide it);
     * otherwise the last unindented non-blank line (argparse's {@code error: …}). Stripped, cut to
     * {@value #MAX_QUOTED_LINE} code points; null when stderr has no non-blank line.
     */
    static String lastMeaningfulLine(String stderr) {
        List<String> lines = stderr.lines().map(String::stripTrailing).filter(line -> !line.isBlank()).toList();
        String found = null;
        int traceback = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(TRACEBACK)) {
                traceback = i;
            }
        }
        if (traceback >= 0) {
            found = lines.subList(traceback + 1, lines.size()).stream().filter(line -> !isIndented(line))
                    .findFirst().orElse(null);
        }
        if (found == null) {
            for (int i = lines.size() - 1; i >= 0 && found == null; i--) {
                found = isIndented(lines.get(i)) ? null : lines.get(i);
            }
        }
        if (found == null && !lines.isEmpty()) {
            found = lines.get(lines.size() - 1);
        }
        if (found == null) {
            return null;
        }
        found = found.strip();
        if (found.codePointCount(0, found.length()) <= MAX_QUOTED_LINE) {
            return found;
        }
        return found.substring(0, found.offsetByCodePoints(0, MAX_QUOTED_LINE - 1)) + "…";
    }

    private static boolean isIndented(String line) {
        return line.startsWith(" ") || line.startsWith("\t");
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
