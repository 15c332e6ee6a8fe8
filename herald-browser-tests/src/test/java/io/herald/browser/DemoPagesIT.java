package io.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * The demo page and the demo applications work in a real browser, each on its own rung, and look
 * finished: each test drives the page as a user would, checks what it shows, and saves a screenshot
 * at desktop and at phone width to {@code target/screenshots/}.
 */
@Timeout(180)
@ExtendWith(LeakDetection.class)
class DemoPagesIT {
  private static HeraldServer server;
  private static Browser browser;
  private static String base;

  @BeforeAll
  static void start() {
    server = Servers.start(Servers.config().demoFeed(true));
    base = server.baseUrl();
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    Servers.closeAll(browser, server);
  }

  private static void shots(String name) {
    shots(name, true);
  }

  private static void shots(String name, boolean settle) {
    // let finite animations (a new item sliding in) finish: a screenshot shows the page at rest
    // (the ticker never rests: a tick flashes its tile a few times a second)
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                !settle
                    || browser.jsLong(
                            "return document.getAnimations().filter(a => a.effect.getTiming().iterations !== Infinity).length")
                        == 0);
    browser.desktop();
    browser.screenshot(name + "-desktop");
    browser.phone();
    browser.screenshot(name + "-phone");
    browser.desktop();
  }

  private static void awaitTransport(String transport) {
    await().atMost(Duration.ofSeconds(15)).until(() -> browser.connbarShows(transport));
  }

  private static WebElement css(String selector) {
    return browser.driver.findElement(By.cssSelector(selector));
  }

  private static long count(String selector) {
    return browser.jsLong("return document.querySelectorAll(arguments[0]).length", selector);
  }

  @Test
  void demoPageShowsAPublishedMessageOnAllFourTransports() {
    String channel = Http.channel("index");
    browser.open(base + "/?channel=" + channel);
    await().atMost(Duration.ofSeconds(15)).until(() -> count(".lane[data-state=connected]") == 4);
    // the polls need one answer to hold a cursor before a message published now reaches them
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                !browser
                    .jsString(
                        "return document.querySelector('.lane[data-transport=short-poll] .s-cursor').textContent")
                    .equals("from now"));
    Http.publish(base, channel, "hello from curl");
    css("#message").sendKeys("hello from the page", Keys.ENTER);
    await().atMost(Duration.ofSeconds(15)).until(() -> count(".lane .msgs li[data-offset]") == 8);
    for (String t : new String[] {"websocket", "sse", "long-poll", "short-poll"}) {
      assertThat(
              browser.jsList(
                  "return [...document.querySelectorAll('.lane[data-transport=\"' + arguments[0] + '\"] .msgs li[data-offset] .data')].map(e => e.textContent)",
                  t))
          .as(t)
          .containsExactly("hello from the page", "hello from curl");
      assertThat(
              browser.jsLong(
                  "return Number(document.querySelector('.lane[data-transport=\"' + arguments[0] + '\"] .s-reqs').textContent)",
                  t))
          .as("requests of " + t)
          .isPositive();
    }
    shots("index");
  }

  @Test
  void demoListLinksEveryApplication() {
    browser.open(base + "/demos/");
    assertThat(count(".apps a.card")).isEqualTo(7);
    shots("demos-index");
  }

  @Test
  void chatShowsRecentHistoryAndSendsOverWebSocket() {
    for (int i = 1; i <= 3; i++) {
      Http.publishJson(
          base, "demo:chat:lobby", "{\"name\":\"Ada\",\"text\":\"Earlier message " + i + "\"}");
    }
    Http.publishJson(
        base,
        "demo:chat:lobby",
        "{\"name\":\"Grace\",\"text\":\"Has anyone tried the long-poll demo behind the office proxy?\"}");
    browser.open(base + "/demos/chat.html");
    awaitTransport("websocket");
    await().atMost(Duration.ofSeconds(10)).until(() -> count("#log .msg") == 4);
    browser.js(
        "document.getElementById('name').value = 'Tester'; document.getElementById('name').dispatchEvent(new Event('change'))");
    css("#text").sendKeys("Hello, room! Sent over WebSocket.", Keys.ENTER);
    await().atMost(Duration.ofSeconds(10)).until(() -> count("#log .msg.mine") == 1);
    assertThat(
            browser.jsList(
                "return [...document.querySelectorAll('#people li span:nth-child(2)')].map(e => e.textContent)"))
        .containsExactly("Tester", "Grace", "Ada");
    shots("chat");
    // the selector forces another rung: the same room over short polling
    new org.openqa.selenium.support.ui.Select(css("#connbar select")).selectByValue("short-poll");
    awaitTransport("short-poll");
    assertThat(browser.driver.getCurrentUrl()).endsWith("?transport=short-poll");
    css("#text").sendKeys("And now over short polling.", Keys.ENTER);
    await().atMost(Duration.ofSeconds(10)).until(() -> count("#log .msg.mine") == 2);
    assertThat(count("#log .msg")).isEqualTo(6);
  }

  @Test
  void tickerShowsLivePricesOverSse() {
    browser.open(base + "/demos/ticker.html");
    awaitTransport("sse");
    await().atMost(Duration.ofSeconds(20)).until(() -> count("#tiles .tile") == 6);
    // history fills the sparklines at once; then live ticks arrive, a few per second
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                Boolean.TRUE.equals(
                    browser.js("return Number(document.getElementById('rate').textContent) > 0")));
    assertThat(browser.jsString("return document.getElementById('delay').textContent"))
        .endsWith(" ms");
    shots("ticker", false);
  }

  @Test
  void notificationsArriveOverLongPolling() {
    Http.publishJson(
        base,
        "demo:notifications",
        "{\"kind\":\"success\",\"title\":\"Deploy finished\",\"body\":\"herald 0.1.0 is live on all nodes.\"}");
    Http.publishJson(
        base,
        "demo:notifications",
        "{\"kind\":\"mention\",\"title\":\"Grace mentioned you\",\"body\":\"Can you review the SSE heartbeat change?\"}");
    browser.open(base + "/demos/notifications.html");
    awaitTransport("long-poll");
    await().atMost(Duration.ofSeconds(10)).until(() -> count("#items li[data-offset]") == 2);
    css("#compose button[type=submit]").click();
    await().atMost(Duration.ofSeconds(10)).until(() -> count("#items li[data-offset]") == 3);
    Http.publishJson(
        base,
        "demo:notifications",
        "{\"kind\":\"warning\",\"title\":\"Disk almost full\",\"body\":\"node-2 has 4% free on /var.\"}");
    await().atMost(Duration.ofSeconds(10)).until(() -> count("#items li[data-offset]") == 4);
    assertThat(browser.jsString("return document.getElementById('badge').textContent"))
        .isEqualTo("2");
    shots("notifications");
  }

  @Test
  void todoListSyncsOverShortPollingAndRebuildsFromHistory() {
    browser.open(base + "/demos/todo.html?list=screens");
    awaitTransport("short-poll");
    for (String task :
        new String[] {
          "Write the release notes", "Review the Redis broker", "Run the lab on 4 nodes"
        }) {
      css("#task").sendKeys(task, Keys.ENTER);
    }
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> count("#tasks li[data-id]:not(.pending)") == 3);
    css("#tasks li[data-id] input[type=checkbox]").click();
    await().atMost(Duration.ofSeconds(15)).until(() -> count("#tasks li.done:not(.pending)") == 1);
    // a new window rebuilds the same list from the channel's history
    browser.open(base + "/demos/todo.html?list=screens");
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> count("#tasks li[data-id]") == 3 && count("#tasks li.done") == 1);
    assertThat(browser.jsString("return document.getElementById('left').textContent"))
        .isEqualTo("2 tasks left");
    shots("todo");
  }

  @Test
  void answerStreamsTokenByTokenOverSse() {
    browser.open(base + "/demos/answer.html");
    awaitTransport("sse");
    css("#chips button").click();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                browser.jsLong("return document.querySelector('.a .text').textContent.length") > 0);
    long early = browser.jsLong("return document.querySelector('.a .text').textContent.length");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                "true"
                    .equals(
                        browser.jsString(
                            "return document.querySelector('.a').dataset.done || ''")));
    String answer = browser.jsString("return document.querySelector('.a .text').textContent");
    assertThat(answer)
        .startsWith("WebSocket gives one full-duplex connection")
        .hasSizeGreaterThan((int) early);
    shots("answer");
  }
}
