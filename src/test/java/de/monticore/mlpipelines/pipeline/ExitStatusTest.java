package de.monticore.mlpipelines.pipeline;

import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExitStatusTest {

    @Test
    void exitCodesMapToStatusesAsDocumented() {
        assertEquals(RunStatus.FINISHED, ExitStatus.statusOf(0));
        assertEquals(RunStatus.FAILED, ExitStatus.statusOf(1));
        assertEquals(RunStatus.FAILED, ExitStatus.statusOf(128));
        assertEquals(RunStatus.KILLED, ExitStatus.statusOf(130));
        assertEquals(RunStatus.KILLED, ExitStatus.statusOf(143));
        assertEquals(RunStatus.KILLED, ExitStatus.statusOf(129));
        assertEquals(RunStatus.FAILED, ExitStatus.statusOf(137));
        assertEquals(RunStatus.FAILED, ExitStatus.statusOf(139));
        assertEquals("killed by signal 11 (SIGSEGV)", ExitStatus.describe(139));
        assertEquals("killed by signal 9 (SIGKILL), as the kernel's out-of-memory killer does",
                ExitStatus.describe(137));
        assertEquals("exit code 255", ExitStatus.describe(255));
    }

    @Test
    void theReasonSaysWhyTheRunDidNotFinish() {
        assertEquals(new ExitStatus(RunStatus.FINISHED, null), ExitStatus.of(0, false));
        assertEquals(new ExitStatus(RunStatus.FAILED, "exit code 3"), ExitStatus.of(3, false));
        assertEquals(new ExitStatus(RunStatus.KILLED, "launcher interrupted (Ctrl-C or SIGTERM); training stopped: "
                + "exit code 0"), ExitStatus.of(0, true));
        assertEquals(new ExitStatus(RunStatus.KILLED,
                "launcher interrupted (Ctrl-C or SIGTERM) before the training started"), ExitStatus.of(null, true));
    }

    @Test
    void aNonZeroExitQuotesTheLastMeaningfulStderrLine() {
        assertEquals(new ExitStatus(RunStatus.FAILED, "exit code 2: train.py: error: unrecognized arguments: --x"),
                ExitStatus.of(2, false, "usage: train.py [-h]\ntrain.py: error: unrecognized arguments: --x\n\n"));
        assertEquals(new ExitStatus(RunStatus.FAILED, "exit code 1"), ExitStatus.of(1, false, " \n\n"));
        assertEquals(new ExitStatus(RunStatus.FINISHED, null), ExitStatus.of(0, false, "a warning\n"));
        assertEquals(new ExitStatus(RunStatus.FAILED, "killed by signal 9 (SIGKILL), as the kernel's out-of-memory "
                + "killer does"), ExitStatus.of(137, false, "half a line"), "a signal says it all");
        assertEquals(new ExitStatus(RunStatus.KILLED, "launcher interrupted (Ctrl-C or SIGTERM); training stopped: "
                + "exit code 1"), ExitStatus.of(1, true, "KeyboardInterrupt\n"));
    }

    @Test
    void theMeaningfulLineOfATracebackIsItsExceptionLine() {
        String chained = """
                Traceback (most recent call last):
                  File "train.py", line 3, in load
                    raise KeyError("rows")
                KeyError: 'rows'

                The above exception was the direct cause of the following exception:

                Traceback (most recent call last):
                  File "train.py", line 9, in <module>
                    load()
                    ^^^^^^
                ValueError: bad shape
                with a second line
                [tracking] MLFLOW: closed, 0 spooled
                """;
        assertEquals("ValueError: bad shape", ExitStatus.lastMeaningfulLine(chained));
        assertEquals("OSError: disk full", ExitStatus.lastMeaningfulLine("warning\n  File \"x.py\", line 1\n"
                + "OSError: disk full\n"), "a tail that lost the traceback header");
        assertEquals("File \"x.py\", line 1", ExitStatus.lastMeaningfulLine("    File \"x.py\", line 1\n"));
        assertEquals(null, ExitStatus.lastMeaningfulLine(""));
        String quoted = ExitStatus.lastMeaningfulLine("E: " + "🔢".repeat(1000));
        assertEquals(ExitStatus.MAX_QUOTED_LINE, quoted.codePointCount(0, quoted.length()));
        assertTrue(quoted.endsWith("🔢…"), quoted);
    }
}
