/**
 * Server-side feeds for the demo applications under {@code /demos/}: price ticks for the ticker and
 * an answer streamer for the "AI answer" page. Started by the server only when {@code demo-feed} is
 * on ({@link io.herald.server.ServerConfig#demoFeed()}); they publish through the hub like any
 * other publisher, so every transport delivers them.
 */
package io.herald.server.demo;
