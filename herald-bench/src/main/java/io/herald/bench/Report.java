package io.herald.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * Writes a list of {@link RunResult}s as JSON (Jackson) and as one self-contained HTML page: inline
 * SVG charts (delay percentiles, throughput over time, bytes per message, server CPU and memory)
 * and a table setting the rungs side by side. No scripts, no external resources. Stateless.
 */
final class Report {
  private static final String[] COLORS = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"
  };

  /** What the report says about the run as a whole. */
  record Document(
      String generatedAt, String host, int cpus, String command, List<RunResult> runs) {}

  private Report() {}

  static Document document(String command, List<RunResult> runs) {
    String host = "unknown";
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "unknown";
    }
    return new Document(
        Instant.now().toString(), host, Runtime.getRuntime().availableProcessors(), command, runs);
  }

  static void writeJson(Path file, Document doc) throws IOException {
    ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    m.writeValue(file.toFile(), doc);
  }

  static void writeHtml(Path file, Document doc) throws IOException {
    Files.writeString(file, html(doc), StandardCharsets.UTF_8);
  }

  static String html(Document doc) {
    List<RunResult> runs = doc.runs();
    StringBuilder b = new StringBuilder(64 * 1024);
    b.append(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Herald transport lab</title><style>")
        .append("body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}")
        .append(
            "table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
        .append(
            "th{background:#f4f4f4}td.l,th.l{text-align:left}.bad{color:#b00;font-weight:bold}.ok{color:#070}")
        .append(
            "svg{background:#fff;border:1px solid #ddd;margin:8px 8px 8px 0}h2{margin-top:28px}code{background:#f4f4f4;padding:1px 3px}")
        .append("</style></head><body>");
    b.append("<h1>Herald transport lab</h1><p>")
        .append(esc(doc.generatedAt()))
        .append(" on ")
        .append(esc(doc.host()))
        .append(" (")
        .append(doc.cpus())
        .append(" CPUs). Command: <code>")
        .append(esc(doc.command()))
        .append("</code></p>");
    legend(b, runs);

    b.append(
            "<h2>The rungs side by side</h2><table><tr><th class=l>target</th><th class=l>transport</th><th class=l>direction</th>")
        .append(
            "<th>subscribers</th><th>connect p50 ms</th><th>setup bytes/conn</th><th>delivered msg/s</th><th>lost</th><th>dup/reorder</th>")
        .append(
            "<th>delay p50 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>bytes/msg</th><th>requests/msg</th>")
        .append(
            "<th>server cores</th><th>server RSS MiB</th><th>KiB/conn</th><th>bench cores</th></tr>");
    for (RunResult r : runs) {
      b.append("<tr><td class=l>")
          .append(esc(r.target()))
          .append("</td><td class=l>")
          .append(esc(r.transport()))
          .append("</td><td class=l>")
          .append(esc(r.direction()))
          .append("</td><td>")
          .append(r.ready())
          .append('/')
          .append(r.subscribers())
          .append("</td><td>")
          .append(f(r.connectP50Ms()))
          .append("</td><td>")
          .append(f0(r.setupBytesPerConnection()))
          .append("</td><td>")
          .append(f0(r.deliveredPerSecond()))
          .append("</td><td class=")
          .append(r.lost() == 0 ? "ok" : "bad")
          .append('>')
          .append(r.lost())
          .append("</td><td class=")
          .append(r.duplicates() == 0 ? "ok" : "bad")
          .append('>')
          .append(r.duplicates())
          .append("</td><td>")
          .append(f(r.delay().p50()))
          .append("</td><td>")
          .append(f(r.delay().p99()))
          .append("</td><td>")
          .append(f(r.delay().p999()))
          .append("</td><td>")
          .append(f(r.delay().max()))
          .append("</td><td>")
          .append(f(r.bytesPerMessage()))
          .append("</td><td>")
          .append(String.format(Locale.ROOT, "%.3f", r.requestsPerMessage()))
          .append("</td><td>")
          .append(f(r.server().cores()))
          .append("</td><td>")
          .append(f0(r.server().rssPeakKib() / 1024.0))
          .append("</td><td>")
          .append(f(r.server().rssPerConnectionKib()))
          .append("</td><td>")
          .append(f(r.benchCores()))
          .append("</td></tr>");
    }
    b.append(
            "</table><p>Delay: from the envelope's <code>time</code> (set when the server accepted the publication; for foreign servers the ")
        .append(
            "publisher's send time) to receipt, same machine clock, millisecond resolution at the source. Bytes: counted at the ")
        .append(
            "subscribers' sockets in both directions during the publishing window, headers, frames and requests included. ")
        .append(
            "Requests: HTTP requests the subscribers sent in that window (handshakes included). KiB/conn: the server's resident ")
        .append("memory after connecting minus before, divided by the connections.</p>");

    b.append("<h2>Delay distribution</h2>").append(percentileChart(runs));
    b.append("<h2>Delivered messages per second</h2>")
        .append(bars(runs, "msg/s", RunResult::deliveredPerSecond));
    b.append(timelineChart(runs));
    b.append("<h2>Bytes on the wire per delivered message</h2>")
        .append(bars(runs, "bytes", RunResult::bytesPerMessage));
    b.append("<h2>HTTP requests per delivered message</h2>")
        .append(bars(runs, "req/msg", RunResult::requestsPerMessage));
    b.append("<h2>Server CPU (cores busy while publishing)</h2>")
        .append(bars(runs, "cores", r -> r.server().cores()));
    b.append("<h2>Server resident memory (peak, MiB)</h2>")
        .append(bars(runs, "MiB", r -> r.server().rssPeakKib() / 1024.0));
    b.append("<h2>Server memory per connection (KiB)</h2>")
        .append(bars(runs, "KiB", r -> r.server().rssPerConnectionKib()));

    b.append(
            "<h2>All figures</h2><table><tr><th class=l>run</th><th>published</th><th>failed</th><th>max backlog</th><th>unsent</th><th>publish p50 ms</th><th>publish p99 ms</th><th>expected</th>")
        .append(
            "<th>delivered</th><th>holes</th><th>gaps</th><th>disconnects</th><th>reconnects</th><th>errors</th><th>bytes in</th>")
        .append(
            "<th>bytes out</th><th>requests</th><th>connect s</th><th>connect p99 ms</th><th>server CPU s</th><th>idle cores</th></tr>");
    for (RunResult r : runs) {
      b.append("<tr><td class=l>")
          .append(esc(r.scenario() + " " + r.label()))
          .append("</td><td>")
          .append(r.published())
          .append("</td><td>")
          .append(r.publishFailures())
          .append("</td><td>")
          .append(r.publisherMaxBacklog())
          .append("</td><td>")
          .append(r.publisherUnsent())
          .append("</td><td>")
          .append(f(r.publishP50Ms()))
          .append("</td><td>")
          .append(f(r.publishP99Ms()))
          .append("</td><td>")
          .append(r.expected())
          .append("</td><td>")
          .append(r.delivered())
          .append("</td><td>")
          .append(r.holes())
          .append("</td><td>")
          .append(r.gaps())
          .append("</td><td>")
          .append(r.disconnects())
          .append("</td><td>")
          .append(r.reconnects())
          .append("</td><td>")
          .append(r.errors())
          .append("</td><td>")
          .append(r.bytesIn())
          .append("</td><td>")
          .append(r.bytesOut())
          .append("</td><td>")
          .append(r.requests())
          .append("</td><td>")
          .append(f(r.connectSeconds()))
          .append("</td><td>")
          .append(f(r.connectP99Ms()))
          .append("</td><td>")
          .append(f(r.server().cpuSeconds()))
          .append("</td><td>")
          .append(String.format(Locale.ROOT, "%.3f", r.server().idleCores()))
          .append("</td></tr>");
    }
    b.append("</table></body></html>\n");
    return b.toString();
  }

  private static void legend(StringBuilder b, List<RunResult> runs) {
    b.append("<p>");
    for (int i = 0; i < runs.size(); i++) {
      RunResult r = runs.get(i);
      b.append(
              "<span style=\"display:inline-block;margin-right:16px\"><svg width=14 height=14 style=\"border:0;margin:0;vertical-align:middle\">")
          .append("<rect width=14 height=14 fill=\"")
          .append(color(i))
          .append("\"/></svg> ")
          .append(esc(r.scenario() + " " + r.label()))
          .append(" (")
          .append(r.ready())
          .append(" subs, ")
          .append(f0(r.rate()))
          .append(" msg/s, ")
          .append(r.size())
          .append(" B)</span>");
    }
    b.append("</p>");
  }

  /** Delay against percentile on a log "nines" axis, one line per run. */
  static String percentileChart(List<RunResult> runs) {
    int w = 760;
    int h = 320;
    int l = 60;
    int r0 = 20;
    int t = 20;
    int bt = 40;
    double maxMs = 1;
    for (RunResult r : runs) {
      maxMs = Math.max(maxMs, r.delay().p999() * 1.1);
    }
    double maxX = 4; // 99.99%
    StringBuilder s = svgStart(w, h);
    axes(s, l, t, w - l - r0, h - t - bt, 0, maxMs, "ms");
    String[] xl = {"0%", "90%", "99%", "99.9%", "99.99%"};
    for (int i = 0; i <= 4; i++) {
      double x = l + (w - l - r0) * i / maxX;
      s.append(text(x, h - bt + 16, xl[i], "middle"));
    }
    for (int i = 0; i < runs.size(); i++) {
      StringBuilder pts = new StringBuilder();
      for (double[] p : runs.get(i).delay().percentiles()) {
        double nines = p[0] >= 100 ? maxX : Math.min(maxX, -Math.log10(1 - p[0] / 100.0));
        double x = l + (w - l - r0) * nines / maxX;
        double y = t + (h - t - bt) * (1 - Math.min(p[1], maxMs) / maxMs);
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
      }
      s.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"")
          .append(color(i))
          .append("\" points=\"")
          .append(pts)
          .append("\"/>");
    }
    return s.append("</svg>").toString();
  }

  /** Delivered messages per second over time, one line per run. */
  static String timelineChart(List<RunResult> runs) {
    int w = 760;
    int h = 260;
    int l = 80;
    int r0 = 20;
    int t = 20;
    int bt = 40;
    double maxY = 1;
    double maxT = 1;
    for (RunResult r : runs) {
      for (RunResult.Second sec : r.timeline()) {
        maxY = Math.max(maxY, sec.deliveredPerSecond() * 1.1);
        maxT = Math.max(maxT, sec.t());
      }
    }
    StringBuilder s = svgStart(w, h);
    axes(s, l, t, w - l - r0, h - t - bt, 0, maxY, "msg/s");
    s.append(
        text(
            l + (w - l - r0) / 2.0,
            h - 6,
            "seconds since the run started (connect, publish, drain)",
            "middle"));
    for (int i = 0; i < runs.size(); i++) {
      StringBuilder pts = new StringBuilder();
      for (RunResult.Second sec : runs.get(i).timeline()) {
        double x = l + (w - l - r0) * sec.t() / maxT;
        double y = t + (h - t - bt) * (1 - sec.deliveredPerSecond() / maxY);
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
      }
      s.append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"")
          .append(color(i))
          .append("\" points=\"")
          .append(pts)
          .append("\"/>");
    }
    return s.append("</svg>").toString();
  }

  /** Horizontal bars, one per run. */
  static String bars(
      List<RunResult> runs, String unit, java.util.function.ToDoubleFunction<RunResult> value) {
    int bh = 22;
    int l = 260;
    int w = 760;
    int h = runs.size() * (bh + 6) + 10;
    double max = 0;
    for (RunResult r : runs) {
      max = Math.max(max, value.applyAsDouble(r));
    }
    max = max <= 0 ? 1 : max;
    StringBuilder s = svgStart(w, h);
    for (int i = 0; i < runs.size(); i++) {
      RunResult r = runs.get(i);
      double v = value.applyAsDouble(r);
      double y = 6 + i * (bh + 6);
      double bw = (w - l - 140) * v / max;
      s.append(text(l - 6, y + bh * 0.7, r.scenario() + " " + r.label(), "end"));
      s.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>",
              l,
              y,
              bw,
              bh,
              color(i)));
      s.append(text(l + bw + 6, y + bh * 0.7, (v >= 100 ? f0(v) : f(v)) + " " + unit, "start"));
    }
    return s.append("</svg>").toString();
  }

  private static StringBuilder svgStart(int w, int h) {
    return new StringBuilder()
        .append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(w)
        .append("\" height=\"")
        .append(h)
        .append("\" viewBox=\"0 0 ")
        .append(w)
        .append(' ')
        .append(h)
        .append("\" font-size=\"12\">");
  }

  private static void axes(
      StringBuilder s, int x, int y, int w, int h, double min, double max, String unit) {
    s.append(
        String.format(
            Locale.ROOT,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>",
            x,
            y,
            w,
            h));
    for (int i = 0; i <= 4; i++) {
      double v = min + (max - min) * i / 4;
      double yy = y + h - h * i / 4.0;
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>",
              x,
              x + w,
              yy,
              yy));
      s.append(text(x - 4, yy + 4, (v >= 100 ? f0(v) : f(v)) + (i == 4 ? " " + unit : ""), "end"));
    }
  }

  private static String text(double x, double y, String t, String anchor) {
    return String.format(
        Locale.ROOT,
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>",
        x,
        y,
        anchor,
        esc(t));
  }

  private static String color(int i) {
    return COLORS[i % COLORS.length];
  }

  static String f(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }

  static String f0(double v) {
    return String.format(Locale.ROOT, "%,.0f", v);
  }

  static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
