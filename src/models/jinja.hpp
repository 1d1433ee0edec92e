#pragma once
/// The Jinja subset SQL models may use, so that the same files run under dbt: `{{ expression }}`,
/// `{# comment #}` and whitespace control (`{{-`, `-}}`). Expressions are literals (strings, numbers,
/// true/false/none, lists), calls of the functions the RenderContext provides (ref, source, var, config and
/// the `revlens_*` SQL macros), `==`, `!=`, `in`, `not in`, `and`, `or`, `not` and parentheses. Anything
/// else (`{% if %}`, filters, attributes) is an InvalidInputError naming file:line.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace revlens::models {

/// A value in the Jinja subset.
struct JinjaValue {
  enum class Kind { kNone, kBool, kNumber, kString, kList };
  Kind kind = Kind::kNone;
  bool boolean = false;
  double number = 0;
  std::string text;
  std::vector<JinjaValue> list;

  /// Make a string value.
  static JinjaValue String(std::string s);
  /// Make a boolean value.
  static JinjaValue Bool(bool b);
  /// Make a number value.
  static JinjaValue Number(double n);
  /// Render as dbt (Python) would: strings as is, `True`/`False`, `None`, integral numbers without `.0`,
  /// lists as `['a', 'b']`.
  std::string ToString() const;
  /// Python truthiness: false, none, 0, "" and [] are false.
  bool Truthy() const;
  friend bool operator==(const JinjaValue& a, const JinjaValue& b);
};

/// The functions a template may call. An unset function makes its calls an error.
struct RenderContext {
  /// `ref('model')` or `ref('project', 'model')`: the relation to put in the SQL.
  std::function<std::string(const std::string& model)> ref;
  /// `source('name', 'table')`: the relation to put in the SQL.
  std::function<std::string(const std::string& source, const std::string& table)> source;
  /// `var('name')`: the value, or nullopt when undefined (then a default argument is used, else an error).
  std::function<std::optional<JinjaValue>(const std::string& name)> var;
  /// `config(key=value, ...)`: called once per keyword; renders as nothing.
  std::function<void(const std::string& key, const JinjaValue& value)> config;
  /// A `revlens_*` macro call with its arguments rendered to text; returns the SQL.
  std::function<std::string(const std::string& name, const std::vector<std::string>& args)> macro;
};

/// Render `text`, read from `file` (for messages). Throws InvalidInputError `file:line: ...`; exceptions the
/// context functions throw are re-thrown as InvalidInputError with the same prefix.
std::string RenderTemplate(std::string_view text, const std::string& file, const RenderContext& context);

/// Evaluate one expression (what sits inside `{{ }}`), e.g. a yml `to: ref('x')`. `where` prefixes errors.
JinjaValue EvaluateExpression(std::string_view expression, const std::string& where, const RenderContext& context);

/// Render a yml value that may hold Jinja: a string that is exactly one `{{ expression }}` keeps the
/// expression's type (so `"{{ var('x') == 'y' }}"` is a boolean); other strings render to text.
JinjaValue RenderYamlString(const std::string& text, const std::string& where, const RenderContext& context);

}  // namespace revlens::models
