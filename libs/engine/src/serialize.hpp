// Internal: the versioned binary form of one ticket (for the state store).
// Little-endian varints and length-prefixed strings; target pointers are not
// stored but re-resolved against the policy on decode.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sla/base/result.hpp"
#include "ticket.hpp"

namespace sla::engine::detail {

[[nodiscard]] std::string encode_ticket(const Ticket& t, const Interner& atoms);
/// Strings are interned through `atoms` (the engine's table).
[[nodiscard]] sla::Result<std::unique_ptr<Ticket>> decode_ticket(std::string_view bytes, const policy::Policy& p,
                                                                 Interner& atoms);

}  // namespace sla::engine::detail
