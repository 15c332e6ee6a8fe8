/**
 * Credentials and authorization (PROTOCOL.md section 10): {@link
 * io.herald.server.auth.TokenVerifier} checks JWTs (RFC 7519, RFC 7515, RFC 7517 for JWKS) with
 * nimbus-jose-jwt, {@link io.herald.server.auth.Authorizer} turns credentials into a {@link
 * io.herald.server.auth.Principal} and decides under each {@link
 * io.herald.server.auth.NamespacePolicy}, {@link io.herald.server.auth.OriginPolicy} decides which
 * browser origins may connect, and {@link io.herald.server.auth.TokenMinter} mints development
 * tokens. Refusals follow RFC 6750 ({@code WWW-Authenticate: Bearer}).
 */
package io.herald.server.auth;
