package io.herald.server.internal;

/**
 * {@code If-None-Match} (RFC 9110 section 13.1.2) for the answers that carry an {@code ETag}: poll
 * answers ({@link PollCaching}) and static files ({@link StaticFiles}). Thread-safe: stateless.
 */
final class EntityTags {
  private EntityTags() {}

  /**
   * Whether the {@code If-None-Match} field value {@code ifNoneMatch} matches one of {@code tags}
   * by the weak comparison (a {@code W/} prefix is ignored): {@code *}, or a listed entity tag
   * equal to one of them. Costs one pass over the field, whose size the header limit bounds.
   *
   * @param ifNoneMatch the field value, {@code null} when absent (never matches)
   * @param tags the current entity tags, with their quotes
   */
  static boolean noneMatchHits(String ifNoneMatch, String... tags) {
    if (ifNoneMatch == null) {
      return false;
    }
    for (String part : ifNoneMatch.split(",")) {
      String tag = part.strip();
      if (tag.equals("*")) {
        return true;
      }
      if (tag.startsWith("W/")) {
        tag = tag.substring(2);
      }
      for (String t : tags) {
        if (tag.equals(t)) {
          return true;
        }
      }
    }
    return false;
  }
}
