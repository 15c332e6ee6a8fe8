/**
 * Tests in a real browser: Debian's headless Chromium, driven by Selenium through Debian's
 * chromedriver, against in-process Herald servers. They check {@code herald.js} (delivery on each
 * transport, the ladder, resume and gaps), the protocol demo page {@code /} and the demo
 * applications under {@code /demos/}, and save screenshots of each page at desktop and phone width
 * to {@code target/screenshots/}. The test page {@code /test/harness.html} comes from this module's
 * test resources (the server serves {@code static/} from its class path).
 */
package io.herald.browser;
