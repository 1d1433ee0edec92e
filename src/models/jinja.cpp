#include "models/jinja.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "core/errors.hpp"

namespace revlens::models {

JinjaValue JinjaValue::String(std::string s) {
  JinjaValue v;
  v.kind = Kind::kString;
  v.text = std::move(s);
  return v;
}

JinjaValue JinjaValue::Bool(bool b) {
  JinjaValue v;
  v.kind = Kind::kBool;
  v.boolean = b;
  return v;
}

JinjaValue JinjaValue::Number(double n) {
  JinjaValue v;
  v.kind = Kind::kNumber;
  v.number = n;
  return v;
}

std::string JinjaValue::ToString() const {
  switch (kind) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return boolean ? "True" : "False";
    case Kind::kNumber: {
      if (std::isfinite(number) && number == std::floor(number) && std::fabs(number) < 1e15) {
        return std::to_string(static_cast<long long>(number));
      }
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", number);
      return buf;
    }
    case Kind::kString:
      return text;
    case Kind::kList: {
      std::string s = "[";
      for (size_t i = 0; i < list.size(); ++i) {
        if (i) s += ", ";
        s += list[i].kind == Kind::kString ? "'" + list[i].text + "'" : list[i].ToString();
      }
      return s + "]";
    }
  }
  return "";
}

bool JinjaValue::Truthy() const {
  switch (kind) {
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return boolean;
    case Kind::kNumber:
      return number != 0;
    case Kind::kString:
      return !text.empty();
    case Kind::kList:
      return !list.empty();
  }
  return false;
}

bool operator==(const JinjaValue& a, const JinjaValue& b) {
  // Python: True == 1; otherwise values of different kinds are unequal.
  auto as_num = [](const JinjaValue& v, double& out) {
    if (v.kind == JinjaValue::Kind::kNumber) return out = v.number, true;
    if (v.kind == JinjaValue::Kind::kBool) return out = v.boolean ? 1 : 0, true;
    return false;
  };
  double x = 0, y = 0;
  if (as_num(a, x) && as_num(b, y)) return x == y;
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case JinjaValue::Kind::kNone:
      return true;
    case JinjaValue::Kind::kString:
      return a.text == b.text;
    case JinjaValue::Kind::kList:
      return a.list == b.list;
    default:
      return false;
  }
}

namespace {

/// What Fail throws: already prefixed with file:line, so Apply passes it through untouched.
class JinjaError : public InvalidInputError {
 public:
  using InvalidInputError::InvalidInputError;
};

enum class Tok { kEnd, kName, kString, kNumber, kPunct };

struct Token {
  Tok type = Tok::kEnd;
  std::string text;
  double number = 0;
};

/// Recursive-descent evaluator over one expression.
class Evaluator {
 public:
  Evaluator(std::string_view src, const std::string& where, const RenderContext& ctx)
      : src_(src), where_(where), ctx_(ctx) {
    Next();
  }

  JinjaValue Run() {
    JinjaValue v = Or();
    if (tok_.type != Tok::kEnd) Fail("unexpected '" + tok_.text + "'");
    return v;
  }

 private:
  [[noreturn]] void Fail(const std::string& msg) const {
    throw JinjaError(where_ + ": " + msg + " in `" + std::string(Trim(src_)) + "`");
  }

  static std::string_view Trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
  }

