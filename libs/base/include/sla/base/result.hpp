// sla::Result<T>: the value-or-error type every fallible core function
// returns. Not an exception type: exceptions are for start-up failures and
// broken invariants only.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace sla {

/// Error categories. Stable: adapters map them to DLQ reasons and HTTP codes.
enum class ErrorCode {
  kInvalidArgument,  ///< malformed input (duration, timestamp, field)
  kNotFound,         ///< a named thing (calendar, plan, ticket) does not exist
  kOutOfRange,       ///< a value outside what the service supports
  kLoadError,        ///< a policy or calendar file failed to load
  kUnavailable,      ///< an external service is not reachable
  kInternal,         ///< a broken invariant
};

/// Error{code, message[, reason]}. `message` is for humans and names what was
/// wrong. `reason`, when the producer gives one, is a stable machine-readable
/// name of the rejection (a DLQ reason such as "too_late"); it must point to
/// static storage (a string literal).
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string_view reason = {};
};

template <typename T>
using Result = tl::expected<T, Error>;

/// Builds the error side of a Result: `return sla::fail(ErrorCode::kNotFound, "...")`.
[[nodiscard]] inline tl::unexpected<Error> fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message), {}});
}

/// As above, with a stable reason (static storage: a string literal).
[[nodiscard]] inline tl::unexpected<Error> fail(ErrorCode code, std::string message, std::string_view reason) {
  return tl::unexpected<Error>(Error{code, std::move(message), reason});
}

}  // namespace sla
