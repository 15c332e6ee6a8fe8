/**
 * The {@code herald publish} and {@code herald subscribe} commands (picocli), built on {@link
 * io.herald.client.HeraldClient}. The server jar registers them as subcommands of its {@code
 * herald} main command; each is a {@link java.util.concurrent.Callable} returning the exit code.
 */
package io.herald.client.cli;
