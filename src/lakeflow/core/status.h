// Status and Result<T>: how every fallible call in lakeflow reports failure.
//
// Errors are values, not exceptions, so a failure travels up to the one place
// that prints it (the CLI, the Python binding) as a single clear line. The code
// tells callers what kind of failure it is, which decides the exit status:
// configuration and usage errors are the user's to fix, source errors are the
// remote system's.
#pragma once

#include <fmt/format.h>

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace lakeflow {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad option, spec, DDL, table name: the user's to fix
  kNotFound,         // unknown table, connection, connector
  kConversion,       // a source value that does not fit the schema
  kSource,           // the source system failed (HTTP, database, connector code)
  kIO,               // local files: checkpoints, connection store, outputs
  kInternal,         // a bug in lakeflow
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  template <typename... Args>
  static Status Invalid(fmt::format_string<Args...> f, Args&&... args) {
    return Status(StatusCode::kInvalidArgument, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  static Status NotFound(fmt::format_string<Args...> f, Args&&... args) {
    return Status(StatusCode::kNotFound, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  static Status Conversion(fmt::format_string<Args...> f, Args&&... args) {
    return Status(StatusCode::kConversion, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  static Status SourceError(fmt::format_string<Args...> f, Args&&... args) {
    return Status(StatusCode::kSource, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  static Status IOError(fmt::format_string<Args...> f, Args&&... args) {
    return Status(StatusCode::kIO, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  static Status Internal(fmt::format_string<Args...> f, Args&&... args) {
    return Status(StatusCode::kInternal, fmt::format(f, std::forward<Args>(args)...));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid argument: ..." — the one line a user sees.
  std::string ToString() const;

  // Returns a copy whose message starts with `context: `, to say where a
  // failure happened without losing what it was.
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Holds either a value or a failed Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace lakeflow

#define LF_CONCAT_INNER(a, b) a##b
#define LF_CONCAT(a, b) LF_CONCAT_INNER(a, b)

#define LF_RETURN_IF_ERROR(expr)        \
  do {                                  \
    ::lakeflow::Status _lf_st = (expr); \
    if (!_lf_st.ok()) return _lf_st;    \
  } while (0)

#define LF_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                             \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

#define LF_ASSIGN_OR_RETURN(lhs, rexpr) \
  LF_ASSIGN_OR_RETURN_IMPL(LF_CONCAT(_lf_result_, __LINE__), lhs, rexpr)

// Arrow calls report arrow::Status; these carry them into ours.
#define LF_RETURN_IF_ARROW_ERROR(expr)                                                       \
  do {                                                                                       \
    ::arrow::Status _lf_ast = (expr);                                                        \
    if (!_lf_ast.ok()) return ::lakeflow::Status::Internal("arrow: {}", _lf_ast.ToString()); \
  } while (0)

#define LF_ASSIGN_OR_RETURN_ARROW_IMPL(tmp, lhs, rexpr)                                     \
  auto tmp = (rexpr);                                                                       \
  if (!tmp.ok()) return ::lakeflow::Status::Internal("arrow: {}", tmp.status().ToString()); \
  lhs = std::move(tmp).ValueUnsafe()

#define LF_ASSIGN_OR_RETURN_ARROW(lhs, rexpr) \
  LF_ASSIGN_OR_RETURN_ARROW_IMPL(LF_CONCAT(_lf_aresult_, __LINE__), lhs, rexpr)
