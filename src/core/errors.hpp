#pragma once
/// Typed exceptions for what aborts an operation. Expected outcomes are values, not exceptions.
#include <stdexcept>
#include <string>

namespace revlens {

/// Base of every revlens error; the message is one line a user can act on.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad or missing configuration (environment, .env, revlens.toml, command line).
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// A warehouse (DuckDB, PostgreSQL) refused an operation.
class WarehouseError : public Error {
 public:
  using Error::Error;
};

/// Input that could not be parsed (JSON page, CSV export, portal file).
class InvalidInputError : public Error {
 public:
  using Error::Error;
};

/// An I/O failure (file, socket).
class IOError : public Error {
 public:
  using Error::Error;
};

/// HubSpot (or the emulator) answered with an error status.
class HubSpotApiError : public Error {
 public:
  HubSpotApiError(int status, std::string correlation_id, const std::string& message)
      : Error(message), status_(status), correlation_id_(std::move(correlation_id)) {}
  int Status() const { return status_; }
  const std::string& CorrelationId() const { return correlation_id_; }

 private:
  int status_;
  std::string correlation_id_;
};

}  // namespace revlens
