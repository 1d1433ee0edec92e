#include "pipeline/report_svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <tuple>

namespace revlens::pipeline::svg {
namespace {

constexpr const char* kPalette[] = {"#2563eb", "#f97316", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04"};
constexpr const char* kDefault = "#2563eb";
constexpr int kWidth = 760;

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string Color(const std::string& c, size_t i) {
  return c.empty() ? kPalette[i % (sizeof kPalette / sizeof kPalette[0])] : c;
}

/// About five round tick values covering [lo, hi].
std::vector<double> Ticks(double lo, double hi) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / 5;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  std::vector<double> t;
  for (double v = std::floor(lo / step) * step; v <= hi + step * 1e-9; v += step)
    t.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
  return t;
}

/// The finite values' range, widened to include 0 and to a non-empty span.
std::pair<double, double> Domain(const std::vector<double>& values) {
  double lo = 0, hi = 0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (hi <= lo) hi = lo + 1;
  const auto t = Ticks(lo, hi);
  return {std::min(lo, t.front()), std::max(hi, t.back())};
}

std::string Open(int height) {
  return "<svg class=\"chart\" viewBox=\"0 0 " + std::to_string(kWidth) + " " + std::to_string(height) + "\" width=\"" +
         std::to_string(kWidth) + "\" height=\"" + std::to_string(height) +
         "\" font-family=\"system-ui,sans-serif\" font-size=\"11\">";
}

std::string Text(double x, double y, const std::string& text, const char* anchor = "start", const char* fill = "#333") {
  return "<text x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" text-anchor=\"" + anchor + "\" fill=\"" + fill + "\">" +
         Esc(text) + "</text>";
}

std::string Line(double x1, double y1, double x2, double y2, const std::string& stroke, double width = 1,
                 bool dashed = false) {
  return "<line x1=\"" + Num(x1) + "\" y1=\"" + Num(y1) + "\" x2=\"" + Num(x2) + "\" y2=\"" + Num(y2) + "\" stroke=\"" +
         stroke + "\" stroke-width=\"" + Num(width) + "\"" + (dashed ? " stroke-dasharray=\"4 3\"" : "") + "/>";
}

std::string Rect(double x, double y, double w, double h, const std::string& fill, const std::string& title = "") {
  std::string s = "<rect x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" width=\"" + Num(std::max(0.0, w)) + "\" height=\"" +
                  Num(std::max(0.0, h)) + "\" fill=\"" + fill + "\"";
  if (title.empty()) return s + "/>";
  return s + "><title>" + Esc(title) + "</title></rect>";
}

std::string Clip(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t cut = n - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "…";
}

/// A vertical-value chart frame: y axis with ticks and grid lines; returns the y mapping.
struct Frame {
  double left = 64, right = kWidth - 16, top = 14, bottom = 0;
  double lo = 0, hi = 1;
  double Y(double v) const { return bottom - (v - lo) / (hi - lo) * (bottom - top); }
};

std::string YAxis(const Frame& f, Format format) {
  std::string s;
  for (double t : Ticks(f.lo, f.hi)) {
    if (t < f.lo - 1e-9 || t > f.hi + 1e-9) continue;
    s += Line(f.left, f.Y(t), f.right, f.Y(t), "#e5e7eb");
    s += Text(f.left - 6, f.Y(t) + 4, FormatValue(t, format), "end", "#666");
  }
  s += Line(f.left, f.bottom, f.right, f.bottom, "#999");
  return s;
}

std::string XLabels(const Frame& f, const std::vector<std::string>& x) {
  std::string s;
  if (x.empty()) return s;
  const double step = (f.right - f.left) / static_cast<double>(x.size());
  const size_t every = std::max<size_t>(1, (x.size() + 11) / 12);
  for (size_t i = 0; i < x.size(); i += every)
    s += Text(f.left + step * (static_cast<double>(i) + 0.5), f.bottom + 14, Clip(x[i], 14), "middle", "#555");
  return s;
}

std::string Legend(double y, const std::vector<std::pair<std::string, std::string>>& items) {
  std::string s;
  double x = 64;
  for (const auto& [name, color] : items) {
    s += Rect(x, y - 9, 10, 10, color);
    s += Text(x + 14, y, name);
    x += 24 + 6.5 * static_cast<double>(name.size());
  }
  return s;
}

}  // namespace

std::string Esc(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FormatValue(double v, Format format) {
  if (!std::isfinite(v)) return "-";
  char buf[48];
  switch (format) {
    case Format::kPercent:
      std::snprintf(buf, sizeof buf, std::fabs(v) < 0.1 && v != 0 ? "%.1f%%" : "%.0f%%", 100 * v);
      return buf;
    case Format::kSeconds:
      std::snprintf(buf, sizeof buf, "%.1f s", v);
      return buf;
    case Format::kMoney:
    case Format::kNumber: {
      const double a = std::fabs(v);
      if (a >= 1e9)
        std::snprintf(buf, sizeof buf, "%.2fB", v / 1e9);
      else if (a >= 1e6)
        std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
      else if (a >= 1e4)
        std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
      else if (a >= 100 || v == std::floor(v))
        std::snprintf(buf, sizeof buf, "%.0f", v);
      else
        std::snprintf(buf, sizeof buf, "%.2f", v);
      return buf;
    }
  }
  return "";
}

std::string HorizontalBars(const std::vector<Bar>& bars, Format format, std::optional<double> reference,
                           const std::string& reference_label) {
  const double row = 22, top = 22, left = 250, right = kWidth - 70;
  const int height = static_cast<int>(top + row * static_cast<double>(bars.size()) + 26);
  std::vector<double> vals;
  for (const auto& b : bars) {
    vals.push_back(b.value);
    if (b.low) vals.push_back(*b.low);
    if (b.high) vals.push_back(*b.high);
  }
  if (reference) vals.push_back(*reference);
  const auto [lo, hi] = Domain(vals);
  auto X = [&, lo = lo, hi = hi](double v) { return left + (v - lo) / (hi - lo) * (right - left); };
  std::string s = Open(height);
  const double axis_y = top + row * static_cast<double>(bars.size());
  for (double t : Ticks(lo, hi)) {
    if (t < lo - 1e-9 || t > hi + 1e-9) continue;
    s += Line(X(t), top - 4, X(t), axis_y, "#e5e7eb");
    s += Text(X(t), axis_y + 14, FormatValue(t, format), "middle", "#666");
  }
  for (size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const double y = top + row * static_cast<double>(i);
    const double from = std::min(X(0), X(b.value));
    std::string title = b.label + ": " + FormatValue(b.value, format);
    if (b.low && b.high) title += " (" + FormatValue(*b.low, format) + " to " + FormatValue(*b.high, format) + ")";
    s += Text(left - 8, y + 14, Clip(b.label, 40), "end");
    s += Rect(from, y + 4, std::fabs(X(b.value) - X(0)), row - 8, b.color.empty() ? kDefault : b.color, title);
    if (b.low && b.high) {
      s += Line(X(*b.low), y + row / 2, X(*b.high), y + row / 2, "#111", 1.2);
      s += Line(X(*b.low), y + 7, X(*b.low), y + row - 7, "#111", 1.2);
      s += Line(X(*b.high), y + 7, X(*b.high), y + row - 7, "#111", 1.2);
    }
    s += Text(std::max(X(b.value), b.high ? X(*b.high) : 0.0) + 6, y + 14, FormatValue(b.value, format), "start",
              "#444");
  }
  if (reference) {
    s += Line(X(*reference), top - 8, X(*reference), axis_y, "#dc2626", 1.5, true);
    s += Text(X(*reference), top - 10, reference_label + " " + FormatValue(*reference, format), "middle", "#dc2626");
  }
  return s + "</svg>";
}

std::string VerticalBars(const std::vector<std::string>& labels, const std::vector<double>& values, Format format,
                         const std::string& color) {
  Frame f;
  f.bottom = 200;
  std::tie(f.lo, f.hi) = Domain(values);
  std::string s = Open(224) + YAxis(f, format);
  const double step = (f.right - f.left) / std::max<double>(1, static_cast<double>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = std::isfinite(values[i]) ? values[i] : 0;
    const double x = f.left + step * static_cast<double>(i);
    s += Rect(x + step * 0.1, std::min(f.Y(v), f.Y(0)), step * 0.8, std::fabs(f.Y(0) - f.Y(v)),
              color.empty() ? kDefault : color, (i < labels.size() ? labels[i] : "") + ": " + FormatValue(v, format));
  }
  return s + XLabels(f, labels) + "</svg>";
}

std::string Lines(const std::vector<std::string>& x, const std::vector<Series>& series, Format format) {
  Frame f;
  f.bottom = 200;
  std::vector<double> all;
  for (const auto& se : series) all.insert(all.end(), se.values.begin(), se.values.end());
  std::tie(f.lo, f.hi) = Domain(all);
  std::string s = Open(244) + YAxis(f, format) + XLabels(f, x);
  const double step = (f.right - f.left) / std::max<double>(1, static_cast<double>(x.size()));
  std::vector<std::pair<std::string, std::string>> legend;
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& se = series[k];
    const std::string color = Color(se.color, k);
    legend.emplace_back(se.name, color);
    std::string path;
    for (size_t i = 0; i < se.values.size() && i < x.size(); ++i) {
      if (!std::isfinite(se.values[i])) {
        if (!path.empty()) {
          s += "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2\"" +
               (se.dashed ? " stroke-dasharray=\"5 3\"" : "") + " points=\"" + path + "\"/>";
          path.clear();
        }
        continue;
      }
      const double px = f.left + step * (static_cast<double>(i) + 0.5), py = f.Y(se.values[i]);
      path += Num(px) + "," + Num(py) + " ";
      s += "<circle cx=\"" + Num(px) + "\" cy=\"" + Num(py) + "\" r=\"2.5\" fill=\"" + color + "\"><title>" +
           Esc(se.name + " " + x[i] + ": " + FormatValue(se.values[i], format)) + "</title></circle>";
    }
    if (!path.empty())
      s += "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2\"" +
           (se.dashed ? " stroke-dasharray=\"5 3\"" : "") + " points=\"" + path + "\"/>";
  }
  return s + Legend(236, legend) + "</svg>";
}

std::string Ranges(const std::vector<std::string>& x, const std::vector<double>& low, const std::vector<double>& mid,
                   const std::vector<double>& high, const std::string& range_name, const std::vector<Series>& markers,
                   Format format) {
  Frame f;
  f.bottom = 200;
  std::vector<double> all = low;
  all.insert(all.end(), high.begin(), high.end());
  all.insert(all.end(), mid.begin(), mid.end());
  for (const auto& m : markers) all.insert(all.end(), m.values.begin(), m.values.end());
  std::tie(f.lo, f.hi) = Domain(all);
  std::string s = Open(244) + YAxis(f, format) + XLabels(f, x);
  const double step = (f.right - f.left) / std::max<double>(1, static_cast<double>(x.size()));
  const std::string band = "#93c5fd";
  for (size_t i = 0; i < x.size() && i < low.size() && i < high.size(); ++i) {
    const double cx = f.left + step * (static_cast<double>(i) + 0.5), w = std::min(60.0, step * 0.5);
    s += Rect(cx - w / 2, f.Y(high[i]), w, f.Y(low[i]) - f.Y(high[i]), band,
              x[i] + " " + range_name + ": " + FormatValue(low[i], format) + " to " + FormatValue(high[i], format));
    if (i < mid.size() && std::isfinite(mid[i]))
      s += Line(cx - w / 2, f.Y(mid[i]), cx + w / 2, f.Y(mid[i]), "#1e3a8a", 3);
    for (size_t k = 0; k < markers.size(); ++k) {
      if (i >= markers[k].values.size() || !std::isfinite(markers[k].values[i])) continue;
      const double off = (static_cast<double>(k) - static_cast<double>(markers.size() - 1) / 2) * 10;
      s += "<circle cx=\"" + Num(cx + w / 2 + 10 + off + 5 * static_cast<double>(markers.size())) + "\" cy=\"" +
           Num(f.Y(markers[k].values[i])) + "\" r=\"4\" fill=\"" + Color(markers[k].color, k + 1) + "\"><title>" +
           Esc(markers[k].name + " " + x[i] + ": " + FormatValue(markers[k].values[i], format)) + "</title></circle>";
    }
  }
  std::vector<std::pair<std::string, std::string>> legend = {{range_name, band}};
  for (size_t k = 0; k < markers.size(); ++k) legend.emplace_back(markers[k].name, Color(markers[k].color, k + 1));
  return s + Legend(236, legend) + "</svg>";
}

}  // namespace revlens::pipeline::svg
