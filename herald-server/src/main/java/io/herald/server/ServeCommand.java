package io.herald.server;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code herald serve}: starts a server and runs until SIGTERM, then drains ({@link
 * HeraldServer#drain()}: not ready at once, closes spread over a window) and shuts down; on SIGINT
 * (Ctrl-C) it shuts down at once. Its options are {@link Settings#ALL}, added to the command by
 * {@link AddSettings}: each {@code --NAME} may also be given by its variable {@code HERALD_NAME} or
 * by the key {@code NAME} in the YAML file named by {@code --config} or {@code HERALD_CONFIG}; an
 * option wins over its variable, a variable over the file, the file over the default.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    modelTransformer = ServeCommand.AddSettings.class,
    description =
        "Start a Herald server. Every option can also be set by the environment variable in"
            + " brackets, or in the YAML file named by --config or HERALD_CONFIG, whose keys are"
            + " the option names without the dashes (port: 9000, history-size: 100) plus"
            + " namespaces. An option beats its variable, a variable beats the file, the file"
            + " beats the default.")
final class ServeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "YAML configuration file [HERALD_CONFIG] (settings and namespaces).")
  Path configFile;

  /** Adds one option per {@link Setting} of {@link Settings#ALL} to the command. */
  static final class AddSettings implements IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec command) {
      for (Setting<?> s : Settings.ALL) {
        command.addOption(option(s));
      }
      return command;
    }

    private static OptionSpec option(Setting<?> s) {
      OptionSpec.Builder b =
          OptionSpec.builder(s.option()).description(help(s)).paramLabel(label(s));
      switch (s.kind()) {
        case BOOLEAN -> b.type(String.class).arity("0..1").fallbackValue("true");
        case LIST -> b.type(List.class).auxiliaryTypes(String.class).arity("1");
        default -> b.type(String.class).arity("1");
      }
      return b.build();
    }

    private static String label(Setting<?> s) {
      return switch (s.kind()) {
        case INT, LONG ->
            s.unit().isEmpty() || s.unit().contains(" ")
                ? "N"
                : s.unit().toUpperCase(java.util.Locale.ROOT);
        case BOOLEAN -> "true|false";
        case LIST -> s.allowed().isEmpty() ? "WORD" : String.join("|", s.allowed());
        case TEXT -> "TEXT";
      };
    }

    /** The help line: the doc without Markdown, what is allowed, the variable, the default. */
    static String help(Setting<?> s) {
      String dflt = Settings.defaultText(s);
      String allowed =
          switch (s.kind()) {
            case INT, LONG ->
                " From "
                    + s.min()
                    + " to "
                    + s.max()
                    + (s.unit().isEmpty() ? "" : " " + s.unit())
                    + ".";
            default -> "";
          };
      return (s.doc().startsWith("`")
              ? s.doc().replace("`", "")
              : capitalized(s.doc().replace("`", "")))
          + "."
          + allowed
          + " ["
          + s.env()
          + "]"
          + (dflt.isEmpty() ? "" : " (default: " + dflt.replace("%", "%%") + ")");
    }

    private static String capitalized(String s) {
      return s.isEmpty() || !Character.isLowerCase(s.charAt(0))
          ? s
          : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
  }

  /** The options given on the command line, by setting name, as {@link Settings#resolve} takes. */
  static Map<String, Object> givenOptions(ParseResult parsed) {
    Map<String, Object> given = new LinkedHashMap<>();
    for (Setting<?> s : Settings.ALL) {
      if (parsed.hasMatchedOption(s.option())) {
        Object value = parsed.matchedOptionValue(s.option(), null);
        given.put(s.name(), value == null ? "" : value);
      }
    }
    return given;
  }

  /**
   * The configuration {@code args} and {@code env} give, exactly as {@code herald serve} binds it;
   * for tests.
   *
   * @throws IllegalArgumentException as {@link Settings#resolve} does
   * @throws CommandLine.ParameterException when an option is unknown or lacks its value
   */
  static ServerConfig configFrom(Map<String, String> env, String... args) {
    ServeCommand command = new ServeCommand();
    ParseResult parsed = new CommandLine(command).parseArgs(args);
    return Settings.resolve(givenOptions(parsed), env, command.configFile);
  }

  ServerConfig config(Map<String, String> env) {
    return Settings.resolve(givenOptions(spec.commandLine().getParseResult()), env, configFile);
  }

  @Override
  public Integer call() throws InterruptedException {
    ServerConfig config;
    try {
      config = config(System.getenv());
    } catch (IllegalArgumentException e) {
      // System.err, not the command line's writer: picocli swaps that writer back to the
      // System.err of its creation when System.err has changed since (tests capture System.err).
      System.err.println("herald serve: " + e.getMessage().replace("\n", "\nherald serve: "));
      return 2;
    }
    if (config.logFormat().equals("json")) {
      io.herald.server.internal.JsonLogEncoder.install();
    }
    HeraldServer server;
    try {
      server = HeraldServer.start(config);
    } catch (IllegalArgumentException e) { // protected mode: a non-loopback host, no credential
      System.err.println("herald serve: " + e.getMessage());
      return 2;
    }
    String base = server.baseUrl();
    System.out.println();
    System.out.println("  Herald is running. Open:");
    System.out.println("    demo page       " + base + "/");
    System.out.println("    demo apps       " + base + "/demos/");
    System.out.println("    health          " + base + "/health");
    System.out.println(
        "  Publish:   curl -X POST -H 'Content-Type: text/plain' --data 'hello' "
            + base
            + "/channels/demo");
    System.out.println(
        "  Subscribe: curl -N -H 'Accept: text/event-stream' " + base + "/channels/demo");
    System.out.println();
    CountDownLatch stopped = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean interrupted =
        new java.util.concurrent.atomic.AtomicBoolean();
    try {
      // Ctrl-C (SIGINT) is a developer at a terminal: stop at once, without the drain's wait.
      sun.misc.Signal.handle(
          new sun.misc.Signal("INT"),
          signal -> {
            interrupted.set(true);
            System.exit(130);
          });
    } catch (IllegalArgumentException e) {
      // SIGINT is ignored or not available here (a background job): it then drains like SIGTERM
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (!interrupted.get()) {
                    server.drain(); // SIGTERM: not ready, serve a while, close spread out
                  }
                  server.close();
                  stopped.countDown();
                },
                "herald-shutdown"));
    stopped.await();
    return 0;
  }
}
