// core/result.h — the error vocabulary used at every module boundary.
//
// A fallible call returns cci::Result<T> (std::expected<T, cci::Error>). Modules may throw
// internally (nlohmann, std::filesystem), but convert to Error at their public edge.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace cci {

enum class ErrorCode {
  InvalidArgument,   // the caller passed something malformed
  NotFound,          // a project, file or symbol does not exist
  NotIndexed,        // the project has no index yet
  IoError,           // the file system refused
  Corrupt,           // on-disk data failed validation
  Unsupported,       // e.g. an unknown language or schema version from the future
  Refused,           // a safety rule said no (indexing / without --force, a path outside the root)
  Cancelled,
  Unavailable,       // a service (the daemon) is not running or not reachable
  Timeout,           // no answer within the deadline
  Internal,
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;

  std::string describe() const;  // "not found: no symbol named Foo"
};

template <class T>
using Result = std::expected<T, Error>;

using Status = std::expected<void, Error>;

inline std::unexpected<Error> make_error(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace cci
