package io.herald.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium driven by Debian's chromedriver (never a downloaded one: the driver
 * path is given explicitly, so Selenium Manager does not run). One instance per test class; each
 * has its own new profile directory, deleted on {@link #close()}.
 *
 * <p>Paths can be changed with {@code -Dherald.chromium=...} and {@code -Dherald.chromedriver=...}.
 * Not thread-safe: use from the test thread.
 */
final class Browser implements AutoCloseable {
  static final String CHROMIUM = System.getProperty("herald.chromium", "/usr/bin/chromium");
  static final String CHROMEDRIVER =
      System.getProperty("herald.chromedriver", "/usr/bin/chromedriver");
  static final Path SCREENSHOTS = Paths.get("target", "screenshots");

  final ChromeDriver driver;
  private final Path profile;
  private final ChromeDriverService service;

  Browser() {
    this(new String[0]);
  }

  /** With {@code extraArguments} for Chromium, such as {@code --ignore-certificate-errors}. */
  Browser(String... extraArguments) {
    try {
      profile = Files.createTempDirectory("herald-chromium-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        "--user-data-dir=" + profile,
        "--window-size=1280,900");
    options.addArguments(extraArguments);
    service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(Paths.get(CHROMEDRIVER).toFile())
            .usingAnyFreePort()
            .build();
    driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20));
  }

  /**
   * Starts a browser for a test class's {@code @BeforeAll}, with {@code extraArguments} for
   * Chromium; fails the class with the install command when Chromium or chromedriver is missing.
   */
  static Browser start(String... extraArguments) {
    assertThat(available())
        .as("Chromium and chromedriver (apt-get install -y chromium chromium-driver)")
        .isTrue();
    return new Browser(extraArguments);
  }

  /** Whether Chromium and chromedriver are installed (the README's test command installs them). */
  static boolean available() {
    return Files.isExecutable(Paths.get(CHROMIUM)) && Files.isExecutable(Paths.get(CHROMEDRIVER));
  }

  void open(String url) {
    driver.get(url);
  }

  /**
   * Opens the test harness page at {@code url} (its query gives the channel, transports and other
   * options) and waits, 20 s at most, until herald.js on it is ready ({@code window.ready}).
   */
  void openHarness(String url) {
    open(url);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> Boolean.TRUE.equals(js("return window.ready === true")));
  }

  /**
   * {@link #openHarness(String)}, then waits, 20 s at most, until the page's subscription to {@code
   * channel} stands (herald.js has a position on it).
   */
  void openHarness(String url, String channel) {
    openHarness(url);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> js("return window.herald.position(arguments[0])", channel) != null);
  }

  /**
   * Whether a demo page's connection bar ({@code #connbar}) says connected over {@code transport}
   * (its wire name, such as {@code sse}).
   */
  boolean connbarShows(String transport) {
    return "connected".equals(jsString("return document.getElementById('connbar').dataset.state"))
        && transport.equals(
            jsString("return document.getElementById('connbar').dataset.transport"));
  }

  /** The gap and error events the harness page recorded so far ({@code window.events}). */
  List<Object> gapsAndErrors() {
    return jsList("return window.events.filter(e => e.type === 'gap' || e.type === 'error')");
  }

  /**
   * Runs {@code script} in the page and returns its value (JS values come back as Java lists, maps,
   * longs, strings).
   */
  Object js(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  /**
   * Runs {@code script} with a callback as its last argument ({@code arguments[arguments.length -
   * 1]}).
   */
  Object jsAsync(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeAsyncScript(script, args);
  }

  long jsLong(String script, Object... args) {
    Object v = js(script, args);
    return v == null ? -1 : ((Number) v).longValue();
  }

  String jsString(String script, Object... args) {
    Object v = js(script, args);
    return v == null ? null : v.toString();
  }

  @SuppressWarnings("unchecked")
  List<Object> jsList(String script, Object... args) {
    return (List<Object>) js(script, args);
  }

  @SuppressWarnings("unchecked")
  List<Map<String, Object>> jsMaps(String script, Object... args) {
    return (List<Map<String, Object>>) js(script, args);
  }

  /** Emulates a phone: a 390 x 844 CSS-pixel mobile viewport, until {@link #desktop()}. */
  void phone() {
    driver.executeCdpCommand(
        "Emulation.setDeviceMetricsOverride",
        Map.of("width", 390, "height", 844, "deviceScaleFactor", 1, "mobile", true));
  }

  /** Back to the 1280 x 900 desktop window. */
  void desktop() {
    driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
  }

  /**
   * Takes the browser off the network (and fires {@code offline}), or back on it ({@code online}).
   */
  void offline(boolean off) {
    driver.executeCdpCommand("Network.enable", Map.of());
    driver.executeCdpCommand(
        "Network.emulateNetworkConditions",
        Map.of("offline", off, "latency", 0, "downloadThroughput", -1, "uploadThroughput", -1));
  }

  /** Saves a screenshot of the whole page (up to 4000 px tall) to target/screenshots/NAME.png. */
  Path screenshot(String name) {
    try {
      Files.createDirectories(SCREENSHOTS);
      Path file = SCREENSHOTS.resolve(name + ".png");
      Map<String, Object> metrics = driver.executeCdpCommand("Page.getLayoutMetrics", Map.of());
      @SuppressWarnings("unchecked")
      Map<String, Object> content = (Map<String, Object>) metrics.get("cssContentSize");
      @SuppressWarnings("unchecked")
      Map<String, Object> viewport = (Map<String, Object>) metrics.get("cssLayoutViewport");
      double width = ((Number) viewport.get("clientWidth")).doubleValue();
      double height =
          Math.min(
              Math.max(
                  ((Number) content.get("height")).doubleValue(),
                  ((Number) viewport.get("clientHeight")).doubleValue()),
              4000);
      Map<String, Object> shot =
          driver.executeCdpCommand(
              "Page.captureScreenshot",
              Map.of(
                  "format",
                  "png",
                  "captureBeyondViewport",
                  true,
                  "clip",
                  Map.of("x", 0, "y", 0, "width", width, "height", height, "scale", 1)));
      Files.write(file, Base64.getDecoder().decode((String) shot.get("data")));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // a temp dir left behind is harmless
      }
    }
  }
}
