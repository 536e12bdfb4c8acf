package de.monticore.mlpipelines.pipeline;

import de.monticore.mlpipelines.tracking.tracker.RunStatus;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
