package io.herald.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code hostile} scenario's outcome: the well-behaved subscribers without attackers (baseline)
 * and with them (attack), each attacker kind's account, the server's resident memory against its
 * budget, and a pass or fail per target of issue 8. Written as JSON (Jackson) and as one
 * self-contained HTML page (inline SVG, no scripts). Stateless.
 */
final class HostileReport {

  /**
   * The whole document.
   *
   * @param baseline the well-behaved subscribers alone; null when that phase failed
   * @param attack the same subscribers while the attackers ran; null when that phase failed
   * @param rssBudgetMib the configured budget for the server's resident memory
   * @param p99RatioLimit the attack p99 may be at most this many times the baseline p99
   * @param pass whether every target was met
   */
  record Document(
      String generatedAt,
      String host,
      int cpus,
      String command,
      RunResult baseline,
      RunResult attack,
      List<Attackers.Result> attackers,
      long rssBudgetMib,
      double p99RatioLimit,
      Memory memory,
      List<Check> targets,
      boolean pass) {}

  /**
   * The server's resident memory in MiB: before the attack phase's subscribers connected, its peak
   * and its end, and once a second over the attack phase.
   */
  record Memory(
      double baselinePeakMib,
      double attackBeforeMib,
      double attackPeakMib,
      double attackEndMib,
      List<double[]> attackTimeline) {}

  /** One target: what it asks, what was measured, met or not. */
  record Check(String name, String target, String measured, boolean pass) {}

  private HostileReport() {}

