// fuzz/fuzz_jsonrpc.cpp — rpc::parse_message / parse_batch / serialize on arbitrary bytes.
//
// Beyond "never crashes", checks the framing and round-trip contract the transports rely on:
// every serialised message is one line, parses back to the same kind of message, and serialises
// to the same bytes again (so a relayed message is stable); an error reply to a rejected message
// that carried an id parses back as a response.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rpc/message.h"

namespace {

using cci::rpc::Message;

[[noreturn]] void violation(const char* what, std::string_view detail) {
  std::fprintf(stderr, "fuzz_jsonrpc: %s: %.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void check_round_trip(const Message& message) {
  const std::string once = cci::rpc::serialize(message);
  if (once.find('\n') != std::string::npos) violation("serialised message contains a newline", once);
  auto again = cci::rpc::parse_message(once);
  if (!again) violation("serialised message does not re-parse", once);
  if (again->index() != message.index()) violation("re-parsed message changed kind", once);
  const std::string twice = cci::rpc::serialize(*again);
  if (twice != once) violation("serialisation is not stable", once + " vs " + twice);
}

void check_failure(const cci::rpc::ParseFailure& failure) {
  const std::string reply = cci::rpc::serialize_error(failure.id, failure.error);
  if (reply.find('\n') != std::string::npos) violation("error reply contains a newline", reply);
  if (!failure.id) return;  // id:null replies are valid JSON-RPC but not parseable as a response
  auto parsed = cci::rpc::parse_message(reply);
  if (!parsed || !std::holds_alternative<cci::rpc::Response>(*parsed)) {
    violation("error reply does not parse as a response", reply);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto message = cci::rpc::parse_message(text)) {
    check_round_trip(*message);
  } else {
    check_failure(message.error());
  }

  const bool batch = cci::rpc::looks_like_batch(text);
  const auto elements = cci::rpc::parse_batch(text);
  if (elements.empty()) violation("parse_batch returned nothing", text);
  if (!batch && elements.size() != 1) violation("a non-batch parsed as several messages", text);
  for (const auto& element : elements) {
    if (element) {
      check_round_trip(*element);
    } else {
      check_failure(element.error());
    }
  }
  return 0;
}
