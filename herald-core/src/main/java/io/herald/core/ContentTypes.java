package io.herald.core;

import java.util.Locale;

/**
 * Which publications carry raw bytes (PROTOCOL.md section 11): a content type that is neither JSON
 * ({@code application/json}, {@code *+json}) nor text ({@code text/*}, and the form type {@code
 * curl -d} sends by default) makes a binary message; its content type travels with it. Thread-safe:
 * stateless.
 */
public final class ContentTypes {
  /** Longest content type kept with a binary message, in characters. */
  public static final int MAX_LENGTH = 200;

  /** The content type of a binary WebSocket publication that names none. */
  public static final String DEFAULT_BINARY = "application/octet-stream";

  private ContentTypes() {}

  /**
   * The media type of a {@code Content-Type} value without its parameters, lower case and trimmed
   * ({@code "Image/PNG; q=1"} gives {@code "image/png"}); {@code ""} for {@code null}.
   */
  public static String mediaType(String contentType) {
    if (contentType == null) {
      return "";
    }
    int semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.substring(0, semi))
        .trim()
        .toLowerCase(Locale.ROOT);
  }

  /** Whether the media type is JSON: {@code application/json} or a {@code +json} suffix. */
  public static boolean isJson(String mediaType) {
    return mediaType.equals("application/json") || mediaType.endsWith("+json");
  }

  /**
   * Whether the media type is text, taken as a UTF-8 string: none, {@code text/*}, or {@code
   * application/x-www-form-urlencoded} (what {@code curl -d} sends by default).
   */
  public static boolean isText(String mediaType) {
    return mediaType.isEmpty()
        || mediaType.startsWith("text/")
        || mediaType.equals("application/x-www-form-urlencoded");
  }

  /**
   * Checks the content type of a binary publication: 1 to {@value #MAX_LENGTH} printable ASCII
   * characters of the form {@code type/subtype} (parameters allowed), neither JSON nor text.
   *
   * @return the content type as given (trimmed)
   * @throws ProtocolException {@code unsupported_media_type} saying what is allowed
   */
  public static String requireBinary(String contentType) {
    String type = contentType == null ? "" : contentType.trim();
    if (type.isEmpty() || type.length() > MAX_LENGTH) {
      throw new ProtocolException(
          ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "a binary message needs a content type of 1 to "
              + MAX_LENGTH
              + " characters, such as application/octet-stream");
    }
    for (int i = 0; i < type.length(); i++) {
      char c = type.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        throw new ProtocolException(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            "content type '"
                + Names.printable(type)
                + "' has a character that is not printable ASCII at index "
                + i);
      }
    }
    String media = mediaType(type);
    int slash = media.indexOf('/');
    if (slash <= 0 || slash == media.length() - 1 || media.indexOf('/', slash + 1) >= 0) {
      throw new ProtocolException(
          ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "content type '"
              + Names.printable(type)
              + "' is not of the form type/subtype, such as application/octet-stream");
    }
    if (isJson(media) || isText(media)) {
      throw new ProtocolException(
          ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "content type '"
              + Names.printable(type)
              + "' is JSON or text; binary messages carry other types (such as"
              + " application/octet-stream); send JSON and text as the data of a text frame");
    }
    return type;
  }
}
