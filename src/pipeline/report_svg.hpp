#pragma once
/// Inline SVG charts for the HTML report (report.cpp). Written here rather than taken from a JS chart library: the
/// report must open from disk with no network and no script, print, and stay small; four chart shapes cover it
/// (horizontal bars with intervals, vertical bars, lines, ranges), each a few dozen lines of SVG text. The web
/// dashboard, which is interactive, bundles a JS library instead.
#include <optional>
#include <string>
#include <vector>

namespace revlens::pipeline::svg {

/// Escape text for HTML/SVG (`&`, `<`, `>`, `"`, `'`).
std::string Esc(const std::string& text);

/// How values are printed on axes and labels.
enum class Format { kNumber, kPercent, kMoney, kSeconds };
/// Print `v` in `format` (percent takes a share: 0.25 -> "25%"; money 1234567 -> "1.23M").
std::string FormatValue(double v, Format format);

/// One horizontal bar, optionally with an interval drawn as a whisker.
struct Bar {
  std::string label;
  double value = 0;
  std::optional<double> low, high;
  std::string color;  ///< empty: the default
};

/// Horizontal bars (one per row) on an axis from 0 (or the smallest value, if negative) to the largest;
/// `reference` draws a dashed vertical line (a baseline) labelled `reference_label`.
std::string HorizontalBars(const std::vector<Bar>& bars, Format format, std::optional<double> reference = {},
                           const std::string& reference_label = "");

/// Vertical bars: a histogram or counts per category.
std::string VerticalBars(const std::vector<std::string>& labels, const std::vector<double>& values, Format format,
                         const std::string& color = "");

/// One line of a line chart; NaN values leave a gap.
struct Series {
  std::string name;
  std::vector<double> values;
  std::string color;  ///< empty: from the palette
  bool dashed = false;
};
/// Lines over categories (months, periods), with a legend.
std::string Lines(const std::vector<std::string>& x, const std::vector<Series>& series, Format format);

/// Per category a low-high band with a mid tick (P10-P90 with P50), plus marker series (weighted pipeline,
/// commit, actual) drawn as dots, with a legend.
std::string Ranges(const std::vector<std::string>& x, const std::vector<double>& low, const std::vector<double>& mid,
                   const std::vector<double>& high, const std::string& range_name, const std::vector<Series>& markers,
                   Format format);

}  // namespace revlens::pipeline::svg
