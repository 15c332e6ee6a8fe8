/**
 * Integration tests that run a real Herald server on port 0 and talk to it with the Java client
 * ({@code herald-client}) and its command-line commands, over all four transports.
 */
package io.herald.server.client;