  static Document document(
      String command,
      RunResult baseline,
      RunResult attack,
      List<Attackers.Result> attackers,
      long rssBudgetMib,
      double p99RatioLimit) {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "unknown";
    }
    List<double[]> timeline = new ArrayList<>();
    Memory memory = null;
    if (attack != null) {
      for (RunResult.Second s : attack.timeline()) {
        timeline.add(new double[] {s.t(), s.serverRssKib() / 1024.0});
      }
      memory =
          new Memory(
              baseline == null ? 0 : baseline.server().rssPeakKib() / 1024.0,
              attack.server().rssBeforeKib() / 1024.0,
              attack.server().rssPeakKib() / 1024.0,
              attack.server().rssEndKib() / 1024.0,
              timeline);
    }
    List<Check> checks = checks(baseline, attack, attackers, rssBudgetMib, p99RatioLimit);
    boolean pass = !checks.isEmpty();
    for (Check c : checks) {
      pass &= c.pass();
    }
    return new Document(
        Instant.now().toString(),
        host,
        Runtime.getRuntime().availableProcessors(),
        command,
        baseline,
        attack,
        attackers,
        rssBudgetMib,
        p99RatioLimit,
        memory,
        checks,
        pass);
  }

  static List<Check> checks(
      RunResult baseline,
      RunResult attack,
      List<Attackers.Result> attackers,
      long rssBudgetMib,
      double p99RatioLimit) {
    List<Check> out = new ArrayList<>();
    if (attack == null) {
      out.add(new Check("attack phase", "completes", "failed", false));
      return out;
    }
    boolean whole =
        attack.lost() == 0
            && attack.duplicates() == 0
            && attack.publishFailures() == 0
            && attack.publisherUnsent() == 0;
    out.add(
        new Check(
            "well-behaved subscribers lose nothing",
            "lost 0, duplicates 0, every publication accepted and sent in time",
            String.format(
                Locale.ROOT,
                "lost %d, duplicates %d, publications failed %d, unsent %d (of %d published); disconnects %d",
                attack.lost(),
                attack.duplicates(),
                attack.publishFailures(),
                attack.publisherUnsent(),
                attack.published(),
                attack.disconnects()),
            whole));
    double base = baseline == null ? 0 : baseline.delay().p99();
    double ratio = base > 0 ? attack.delay().p99() / base : Double.NaN;
    out.add(
        new Check(
            "delivery p99 within " + fmt(p99RatioLimit) + "x of the baseline",
            "attack p99 / baseline p99 <= " + fmt(p99RatioLimit),
            String.format(
                Locale.ROOT,
                "%.2f ms / %.2f ms = %s (delays recorded: %d with attackers, %d without)",
                attack.delay().p99(),
                base,
                Double.isNaN(ratio) ? "no baseline" : String.format(Locale.ROOT, "%.2f", ratio),
                attack.delay().count(),
                baseline == null ? 0 : baseline.delay().count()),
            !Double.isNaN(ratio) && ratio <= p99RatioLimit && attack.delay().count() > 0));
    double peak = attack.server().rssPeakKib() / 1024.0;
    out.add(
        new Check(
            "server RSS under its budget",
            "peak RSS <= " + rssBudgetMib + " MiB",
            attack.server().pid() <= 0
                ? "no --pid given"
                : String.format(Locale.ROOT, "peak %.0f MiB", peak),
            attack.server().pid() > 0 && peak > 0 && peak <= rssBudgetMib));
    for (Attackers.Result a : attackers) {
      out.add(
          new Check(
              a.kind() + " disconnected or refused in time",
              String.format(
                  Locale.ROOT,
                  "all %d connections refused or disconnected within %s s",
                  a.connections(),
                  fmt(a.timeoutSeconds())),
              String.format(
                  Locale.ROOT,
                  "refused %d, disconnected %d, accepted %d, still open %d; within %s s: %d; p99 %.0f ms, max %.0f ms",
                  a.refused(),
                  a.disconnected(),
                  a.accepted(),
                  a.stillOpen(),
                  fmt(a.timeoutSeconds()),
                  a.endedWithinTimeout(),
                  a.endP99Ms(),
                  a.endMaxMs()),
              a.pass()));
    }
    return out;
  }

  static void writeJson(Path file, Document doc) throws IOException {
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), doc);
  }

  static void writeHtml(Path file, Document doc) throws IOException {
    Files.writeString(file, html(doc), StandardCharsets.UTF_8);
  }

  /** The summary printed at the end: one line per target. */
  static void summary(PrintStream out, Document doc) {
    out.println();
    out.println("hostile: " + (doc.pass() ? "every target met" : "targets MISSED"));
    for (Check c : doc.targets()) {
      out.printf(
          Locale.ROOT, "  %-4s %-46s %s%n", c.pass() ? "pass" : "FAIL", c.name(), c.measured());
    }
    if (!doc.attackers().isEmpty()) {
      out.printf(
          Locale.ROOT,
          "%n  %-14s %6s %8s %9s %9s %8s %7s %10s %10s %10s  %s%n",
          "attacker",
          "count",
          "conns",
          "refused",
          "disconn",
          "accepted",
          "open",
          "end p50 ms",
          "p99 ms",
          "max ms",
          "outcomes");
      for (Attackers.Result a : doc.attackers()) {
        out.printf(
            Locale.ROOT,
            "  %-14s %6d %8d %9d %9d %8d %7d %10.0f %10.0f %10.0f  %s%n",
            a.kind(),
            a.count(),
            a.connections(),
            a.refused(),
            a.disconnected(),
            a.accepted(),
            a.stillOpen(),
            a.endP50Ms(),
            a.endP99Ms(),
            a.endMaxMs(),
            a.outcomes());
      }
    }
  }

  static String html(Document doc) {
    StringBuilder b = new StringBuilder(64 * 1024);
    b.append(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Herald lab: hostile</title><style>")
        .append("body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}")
        .append(
            "table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
        .append(
            "th{background:#f4f4f4}td.l,th.l{text-align:left}.bad{color:#b00;font-weight:bold}.ok{color:#070;font-weight:bold}")
        .append(
            "svg{background:#fff;border:1px solid #ddd;margin:8px 8px 8px 0}h2{margin-top:28px}code{background:#f4f4f4;padding:1px 3px}")
        .append("</style></head><body>");
    b.append("<h1>Herald lab: hostile clients</h1><p>")
        .append(Report.esc(doc.generatedAt()))
        .append(" on ")
        .append(Report.esc(doc.host()))
        .append(" (")
        .append(doc.cpus())
        .append(" CPUs). Command: <code>")
        .append(Report.esc(doc.command()))
        .append("</code></p>");
    b.append("<p>Overall: ")
        .append(
            doc.pass()
                ? "<span class=ok>every target met</span>"
                : "<span class=bad>targets missed</span>")
        .append("</p>");

    b.append("<h2>Targets</h2><table><tr><th class=l>target</th><th class=l>asks</th>")
        .append("<th class=l>measured</th><th class=l>result</th></tr>");
    for (Check c : doc.targets()) {
      b.append("<tr><td class=l>")
          .append(Report.esc(c.name()))
          .append("</td><td class=l>")
          .append(Report.esc(c.target()))
          .append("</td><td class=l>")
          .append(Report.esc(c.measured()))
          .append("</td><td class=")
          .append(c.pass() ? "ok>pass" : "bad>FAIL")
          .append("</td></tr>");
    }
    b.append("</table>");

    List<RunResult> runs = new ArrayList<>();
    if (doc.baseline() != null) {
      runs.add(doc.baseline());
    }
    if (doc.attack() != null) {
      runs.add(doc.attack());
    }
    b.append(
            "<h2>Well-behaved subscribers</h2><table><tr><th class=l>phase</th><th class=l>transports</th>")
        .append(
            "<th>subscribers</th><th>published</th><th>publish failed</th><th>unsent</th><th>delivered msg/s</th>")
        .append(
            "<th>lost</th><th>dup/reorder</th><th>disconnects</th><th>delay p50 ms</th><th>p99 ms</th><th>p99.9 ms</th>")
        .append(
            "<th>max ms</th><th>publish p99 ms</th><th>server cores</th><th>server RSS peak MiB</th></tr>");
    for (RunResult r : runs) {
      b.append("<tr><td class=l>")
          .append(Report.esc(r.target()))
          .append("</td><td class=l>")
          .append(Report.esc(r.transport()))
          .append("</td><td>")
          .append(r.ready())
          .append('/')
          .append(r.subscribers())
          .append("</td><td>")
          .append(r.published())
          .append("</td><td>")
          .append(r.publishFailures())
          .append("</td><td>")
          .append(r.publisherUnsent())
          .append("</td><td>")
          .append(Report.f0(r.deliveredPerSecond()))
          .append("</td><td class=")
          .append(r.lost() == 0 ? "ok" : "bad")
          .append('>')
          .append(r.lost())
          .append("</td><td class=")
          .append(r.duplicates() == 0 ? "ok" : "bad")
          .append('>')
          .append(r.duplicates())
          .append("</td><td>")
          .append(r.disconnects())
          .append("</td><td>")
          .append(Report.f(r.delay().p50()))
          .append("</td><td>")
          .append(Report.f(r.delay().p99()))
          .append("</td><td>")
          .append(Report.f(r.delay().p999()))
          .append("</td><td>")
          .append(Report.f(r.delay().max()))
          .append("</td><td>")
          .append(Report.f(r.publishP99Ms()))
          .append("</td><td>")
          .append(Report.f(r.server().cores()))
          .append("</td><td>")
          .append(Report.f0(r.server().rssPeakKib() / 1024.0))
          .append("</td></tr>");
    }
    b.append("</table>");
    if (!runs.isEmpty()) {
      b.append("<h2>Delivery delay, without and with attackers</h2>")
          .append(Report.percentileChart(runs))
          .append(Report.timelineChart(runs));
    }

    b.append("<h2>Attackers</h2><table><tr><th class=l>kind</th><th class=l>what it does</th>")
        .append(
            "<th>count</th><th>connections</th><th>refused</th><th>disconnected</th><th>accepted</th><th>still open</th>")
        .append(
            "<th>timeout s</th><th>ended in time</th><th>end p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th>")
        .append("<th>sent</th><th class=l>outcomes</th></tr>");
    for (Attackers.Result a : doc.attackers()) {
      StringBuilder oc = new StringBuilder();
      for (Map.Entry<String, Long> e : a.outcomes().entrySet()) {
        oc.append(Report.esc(e.getKey())).append(": ").append(e.getValue()).append("<br>");
      }
      b.append("<tr><td class=l>")
          .append(Report.esc(a.kind()))
          .append("</td><td class=l>")
          .append(Report.esc(a.description()))
          .append("</td><td>")
          .append(a.count())
          .append("</td><td>")
          .append(a.connections())
          .append("</td><td>")
          .append(a.refused())
          .append("</td><td>")
          .append(a.disconnected())
          .append("</td><td>")
          .append(a.accepted())
          .append("</td><td class=")
          .append(a.stillOpen() == 0 ? "ok" : "bad")
          .append('>')
          .append(a.stillOpen())
          .append("</td><td>")
          .append(fmt(a.timeoutSeconds()))
          .append("</td><td class=")
          .append(a.pass() ? "ok" : "bad")
          .append('>')
          .append(a.endedWithinTimeout())
          .append("</td><td>")
          .append(Report.f0(a.endP50Ms()))
          .append("</td><td>")
          .append(Report.f0(a.endP90Ms()))
          .append("</td><td>")
          .append(Report.f0(a.endP99Ms()))
          .append("</td><td>")
          .append(Report.f0(a.endMaxMs()))
          .append("</td><td>")
          .append(a.sent())
          .append("</td><td class=l>")
          .append(oc)
          .append("</td></tr>");
    }
    b.append(
        "</table><p>A connection <em>ends</em> when it is refused (the connect fails, or the server answers an HTTP status"
            + " of 400 or more, a WebSocket close or an <code>error</code> frame), disconnected (closed or reset without an"
            + " answer) or accepted (a malformed request answered with success). End times run from opening the"
            + " connection. <em>Sent</em>: frames for ws-flood, requests for channel-flood, bytes otherwise.</p>");

    if (doc.memory() != null) {
      b.append("<h2>Server resident memory during the attack (MiB)</h2>")
          .append(rssChart(doc.memory(), doc.rssBudgetMib()))
          .append("<p>Budget ")
          .append(doc.rssBudgetMib())
          .append(" MiB; peak without attackers ")
          .append(Report.f0(doc.memory().baselinePeakMib()))
          .append(" MiB, with attackers ")
          .append(Report.f0(doc.memory().attackPeakMib()))
          .append(" MiB.</p>");
    }
    b.append("</body></html>\n");
    return b.toString();
  }

  /** RSS over time with the budget as a dashed line. */
  private static String rssChart(Memory m, long budgetMib) {
    int w = 760;
    int h = 260;
    int l = 70;
    int r0 = 20;
    int t = 20;
    int bt = 30;
    double maxY = Math.max(budgetMib, 1) * 1.15;
    double maxT = 1;
    for (double[] p : m.attackTimeline()) {
      maxY = Math.max(maxY, p[1] * 1.1);
      maxT = Math.max(maxT, p[0]);
    }
    StringBuilder s = new StringBuilder();
    s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(w)
        .append("\" height=\"")
        .append(h)
        .append("\" font-size=\"12\">");
    s.append(
        String.format(
            Locale.ROOT,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>",
            l,
            t,
            w - l - r0,
            h - t - bt));
    for (int i = 0; i <= 4; i++) {
      double v = maxY * i / 4;
      double y = t + (h - t - bt) * (1 - i / 4.0);
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>",
              l - 4,
              y + 4,
              v));
    }
    double by = t + (h - t - bt) * (1 - budgetMib / maxY);
    s.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#b00\" stroke-dasharray=\"6 4\"/>"
                + "<text x=\"%d\" y=\"%.1f\" fill=\"#b00\">budget %d MiB</text>",
            l,
            w - r0,
            by,
            by,
            l + 6,
            by - 4,
            budgetMib));
    StringBuilder pts = new StringBuilder();
    for (double[] p : m.attackTimeline()) {
      pts.append(
          String.format(
              Locale.ROOT,
              "%.1f,%.1f ",
              l + (w - l - r0) * p[0] / maxT,
              t + (h - t - bt) * (1 - p[1] / maxY)));
    }
    s.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"#1f77b4\" points=\"")
        .append(pts)
        .append("\"/>");
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">seconds since the attack phase started</text>",
            l + (w - l - r0) / 2.0,
            h - 8));
    return s.append("</svg>").toString();
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.1f", v);
  }
}
