/** Placeholder; see the module's README. */
package io.herald.redis;
