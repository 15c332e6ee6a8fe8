package io.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.herald.server.HeraldServer;
import io.herald.server.LeakDetection;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.interactions.Actions;

/**
 * The binary demo, {@code /demos/draw.html}, on each transport forced with its selector ({@code
 * ?transport=}): a stroke drawn with the mouse in one window is sent as binary pieces and drawn in
 * a second window, byte for byte what the first sent; a window opened later redraws the board from
 * the channel's history; clearing the board in one window clears it in the other. Two windows of
 * one Chromium, each a page of its own.
 */
@Timeout(180)
@ExtendWith(LeakDetection.class)
class DrawDemoIT {
  private static HeraldServer server;
  private static Browser browser;
  private static String base;
  private static String drawer;

  @BeforeAll
  static void start() {
    server = Servers.start(Servers.config());
    base = server.baseUrl();
    browser = Browser.start();
    drawer = browser.driver.getWindowHandle();
  }

  @AfterAll
  static void stop() {
    Servers.closeAll(browser, server);
  }

  /** Closes the watching window: each test opens its own. */
  @AfterEach
  void closeWatcher() {
    for (String handle : browser.driver.getWindowHandles()) {
      if (!handle.equals(drawer)) {
        browser.driver.switchTo().window(handle).close();
      }
    }
    browser.driver.switchTo().window(drawer);
  }

  private static void awaitConnected(String transport, String channel) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                browser.connbarShows(transport)
                    && browser.js("return window.herald.position(arguments[0])", channel) != null);
  }

  /** Whether the board's canvas has ink: any pixel that is not transparent. */
  private static boolean hasInk() {
    return Boolean.TRUE.equals(
        browser.js(
            "const c = document.getElementById('canvas');"
                + "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                + "for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true; return false;"));
  }

  private static List<Object> sent() {
    return browser.jsList("return window.board.sent");
  }

  private static List<Object> received() {
    return browser.jsList("return window.board.received");
  }

  @ParameterizedTest
  @ValueSource(strings = {"websocket", "sse", "long-poll", "short-poll"})
  void aStrokeDrawnInOneWindowIsDrawnInAnotherByteForByte(String transport) {
    String board = "b" + Http.channel(transport).replace("bt-", "");
    String url = base + "/demos/draw.html?transport=" + transport + "&board=" + board;
    String channel = "demo:draw:" + board;
    browser.open(url);
    awaitConnected(transport, channel);
    browser.driver.switchTo().newWindow(WindowType.WINDOW);
    String watcher = browser.driver.getWindowHandle();
    browser.open(url);
    awaitConnected(transport, channel);
    assertThat(hasInk()).as("a new board is blank").isFalse();

    // draw a horizontal stroke through the centre of the board, in the first window
    browser.driver.switchTo().window(drawer);
    WebElement canvas = browser.driver.findElement(By.id("canvas"));
    Actions stroke = new Actions(browser.driver).moveToElement(canvas, -200, 0).clickAndHold();
    for (int i = 0; i < 16; i++) {
      stroke = stroke.moveByOffset(25, 0).pause(Duration.ofMillis(20));
    }
    stroke.release().perform();
    assertThat(hasInk()).as("the drawing window shows its stroke").isTrue();
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> !sent().isEmpty() && browser.jsLong("return window.board.waiting()") == 0);
    List<Object> pieces = sent();
    // each piece: kind 1, the author, r g b, width, then at least one point of 4 bytes
    assertThat(pieces).allSatisfy(hex -> assertThat(String.valueOf(hex)).startsWith("01 "));

    // the second window receives exactly those bytes, in order, and draws them
    browser.driver.switchTo().window(watcher);
    await().atMost(Duration.ofSeconds(20)).until(() -> received().size() >= pieces.size());
    assertThat(received()).containsExactlyElementsOf(pieces);
    assertThat(browser.jsList("return [...new Set(window.board.encodings)]"))
        .containsExactly(transport.equals("websocket") ? "binary" : "base64");
    assertThat(hasInk()).as("the watching window shows the stroke").isTrue();
    assertThat(
            Long.parseLong(
                browser.jsString("return document.getElementById('received').textContent")))
        .isEqualTo(pieces.size());
    if (transport.equals("websocket")) {
      browser.screenshot("draw-desktop");
      // at another size the board is drawn again from the pieces it holds
      browser.phone();
      await().atMost(Duration.ofSeconds(5)).until(DrawDemoIT::hasInk);
      browser.screenshot("draw-phone");
      browser.desktop();
    }

    // the first window, opened again, redraws the board from the channel's history
    browser.driver.switchTo().window(drawer);
    browser.open(url);
    awaitConnected(transport, channel);
    await().atMost(Duration.ofSeconds(20)).until(() -> received().size() >= pieces.size());
    assertThat(received()).containsExactlyElementsOf(pieces);
    assertThat(hasInk()).as("the reopened window shows the stroke").isTrue();

    // clearing the board in the second window clears it in the first
    browser.driver.switchTo().window(watcher);
    browser.driver.findElement(By.id("clear")).click();
    assertThat(hasInk()).isFalse();
    browser.driver.switchTo().window(drawer);
    await().atMost(Duration.ofSeconds(20)).until(() -> received().size() == pieces.size() + 1);
    await().atMost(Duration.ofSeconds(5)).until(() -> !hasInk());
  }
}
