package io.herald.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * One setting of {@code herald serve}, declared once in {@link Settings}: its name, kind, range or
 * allowed values, unit, one-line doc, how it is read from a {@link ServerConfig} and how it is set
 * on a {@link ServerConfig.Builder}. Everything else derives from that declaration: the option
 * {@code --NAME}, the environment variable {@code HERALD_NAME} (upper case, dashes as underscores),
 * the YAML file key {@code NAME}, the {@code --help} line, the start-up settings line and the
 * README settings table (checked by a test). The default is the one the builder holds ({@link
 * ServerConfig#defaults()}), so it is written once, in {@link ServerConfig}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param <T> the value's type: {@link String}, {@link Integer}, {@link Long}, {@link Boolean} or a
 *     {@code List<String>}
 */
public final class Setting<T> {
  /** The kind of value a setting holds, which says how its text is parsed. */
  public enum Kind {
    /** Any text. */
    TEXT,
    /** A whole number within {@link Setting#min()} and {@link Setting#max()}. */
    INT,
    /** A whole number within {@link Setting#min()} and {@link Setting#max()}. */
    LONG,
    /** {@code true} or {@code false}; the option alone means {@code true}. */
    BOOLEAN,
    /**
     * Several words: a repeated option or commas on the command line, commas in a variable, a YAML
     * list or commas in the file.
     */
    LIST
  }

  private final String name;
  private final Kind kind;
  private final long min;
  private final long max;
  private final List<String> allowed;
  private final String unit;
  private final String doc;
  private final boolean secret;
  private final Function<ServerConfig, T> getter;
  private final BiConsumer<ServerConfig.Builder, T> setter;

  private Setting(
      String name,
      Kind kind,
      long min,
      long max,
      List<String> allowed,
      String unit,
      String doc,
      boolean secret,
      Function<ServerConfig, T> getter,
      BiConsumer<ServerConfig.Builder, T> setter) {
    if (!name.matches("[a-z][a-z0-9]*(-[a-z0-9]+)*")) {
      throw new IllegalArgumentException("a setting name is kebab-case, got '" + name + "'");
    }
    this.name = name;
    this.kind = kind;
    this.min = min;
    this.max = max;
    this.allowed = List.copyOf(allowed);
    this.unit = unit;
    this.doc = Objects.requireNonNull(doc, "doc");
    this.secret = secret;
    this.getter = Objects.requireNonNull(getter, "getter");
    this.setter = Objects.requireNonNull(setter, "setter");
  }

  /** Text, any value the builder accepts. */
  static Setting<String> text(
      String name,
      String doc,
      Function<ServerConfig, String> getter,
      BiConsumer<ServerConfig.Builder, String> setter) {
    return new Setting<>(name, Kind.TEXT, 0, 0, List.of(), "", doc, false, getter, setter);
  }

  /** Text that is a credential: never logged, shown as {@code ***}. */
  static Setting<String> secret(
      String name,
      String doc,
      Function<ServerConfig, String> getter,
      BiConsumer<ServerConfig.Builder, String> setter) {
    return new Setting<>(name, Kind.TEXT, 0, 0, List.of(), "", doc, true, getter, setter);
  }

  /** A whole number from {@code min} to {@code max}, in {@code unit} ("" when it has none). */
  static Setting<Integer> integer(
      String name,
      int min,
      int max,
      String unit,
      String doc,
      Function<ServerConfig, Integer> getter,
      BiConsumer<ServerConfig.Builder, Integer> setter) {
    return new Setting<>(name, Kind.INT, min, max, List.of(), unit, doc, false, getter, setter);
  }

  /** A whole number from {@code min} to {@code max}, in {@code unit} ("" when it has none). */
  static Setting<Long> longInteger(
      String name,
      long min,
      long max,
      String unit,
      String doc,
      Function<ServerConfig, Long> getter,
      BiConsumer<ServerConfig.Builder, Long> setter) {
    return new Setting<>(name, Kind.LONG, min, max, List.of(), unit, doc, false, getter, setter);
  }

  /** On or off. */
  static Setting<Boolean> flag(
      String name,
      String doc,
      Function<ServerConfig, Boolean> getter,
      BiConsumer<ServerConfig.Builder, Boolean> setter) {
    return new Setting<>(
        name, Kind.BOOLEAN, 0, 0, List.of("true", "false"), "", doc, false, getter, setter);
  }

  /** Several words, each one of {@code allowed} (any word when {@code allowed} is empty). */
  static Setting<List<String>> list(
      String name,
      List<String> allowed,
      String doc,
      Function<ServerConfig, List<String>> getter,
      BiConsumer<ServerConfig.Builder, List<String>> setter) {
    return new Setting<>(name, Kind.LIST, 0, 0, allowed, "", doc, false, getter, setter);
  }

  /** The same setting, but a credential: never logged, shown as {@code ***}. */
  Setting<T> asSecret() {
    return new Setting<>(name, kind, min, max, allowed, unit, doc, true, getter, setter);
  }

  /** The name, kebab-case: {@code history-size}. It is also the YAML file's key. */
  public String name() {
    return name;
  }

  /** The command-line option: {@code --history-size}. */
  public String option() {
    return "--" + name;
  }

  /** The environment variable: {@code HERALD_HISTORY_SIZE}. */
  public String env() {
    return "HERALD_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  /** The kind of value. */
  public Kind kind() {
    return kind;
  }

  /** Smallest value of a number (INT, LONG); 0 otherwise. */
  public long min() {
    return min;
  }

  /** Largest value of a number (INT, LONG); 0 otherwise. */
  public long max() {
    return max;
  }

  /** The words allowed (BOOLEAN, LIST); empty when any word is. */
  public List<String> allowed() {
    return allowed;
  }

  /** The unit of a number ({@code seconds}, {@code bytes}, ...), or "" when it has none. */
  public String unit() {
    return unit;
  }

  /** One line of Markdown: what the setting does and what happens at its limit. */
  public String doc() {
    return doc;
  }

  /** Whether the value is a credential, never logged. */
  public boolean secret() {
    return secret;
  }

  /** This setting's value in {@code config}. */
  public T get(ServerConfig config) {
    return getter.apply(config);
  }

  /** The default: the value in {@link ServerConfig#defaults()}. */
  public T defaultValue() {
    return get(ServerConfig.defaults());
  }

  /** The value as text: numbers in decimal, lists with commas, a secret as {@code ***} if set. */
  public String format(T value) {
    if (secret) {
      boolean set =
          value instanceof List<?> l ? !l.isEmpty() : value != null && !value.toString().isEmpty();
      return set ? "***" : "";
    }
    if (value instanceof List<?> l) {
      return String.join(",", l.stream().map(String::valueOf).toList());
    }
    return value == null ? "" : value.toString();
  }

  /** What values are allowed, for error messages and {@code --help}. */
  public String allowedText() {
    return switch (kind) {
      case TEXT -> "text";
      case INT, LONG ->
          "a whole number from " + min + " to " + max + (unit.isEmpty() ? "" : " (" + unit + ")");
      case BOOLEAN -> "true or false";
      case LIST ->
          allowed.isEmpty()
              ? "a list of words"
              : "a list of " + String.join(", ", allowed) + " (or none)";
    };
  }

  /**
   * Parses a raw value: a {@code String} (an option, a variable, a YAML scalar) or a {@code List}
   * of strings (a repeated option, a YAML list).
   *
   * @throws IllegalArgumentException saying what was wrong and what is allowed
   */
  @SuppressWarnings("unchecked")
  public T parse(Object raw) {
    if (raw instanceof List<?> l && kind != Kind.LIST) {
      if (l.size() != 1) {
        throw new IllegalArgumentException("must be one value, " + allowedText() + ", got a list");
      }
      raw = l.get(0);
    }
    switch (kind) {
      case TEXT:
        return (T) raw.toString();
      case INT:
      case LONG:
        {
          String s = raw.toString().strip();
          long v;
          try {
            v = Long.parseLong(s);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be " + allowedText() + ", got '" + s + "'");
          }
          if (v < min || v > max) {
            throw new IllegalArgumentException("must be " + allowedText() + ", got " + v);
          }
          return kind == Kind.INT ? (T) Integer.valueOf((int) v) : (T) Long.valueOf(v);
        }
      case BOOLEAN:
        {
          String s = raw.toString().strip().toLowerCase(Locale.ROOT);
          if (!s.equals("true") && !s.equals("false")) {
            throw new IllegalArgumentException("must be true or false, got '" + raw + "'");
          }
          return (T) Boolean.valueOf(s);
        }
      case LIST:
        {
          List<String> words = new ArrayList<>();
          List<?> parts = raw instanceof List<?> l ? l : List.of(raw);
          for (Object part : parts) {
            for (String w : part.toString().split(",")) {
              String word = w.strip();
              if (word.isEmpty()) {
                continue;
              }
              if (!allowed.isEmpty() && !allowed.contains(word)) {
                throw new IllegalArgumentException(
                    "'" + word + "' is not allowed: must be " + allowedText());
              }
              words.add(word);
            }
          }
          return (T) List.copyOf(words);
        }
      default:
        throw new AssertionError(kind);
    }
  }

  /**
   * Sets {@code value} on {@code builder}.
   *
   * @throws IllegalArgumentException from the builder, when the value is not allowed there
   */
  public void apply(ServerConfig.Builder builder, T value) {
    setter.accept(builder, value);
  }

  /** Parses {@code raw} and sets it on {@code builder}; see {@link #parse} and {@link #apply}. */
  void parseAndApply(ServerConfig.Builder builder, Object raw) {
    apply(builder, parse(raw));
  }

  @Override
  public String toString() {
    return option();
  }
}
