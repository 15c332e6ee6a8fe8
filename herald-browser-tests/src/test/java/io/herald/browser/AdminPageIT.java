package io.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;

/**
 * The admin page in Chromium, as an operator uses it: a wrong password is refused, the right one
 * signs in; the counters move with real traffic (an SSE subscriber and HTTP publications); the
 * busiest channels list the channel, a click on it opens the inspector at its head; and a message
 * published from the box reaches the channel (read back over the wire) and shows in the inspector.
 */
@Timeout(180)
@ExtendWith(LeakDetection.class)
class AdminPageIT {
  private static final String PASSWORD = "admin-page-it-password";
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static HeraldServer server;
  private static Browser browser;
  private static String base;

  @BeforeAll
  static void start() {
    server = Servers.start(Servers.config().adminPassword(PASSWORD));
    base = server.baseUrl();
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    Servers.closeAll(browser, server);
  }

  private static String text(String id) {
    return browser.driver.findElement(By.id(id)).getText();
  }

  private static long cell(String transport, String key) {
    String t =
        browser.jsString(
            "var c = document.querySelector('#transports tr[data-transport=\"' + arguments[0]"
                + " + '\"] td[data-k=\"' + arguments[1] + '\"]'); return c ? c.textContent : null;",
            transport,
            key);
    return t == null ? -1 : (long) Double.parseDouble(t.replace(",", ""));
  }

  @Test
  void operatorSignsInWatchesCountersInspectsAndPublishes() throws Exception {
    browser.open(base + "/admin");
    assertThat(browser.driver.findElement(By.id("dashboard")).isDisplayed()).isFalse();

    browser.driver.findElement(By.id("secret")).sendKeys("not the password");
    browser.driver.findElement(By.id("signin-button")).click();
    await().atMost(WAIT).until(() -> text("signin-error").contains("neither the admin password"));
    assertThat(browser.driver.findElement(By.id("dashboard")).isDisplayed()).isFalse();

    browser.driver.findElement(By.id("secret")).clear();
    browser.driver.findElement(By.id("secret")).sendKeys(PASSWORD);
    browser.driver.findElement(By.id("signin-button")).click();
    await().atMost(WAIT).until(() -> browser.driver.findElement(By.id("dashboard")).isDisplayed());
    await().atMost(WAIT).until(() -> text("node").endsWith(":" + server.port()));
    assertThat(browser.jsString("return sessionStorage.getItem('herald.admin.token')"))
        .startsWith("v1.");
    assertThat(browser.jsString("return document.cookie"))
        .as("no cookie holds the session")
        .isEmpty();

    // real traffic: one SSE subscriber, then publications over HTTP
    String ch = Http.channel("admin");
    long outBefore = cell("sse", "messagesOut");
    long inBefore = cell("http", "messagesIn");
    HttpRequest sse =
        HttpRequest.newBuilder(URI.create(base + "/channels/" + ch))
            .header("Accept", "text/event-stream")
            .GET()
            .build();
    CompletableFuture<HttpResponse<Stream<String>>> stream =
        Http.CLIENT.sendAsync(sse, HttpResponse.BodyHandlers.ofLines());
    try {
      await().atMost(WAIT).until(() -> cell("sse", "connections") >= 1);
      assertThat(cell("sse", "subscriptions")).isGreaterThanOrEqualTo(1);
      JsonNode last = null;
      for (int i = 1; i <= 12; i++) {
        last = Http.publishJson(base, ch, "{\"n\":" + i + "}");
      }
      await().atMost(WAIT).until(() -> cell("sse", "messagesOut") >= outBefore + 12);
      await().atMost(WAIT).until(() -> cell("http", "messagesIn") >= inBefore + 12);
      await().atMost(WAIT).until(() -> cell("sse", "outPerSecond") > 0);
      browser.screenshot("admin-counters");

      // the busiest channels list it; a click inspects it
      By busyRow = By.cssSelector("#busy tr[data-channel='" + ch + "'] a");
      await().atMost(WAIT).until(() -> !browser.driver.findElements(busyRow).isEmpty());
      browser.driver.findElement(busyRow).click();
      String epoch = last.get("epoch").asText();
      await().atMost(WAIT).until(() -> text("inspect-head").equals(epoch + ":12"));
      assertThat(text("inspect-size")).isEqualTo("12");
      assertThat(text("inspect-subs")).isEqualTo("1");
      assertThat(Long.parseLong(text("inspect-bytes").replace(",", ""))).isGreaterThan(12 * 96L);
      assertThat(
              browser.jsString("return document.querySelector('#inspect-recent li').textContent"))
          .contains("#12")
          .contains("{\"n\":12}");

      // the publish box
      browser.driver.findElement(By.id("publish-channel")).sendKeys(ch);
      browser.driver.findElement(By.id("publish-event")).sendKeys("note");
      browser.driver.findElement(By.id("publish-json")).sendKeys("{\"from\":\"admin page\"}");
      browser.driver.findElement(By.id("publish-button")).click();
      await()
          .atMost(WAIT)
          .until(() -> text("publish-result").equals("published at " + epoch + ":13"));
      await().atMost(WAIT).until(() -> text("inspect-head").equals(epoch + ":13"));
      assertThat(
              browser.jsString("return document.querySelector('#inspect-recent li').textContent"))
          .contains("note")
          .contains("{\"from\":\"admin page\"}");
      JsonNode polled = Http.poll(base, ch, epoch + ":12");
      assertThat(polled.get("messages")).hasSize(1);
      assertThat(polled.get("messages").get(0).get("event").asText()).isEqualTo("note");
      assertThat(polled.get("messages").get(0).get("data").toString())
          .isEqualTo("{\"from\":\"admin page\"}");

      // a bad JSON value is refused with the server's reason
      browser.driver.findElement(By.id("publish-json")).clear();
      browser.driver.findElement(By.id("publish-json")).sendKeys("{oops");
      browser.driver.findElement(By.id("publish-button")).click();
      await().atMost(WAIT).until(() -> text("publish-result").contains("not valid JSON"));
      browser.screenshot("admin-inspector");

      // nodes: this one, on the memory broker
      await()
          .atMost(WAIT)
          .until(
              () ->
                  browser.jsLong("return document.querySelectorAll('#nodes tbody tr').length")
                      == 1);
      assertThat(text("nodes")).contains("(this node)");

      browser.driver.findElement(By.id("signout")).click();
      await().atMost(WAIT).until(() -> browser.driver.findElement(By.id("signin")).isDisplayed());
      assertThat(browser.jsString("return sessionStorage.getItem('herald.admin.token')")).isNull();
    } finally {
      stream.thenAccept(r -> r.body().close());
      stream.cancel(true);
    }
  }
}
