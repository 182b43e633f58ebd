// core/result.cpp — error code names and the human-readable form of an Error.
#include "core/result.h"

namespace cci {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return "invalid argument";
    case ErrorCode::NotFound: return "not found";
    case ErrorCode::NotIndexed: return "not indexed";
    case ErrorCode::IoError: return "I/O error";
    case ErrorCode::Corrupt: return "corrupt";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::Refused: return "refused";
    case ErrorCode::Cancelled: return "cancelled";
    case ErrorCode::Unavailable: return "unavailable";
    case ErrorCode::Timeout: return "timed out";
    case ErrorCode::Internal: return "internal error";
  }
  return "error";
}

std::string Error::describe() const {
  std::string out(to_string(code));
  out += ": ";
  out += message;
  return out;
}

}  // namespace cci
