package io.herald.server;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.herald.server.auth.NamespacePolicy;
import io.herald.server.auth.NamespacePolicy.PublishAccess;
import io.herald.server.auth.NamespacePolicy.SubscribeAccess;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The YAML configuration file of {@code herald serve} ({@code --config FILE} or {@code
 * HERALD_CONFIG}), read with Jackson's YAML parser keeping the line of every key, so that each
 * error names the file, the line and the key.
 *
 * <p>Its keys are the settings' names as the options spell them, without the leading dashes
 * (kebab-case: {@code port: 9000}, {@code history-size: 100}), plus {@code namespaces}: a mapping
 * from namespace name to {@code {subscribe: public|token, publish: public|token|api, history-size:
 * N, history-age-seconds: N}} (PROTOCOL.md section 10). A list setting takes a YAML list or one
 * text with commas. No other key is accepted.
 *
 * <p>Immutable and thread-safe once loaded.
 */
final class ConfigFile {
  /** No file: no entries. */
  static final ConfigFile EMPTY = new ConfigFile(null, Map.of());

  /** The keys a namespace accepts. */
  static final List<String> NAMESPACE_KEYS =
      List.of("subscribe", "publish", "history-size", "history-age-seconds", "poll-cache-seconds");

  /** A namespace's {@code poll-cache-seconds} (PROTOCOL.md section 12): parsed and checked here. */
  private static final Setting<Integer> POLL_CACHE_SECONDS =
      Setting.integer(
          "poll-cache-seconds",
          1,
          NamespacePolicy.MAX_POLL_CACHE_SECONDS,
          "seconds",
          "how long shared caches may keep a public namespace's short-poll answers",
          c -> 0,
          (b, v) -> {});

  /**
   * One key of the file.
   *
   * @param key the key
   * @param line the 1-based line of the key
   * @param value a {@code String} (a scalar; "" for an empty value), a {@code List<String>} (a list
   *     of scalars) or a {@code Map<String, Entry>} (a mapping)
   */
  record Entry(String key, int line, Object value) {}

  private final Path path;
  private final Map<String, Entry> entries;

  private ConfigFile(Path path, Map<String, Entry> entries) {
    this.path = path;
    this.entries = entries;
  }