  void Next() {
    while (pos_ < src_.size() && std::isspace(static_cast<unsigned char>(src_[pos_]))) ++pos_;
    tok_ = Token{};
    if (pos_ >= src_.size()) return;
    const char c = src_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t b = pos_;
      while (pos_ < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_')) ++pos_;
      tok_ = {Tok::kName, std::string(src_.substr(b, pos_ - b))};
      return;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t b = pos_;
      while (pos_ < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '.')) ++pos_;
      tok_ = {Tok::kNumber, std::string(src_.substr(b, pos_ - b))};
      tok_.number = std::stod(tok_.text);
      return;
    }
    if (c == '\'' || c == '"') {
      std::string s;
      ++pos_;
      while (true) {
        if (pos_ >= src_.size()) Fail("unterminated string");
        char d = src_[pos_++];
        if (d == c) break;
        if (d == '\\' && pos_ < src_.size()) {
          char e = src_[pos_++];
          s += e == 'n' ? '\n' : e == 't' ? '\t' : e;
          continue;
        }
        s += d;
      }
      tok_ = {Tok::kString, std::move(s)};
      return;
    }
    if ((c == '=' || c == '!') && pos_ + 1 < src_.size() && src_[pos_ + 1] == '=') {
      tok_ = {Tok::kPunct, std::string(src_.substr(pos_, 2))};
      pos_ += 2;
      return;
    }
    if (std::string_view("()[],=.").find(c) != std::string_view::npos) {
      tok_ = {Tok::kPunct, std::string(1, c)};
      ++pos_;
      return;
    }
    if (c == '|') Fail("Jinja filters are not supported");
    Fail(std::string("unexpected character '") + c + "'");
  }

  bool IsPunct(std::string_view p) const { return tok_.type == Tok::kPunct && tok_.text == p; }
  bool IsName(std::string_view n) const { return tok_.type == Tok::kName && tok_.text == n; }
  void Expect(std::string_view p) {
    if (!IsPunct(p))
      Fail("expected '" + std::string(p) + "'" + (tok_.type == Tok::kEnd ? "" : " before '" + tok_.text + "'"));
    Next();
  }

  JinjaValue Or() {
    JinjaValue v = And();
    while (IsName("or")) {
      Next();
      JinjaValue r = And();
      v = JinjaValue::Bool(v.Truthy() || r.Truthy());
    }
    return v;
  }

  JinjaValue And() {
    JinjaValue v = Not();
    while (IsName("and")) {
      Next();
      JinjaValue r = Not();
      v = JinjaValue::Bool(v.Truthy() && r.Truthy());
    }
    return v;
  }

  JinjaValue Not() {
    if (IsName("not")) {
      Next();
      return JinjaValue::Bool(!Not().Truthy());
    }
    return Compare();
  }

  static bool Contains(const JinjaValue& hay, const JinjaValue& needle) {
    if (hay.kind == JinjaValue::Kind::kList) {
      for (const auto& v : hay.list)
        if (v == needle) return true;
      return false;
    }
    if (hay.kind == JinjaValue::Kind::kString && needle.kind == JinjaValue::Kind::kString) {
      return hay.text.find(needle.text) != std::string::npos;
    }
    return false;
  }

  JinjaValue Compare() {
    JinjaValue left = Primary();
    if (IsPunct("==") || IsPunct("!=")) {
      const bool eq = tok_.text == "==";
      Next();
      JinjaValue right = Primary();
      return JinjaValue::Bool((left == right) == eq);
    }
    if (IsName("in")) {
      Next();
      return JinjaValue::Bool(Contains(Primary(), left));
    }
    if (IsName("not")) {
      Next();
      if (!IsName("in")) Fail("expected 'in' after 'not'");
      Next();
      return JinjaValue::Bool(!Contains(Primary(), left));
    }
    return left;
  }

  JinjaValue Primary() {
    if (tok_.type == Tok::kString) {
      auto v = JinjaValue::String(tok_.text);
      Next();
      return v;
    }
    if (tok_.type == Tok::kNumber) {
      auto v = JinjaValue::Number(tok_.number);
      Next();
      return v;
    }
    if (IsPunct("(")) {
      Next();
      JinjaValue v = Or();
      Expect(")");
      return v;
    }
    if (IsPunct("[")) {
      Next();
      JinjaValue v;
      v.kind = JinjaValue::Kind::kList;
      while (!IsPunct("]")) {
        v.list.push_back(Or());
        if (!IsPunct(",")) break;
        Next();
      }
      Expect("]");
      return v;
    }
    if (tok_.type != Tok::kName)
      Fail(tok_.type == Tok::kEnd ? "expression ended early" : "unexpected '" + tok_.text + "'");
    std::string name = tok_.text;
    Next();
    if (name == "true" || name == "True") return JinjaValue::Bool(true);
    if (name == "false" || name == "False") return JinjaValue::Bool(false);
    if (name == "none" || name == "None") return JinjaValue{};
    if (IsPunct("."))
      Fail("attribute access (" + name + ".) is not supported; call revlens_* macros by their bare name");
    if (!IsPunct("(")) Fail("unknown name '" + name + "'");
    return Call(name);
  }

  JinjaValue Call(const std::string& name) {
    Expect("(");
    std::vector<JinjaValue> args;
    std::vector<std::pair<std::string, JinjaValue>> kwargs;
    while (!IsPunct(")")) {
      if (tok_.type == Tok::kName) {
        // Look ahead for `name=` (a keyword argument).
        size_t save_pos = pos_;
        Token save_tok = tok_;
        Next();
        if (IsPunct("=")) {
          Next();
          kwargs.emplace_back(save_tok.text, Or());
        } else {
          pos_ = save_pos;
          tok_ = save_tok;
          if (!kwargs.empty()) Fail("positional argument after keyword argument");
          args.push_back(Or());
        }
      } else {
        if (!kwargs.empty()) Fail("positional argument after keyword argument");
        args.push_back(Or());
      }
      if (!IsPunct(",")) break;
      Next();
    }
    Expect(")");
    return Apply(name, args, kwargs);
  }

  std::string StrArg(const std::string& fn, const JinjaValue& v) const {
    if (v.kind != JinjaValue::Kind::kString) Fail(fn + "() takes string arguments");
    return v.text;
  }

  JinjaValue Apply(const std::string& name, const std::vector<JinjaValue>& args,
                   const std::vector<std::pair<std::string, JinjaValue>>& kwargs) {
    try {
      if (name == "ref") {
        if (!ctx_.ref) Fail("ref() is not available here");
        if (args.empty() || args.size() > 2 || !kwargs.empty())
          Fail("ref() takes a model name (and optionally a project)");
        return JinjaValue::String(ctx_.ref(StrArg(name, args.back())));
      }
      if (name == "source") {
        if (!ctx_.source) Fail("source() is not available here");
        if (args.size() != 2 || !kwargs.empty()) Fail("source() takes a source name and a table name");
        return JinjaValue::String(ctx_.source(StrArg(name, args[0]), StrArg(name, args[1])));
      }
      if (name == "var") {
        if (!ctx_.var) Fail("var() is not available here");
        if (args.empty() || args.size() > 2 || !kwargs.empty()) Fail("var() takes a name and an optional default");
        const std::string var_name = StrArg(name, args[0]);
        if (auto v = ctx_.var(var_name)) return *v;
        if (args.size() == 2) return args[1];
        Fail("var '" + var_name + "' is not defined: set it under vars: in dbt_project.yml or pass --vars");
      }
      if (name == "config") {
        if (!ctx_.config) Fail("config() is only allowed in model files");
        if (!args.empty()) Fail("config() takes keyword arguments only");
        for (const auto& [k, v] : kwargs) ctx_.config(k, v);
        return JinjaValue::String("");
      }
      if (name.rfind("revlens_", 0) == 0 && ctx_.macro) {
        if (!kwargs.empty()) Fail(name + "() takes positional arguments only");
        std::vector<std::string> texts;
        for (const auto& a : args) texts.push_back(a.ToString());
        return JinjaValue::String(ctx_.macro(name, texts));
      }
    } catch (const JinjaError&) {
      throw;
    } catch (const Error& e) {
      Fail(e.what());
    }
    Fail("unsupported function " + name +
         "(): models may call ref, source, var, config and the revlens_* macros (src/models/README.md)");
  }

  std::string_view src_;
  const std::string& where_;
  const RenderContext& ctx_;
  size_t pos_ = 0;
  Token tok_;
};

}  // namespace

