/** Herald server. */
package io.herald.server;
