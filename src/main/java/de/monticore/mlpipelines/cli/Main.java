package de.monticore.mlpipelines.cli;

import de.monticore.mlpipelines.generator.GenerationException;
import de.monticore.mlpipelines.tracking.TrackingException;
import de.monticore.mlpipelines.tracking.config.Suggestions;
import de.monticore.mlpipelines.tracking.config.TrackingConfigException;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code mlpipelines} command line: what the installed launcher, {@code gradle run} and the
 * Python console script (in-process, through JPype) call. Exit codes: 0 done, 1 training failed,
 * 2 bad usage or bad input, 130 interrupted.
 */
public final class Main {
    private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("run", new RunCommand());
        COMMANDS.put("generate", new GenerateCommand());
        COMMANDS.put("check-config", new CheckConfigCommand());
        COMMANDS.put("backends", new BackendsCommand());
        COMMANDS.put("replay", new ReplayCommand());
        COMMANDS.put("sweep", new SweepCommand());
        COMMANDS.put("ui", new UiCommand());
        COMMANDS.put("report", new ReportCommand());
    }

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a command line and returns its exit code; never calls {@code System.exit}. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            printUsage(args.length == 0 ? err : out);
            return args.length == 0 ? Command.BAD_INPUT : Command.OK;
        }
        Command command = COMMANDS.get(args[0]);
        if (command == null) {
            err.println("mlpipelines: unknown command '" + args[0] + "'; expected one of "
                    + String.join(", ", COMMANDS.keySet()) + Suggestions.didYouMean(args[0], COMMANDS.keySet()));
            return Command.BAD_INPUT;
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        // Every command, including one added later, answers --help alike, before it looks at anything else.
        if (rest.contains("--help") || rest.contains("-h")) {
            out.println("usage: mlpipelines " + command.usage());
            return Command.OK;
        }
        try {
            return command.run(rest, out, err);
        } catch (UsageException e) {
            err.println("mlpipelines " + args[0] + ": " + e.getMessage());
            err.println("usage: mlpipelines " + command.usage());
            return Command.BAD_INPUT;
        } catch (TrackingConfigException | GenerationException e) {
            err.println("mlpipelines: " + e.getMessage());
            return Command.BAD_INPUT;
        } catch (TrackingException e) {
            err.println("mlpipelines: " + e.getMessage());
            return Command.TRAINING_FAILED;
        }
    }

    /** The commands, by name, in the order of the usage text. */
    public static Map<String, Command> commands() {
        return java.util.Collections.unmodifiableMap(COMMANDS);
    }

    private static void printUsage(PrintStream stream) {
        stream.println("usage:");
        for (Command command : COMMANDS.values()) {
            stream.println("  mlpipelines " + command.usage());
        }
    }
}