JinjaValue EvaluateExpression(std::string_view expression, const std::string& where, const RenderContext& context) {
  return Evaluator(expression, where, context).Run();
}

std::string RenderTemplate(std::string_view text, const std::string& file, const RenderContext& context) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  int line = 1;
  auto count_lines = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i)
      if (text[i] == '\n') ++line;
  };
  auto rstrip_out = [&] {
    while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
  };
  bool lstrip_next = false;
  while (pos < text.size()) {
    size_t open = text.find('{', pos);
    while (open != std::string_view::npos && open + 1 < text.size() && text[open + 1] != '{' && text[open + 1] != '#' &&
           text[open + 1] != '%') {
      open = text.find('{', open + 1);
    }
    if (open == std::string_view::npos || open + 1 >= text.size()) open = text.size();
    std::string_view literal = text.substr(pos, open - pos);
    if (lstrip_next) {
      size_t k = 0;
      while (k < literal.size() && std::isspace(static_cast<unsigned char>(literal[k]))) ++k;
      count_lines(pos, pos + k);
      pos += k;
      literal.remove_prefix(k);
      lstrip_next = false;
    }
    out.append(literal);
    count_lines(pos, open);
    if (open >= text.size()) break;
    const char kind = text[open + 1];
    const std::string where = file + ":" + std::to_string(line);
    if (kind == '%') {
      size_t e = text.find_first_of(" \t\n-%", open + 2);
      size_t b = open + 2;
      while (b < text.size() && (text[b] == '-' || text[b] == ' ')) ++b;
      e = text.find_first_of(" \t\n%", b);
      throw InvalidInputError(where + ": unsupported Jinja statement {% " +
                              std::string(text.substr(b, e == std::string_view::npos ? 0 : e - b)) +
                              " %}: models may use only {{ ref/source/var/config/revlens_* }} and {# comments #}");
    }
    const std::string_view close_tag = kind == '#' ? "#}" : "}}";
    const size_t close = text.find(close_tag, open + 2);
    if (close == std::string_view::npos) {
      throw InvalidInputError(where + ": unterminated " + std::string(kind == '#' ? "{#" : "{{"));
    }
    size_t inner_b = open + 2;
    size_t inner_e = close;
    if (inner_b < inner_e && text[inner_b] == '-') {
      rstrip_out();
      ++inner_b;
    }
    if (inner_e > inner_b && text[inner_e - 1] == '-') {
      lstrip_next = true;
      --inner_e;
    }
    if (kind == '{') out += EvaluateExpression(text.substr(inner_b, inner_e - inner_b), where, context).ToString();
    count_lines(open, close + 2);
    pos = close + 2;
  }
  return out;
}

JinjaValue RenderYamlString(const std::string& text, const std::string& where, const RenderContext& context) {
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.size() >= 4 && s.substr(0, 2) == "{{" && s.substr(s.size() - 2) == "}}" &&
      s.find("{{", 2) == std::string_view::npos) {
    return EvaluateExpression(s.substr(2, s.size() - 4), where, context);
  }
  if (text.find("{{") == std::string::npos && text.find("{#") == std::string::npos) return JinjaValue::String(text);
  return JinjaValue::String(RenderTemplate(text, where, context));
}

}  // namespace revlens::models