  /**
   * Reads and parses {@code path}. Does not check the keys; {@link Settings#resolve} does.
   *
   * @throws IllegalArgumentException naming the file when it cannot be read, and its line when it
   *     is not YAML or not a mapping
   */
  static ConfigFile load(Path path) {
    YAMLFactory factory = new YAMLFactory();
    try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8);
        JsonParser p = factory.createParser(reader)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        return new ConfigFile(path, Map.of()); // an empty file sets nothing
      }
      if (t != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException(
            path
                + " line "
                + line(p)
                + ": the file must be a mapping of settings (key: value), got "
                + kind(t));
      }
      return new ConfigFile(path, readObject(p, path));
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("cannot read the config file " + path + ": no such file");
    } catch (JsonProcessingException e) {
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      throw new IllegalArgumentException(
          path + " line " + line + ": not valid YAML: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read the config file " + path + ": " + e.getMessage(), e);
    }
  }

  private static Map<String, Entry> readObject(JsonParser p, Path path) throws IOException {
    Map<String, Entry> map = new LinkedHashMap<>();
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      int line = line(p);
      Entry first = map.get(key);
      if (first != null) {
        throw new IllegalArgumentException(
            path
                + " line "
                + line
                + ": "
                + key
                + " is given twice (first on line "
                + first.line()
                + ")");
      }
      p.nextToken();
      map.put(key, new Entry(key, line, readValue(p, path)));
    }
    if (t != JsonToken.END_OBJECT) {
      throw new IllegalArgumentException(path + " line " + line(p) + ": unexpected " + kind(t));
    }
    return map;
  }

  private static Object readValue(JsonParser p, Path path) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.START_OBJECT) {
      return readObject(p, path);
    }
    if (t == JsonToken.START_ARRAY) {
      List<String> list = new ArrayList<>();
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t == null || !t.isScalarValue()) {
          throw new IllegalArgumentException(
              path + " line " + line(p) + ": a list holds plain values, got " + kind(t));
        }
        list.add(t == JsonToken.VALUE_NULL ? "" : p.getText());
      }
      return List.copyOf(list);
    }
    return t == JsonToken.VALUE_NULL ? "" : p.getText();
  }

  private static int line(JsonParser p) {
    return p.currentTokenLocation().getLineNr();
  }

  private static String kind(JsonToken t) {
    if (t == null) {
      return "the end of the file";
    }
    return switch (t) {
      case START_ARRAY -> "a list";
      case START_OBJECT -> "a mapping";
      default -> "a plain value";
    };
  }

  /** The entry of a top-level key, or null. */
  Entry entry(String key) {
    return entries.get(key);
  }

  /** {@code FILE line N}. */
  String where(Entry e) {
    return path + " line " + e.line();
  }

  /** One error per top-level key that is neither a setting nor {@code extra}, with a hint. */
  List<String> unknownKeys(Collection<String> settings, String extra) {
    List<String> errors = new ArrayList<>();
    for (Entry e : entries.values()) {
      if (!settings.contains(e.key()) && !e.key().equals(extra)) {
        List<String> all = new ArrayList<>(settings);
        all.add(extra);
        errors.add(where(e) + ": unknown key '" + e.key() + "'" + hint(e.key(), all));
      }
    }
    return errors;
  }

  /**
   * The namespaces of the {@code namespaces} entry, each key checked.
   *
   * @throws IllegalArgumentException listing every wrong key and value with its line
   */
  List<NamespacePolicy> namespaces(
      Entry entry, Setting<Integer> historySize, Setting<Long> historyAgeSeconds) {
    if (!(entry.value() instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException(
          where(entry)
              + ": namespaces: must be a mapping from namespace name to"
              + " {subscribe, publish, history-size, history-age-seconds}");
    }
    List<String> errors = new ArrayList<>();
    List<NamespacePolicy> policies = new ArrayList<>();
    for (Object o : map.values()) {
      Entry ns = (Entry) o;
      String at = where(ns) + ": namespaces." + ns.key();
      if (!validNamespace(ns.key())) {
        errors.add(
            at
                + ": not a namespace name: 1 to 200 of a-z A-Z 0-9 _ - . @ = (no ':'), or '"
                + NamespacePolicy.DEFAULT_NAMESPACE
                + "'");
        continue;
      }
      Map<?, ?> fields;
      if (ns.value() instanceof Map<?, ?> m) {
        fields = m;
      } else if ("".equals(ns.value())) {
        fields = Map.of();
      } else {
        errors.add(
            at
                + ": must be a mapping {subscribe, publish, history-size, history-age-seconds},"
                + " got a "
                + (ns.value() instanceof List<?> ? "list" : "plain value"));
        continue;
      }
      SubscribeAccess subscribe = SubscribeAccess.TOKEN;
      PublishAccess publish = PublishAccess.TOKEN;
      Optional<Integer> size = Optional.empty();
      Optional<Duration> age = Optional.empty();
      Optional<Integer> pollCache = Optional.empty();
      for (Object f : fields.values()) {
        Entry field = (Entry) f;
        String fat = where(field) + ": namespaces." + ns.key() + "." + field.key();
        try {
          switch (field.key()) {
            case "subscribe" -> subscribe = word(field, SubscribeAccess.values());
            case "publish" -> publish = word(field, PublishAccess.values());
            case "history-size" -> size = Optional.of(scalar(field, historySize));
            case "history-age-seconds" ->
                age = Optional.of(Duration.ofSeconds(scalar(field, historyAgeSeconds)));
            case "poll-cache-seconds" -> pollCache = Optional.of(scalar(field, POLL_CACHE_SECONDS));
            default ->
                throw new IllegalArgumentException(
                    "unknown key '"
                        + field.key()
                        + "'"
                        + hint(field.key(), NAMESPACE_KEYS)
                        + "; a namespace takes "
                        + String.join(", ", NAMESPACE_KEYS));
          }
        } catch (IllegalArgumentException e) {
          errors.add(fat + ": " + e.getMessage());
        }
      }
      if (pollCache.isPresent() && subscribe != SubscribeAccess.PUBLIC) {
        errors.add(
            at
                + ".poll-cache-seconds: shared caches may keep only what anyone may read; set"
                + " 'subscribe: public' in this namespace, or remove poll-cache-seconds");
        continue;
      }
      policies.add(new NamespacePolicy(ns.key(), subscribe, publish, size, age, pollCache));
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("\n", errors));
    }
    return policies;
  }

  private static <T> T scalar(Entry field, Setting<T> setting) {
    if (field.value() instanceof Map<?, ?>) {
      throw new IllegalArgumentException("must be " + setting.allowedText() + ", got a mapping");
    }
    return setting.parse(field.value());
  }

  private static <E extends Enum<E>> E word(Entry field, E[] values) {
    List<String> words = Arrays.stream(values).map(ConfigFile::word).toList();
    if (!(field.value() instanceof String s)) {
      throw new IllegalArgumentException(
          "must be one of " + String.join(", ", words) + ", got a list or mapping");
    }
    for (E v : values) {
      if (word(v).equals(s.strip())) {
        return v;
      }
    }
    throw new IllegalArgumentException(
        "'" + s + "' is not a policy: must be one of " + String.join(", ", words));
  }

  /** A policy word as the file spells it: {@code public}, {@code token}, {@code api}. */
  static String word(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  private static boolean validNamespace(String name) {
    if (name.isEmpty() || name.length() > 200) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || c == '-'
              || c == '.'
              || c == '@'
              || c == '=';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** {@code (did you mean 'history-size'?)} when a known key differs only in case or dashes. */
  private static String hint(String key, Collection<String> known) {
    String k = squash(key);
    for (String name : known) {
      if (squash(name).equals(k)) {
        return " (did you mean '" + name + "'? keys are spelled like the options, in kebab-case)";
      }
    }
    return "";
  }

  private static String squash(String s) {
    return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
  }
}
