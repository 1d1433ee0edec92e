#pragma once
/// Append-only JSON writer for hot paths (emulator list pages, bulk exports).
/// Hand-written on purpose: nlohmann::json builds a DOM per value, which costs ~5x on a
/// 100-record page; this writes straight into one reusable buffer. Use nlohmann elsewhere.
#include <cstdint>
#include <string>
#include <string_view>

namespace revlens {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void BeginObject() { Sep(); out_ += '{'; first_ = true; }
  void EndObject() { out_ += '}'; first_ = false; }
  void BeginArray() { Sep(); out_ += '['; first_ = true; }
  void EndArray() { out_ += ']'; first_ = false; }
  /// Write a key; the next value call writes its value.
  void Key(std::string_view k) {
    Sep();
    AppendQuoted(out_, k);
    out_ += ':';
    after_key_ = true;
  }
  void String(std::string_view v) { Sep(); AppendQuoted(out_, v); }
  void Int(int64_t v) { Sep(); out_ += std::to_string(v); }
  void Double(double v);
  void Bool(bool v) { Sep(); out_ += v ? "true" : "false"; }
  void Null() { Sep(); out_ += "null"; }
  /// Insert already-serialized JSON as one value.
  void Raw(std::string_view json) { Sep(); out_ += json; }

  /// Append `v` as a JSON string literal (with quotes and escapes).
  static void AppendQuoted(std::string& out, std::string_view v);

 private:
  void Sep() {
    if (after_key_) {
      after_key_ = false;
      first_ = false;
      return;
    }
    if (!first_) out_ += ',';
    first_ = false;
  }
  std::string& out_;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace revlens
