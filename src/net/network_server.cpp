// net/network_server.cpp — the WebSocket and Streamable HTTP transports on one Boost.Beast port.
//
// Threading: one io_context run by `io_threads` threads. Every connection lives on its own strand
// and has exactly one outstanding write, fed by a queue; Outbound::send (called from the MCP
// worker pool) only posts onto that strand, so tool work never runs on an io thread and an io
// thread never waits for a tool. Streamable HTTP session state (streams, replay buffers) is
// shared between connections and workers and guarded by a mutex per session.
//
// Streamable HTTP: each POST carrying requests gets a stream (id > 0; the standalone GET stream is
// id 0). A stream starts "undecided": if the first thing the session says on it is the final
// response, the POST is answered with application/json; anything earlier (progress, logging, a
// server→client request) or a progressToken on the request switches it to SSE. SSE event ids are
// "<stream>-<seq>", so GET + Last-Event-ID finds the stream to replay from its bounded buffer.
// SSE polling (NetworkOptions::poll_request) uses the same machinery: the POST's response ends
// after the priming event, the stream lives on without a connection, and the client's GET picks it
// up (replay, then live events, then the end when its last response is out).
//
// Authentication: /healthz needs no token (liveness probes carry none) but still passes the Host
// and Origin checks; everything else needs the bearer token when one is set (extra routes say
// for themselves). WebSocket clients that cannot set headers (browsers, the TS SDK's
// WebSocketClientTransport) may pass it as `?access_token=` on the upgrade URL.
//
// Unix socket: newline-delimited JSON-RPC, one session per connection, framed like stdio (an
// oversized line is skipped to its newline and answered, never buffered). A client that only
// half-closes (`nc -U`, socat) still gets the answers to what it sent before its EOF.
#include "net/network_server.h"

#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/log.h"
#include "rpc/json.h"
#include "rpc/message.h"

namespace cci::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using local_stream = asio::local::stream_protocol;
using Clock = std::chrono::steady_clock;
using rpc::Json;

constexpr std::size_t kMaxEventsPerStream = 1024;   // replay buffer per SSE stream
constexpr std::size_t kRetainedFinishedStreams = 64;  // finished POST streams kept for resumption
constexpr int kSseRetryMs = 1000;
// The first protocol version whose clients reconnect to a POST stream the server ended (SEP-1699).
constexpr std::string_view kSsePollingVersion = "2025-11-25";
constexpr auto kIdleConnectionTimeout = std::chrono::seconds(120);  // waiting for a request header
constexpr auto kDrainTimeout = std::chrono::milliseconds(2000);     // in-flight requests at stop()
constexpr auto kJoinTimeout = std::chrono::milliseconds(3000);      // io threads after closing
constexpr std::size_t kUnixReadChunk = 64 * 1024;
constexpr std::size_t kUnixMaxGather = 64;  // queued messages written by one gathered write
// A client that sends but does not read stops being read once this many answers wait for it,
// so its answers cannot pile up without bound; reading resumes when they are written.
constexpr std::size_t kUnixMaxQueued = 1024;
// After a half-closing Unix client's last request finishes, its response may still be on the
// way to the connection's queue (the session forgets a request just before answering it).
constexpr auto kUnixAnswerGrace = std::chrono::milliseconds(50);

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The host part of a Host header or URL authority, lowercased: "[::1]:8080" -> "[::1]".
std::string host_name_of(std::string_view authority) {
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    return lower(close == std::string_view::npos ? authority : authority.substr(0, close + 1));
  }
  return lower(authority.substr(0, authority.find(':')));
}

bool is_loopback_name(std::string_view host) {
  return host == "localhost" || host == "127.0.0.1" || host == "[::1]";
}

// Constant-time in the token's length: a timing side channel must not reveal a prefix.
bool token_equal(std::string_view given, std::string_view expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int value = 0;
      const auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16);
      if (r.ec == std::errc() && r.ptr == s.data() + i + 3) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::string random_session_id() {
  unsigned char bytes[16];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (const unsigned char b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 15]);
  }
  return id;
}

std::string rpc_error_body(int code, std::string message) {
  return rpc::serialize_error(std::nullopt, rpc::RpcError{code, std::move(message), std::nullopt});
}

bool is_supported_version(std::string_view v) {
  for (const auto supported : mcp::kSupportedProtocolVersions) {
    if (v == supported) return true;
  }
  return false;
}

// One SSE event; a message with embedded newlines becomes several data: lines.
std::string format_event(std::string_view event_id, std::string_view data) {
  std::string out = "id: ";
  out += event_id;
  out += '\n';
  std::size_t start = 0;
  for (;;) {
    const auto nl = data.find('\n', start);
    out += "data: ";
    out += data.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    out += '\n';
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  out += '\n';
  return out;
}

std::string event_id(std::uint64_t stream, std::uint64_t seq) {
  return std::to_string(stream) + "-" + std::to_string(seq);
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_event_id(std::string_view id) {
  const auto dash = id.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::uint64_t stream = 0, seq = 0;
  const auto a = std::from_chars(id.data(), id.data() + dash, stream);
  const auto b = std::from_chars(id.data() + dash + 1, id.data() + id.size(), seq);
  if (a.ec != std::errc() || b.ec != std::errc() || a.ptr != id.data() + dash || b.ptr != id.data() + id.size()) {
    return std::nullopt;
  }
  return std::pair{stream, seq};
}

std::string chunk(std::string_view data) {
  char size[32];
  const auto r = std::to_chars(size, size + sizeof size, data.size(), 16);
  std::string out(size, r.ptr);
  out += "\r\n";
  out += data;
  out += "\r\n";
  return out;
}

// The ids of the responses in one outgoing message (an object or a batch array); sets
// `whole_body_error` for an error without id (it answers the whole POST body).
void response_ids(const Json& message, std::vector<std::string>& ids, bool& whole_body_error) {
  if (message.is_array()) {
    for (const auto& item : message) response_ids(item, ids, whole_body_error);
    return;
  }
  if (!message.is_object() || message.contains("method")) return;
  if (!message.contains("result") && !message.contains("error")) return;
  const auto id = message.find("id");
  if (id == message.end() || id->is_null()) {
    whole_body_error = true;
    return;
  }
  ids.push_back(id->dump());
}

struct Response {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool head_only = false;  // HEAD: the headers (Content-Length of the body) without the body
};

Response json_error(unsigned status, int code, std::string message) {
  return Response{status, "application/json", rpc_error_body(code, std::move(message)), {}};
}

class NetworkServerImpl;
class HttpSession;

// ---------------------------------------------------------------------------------------------
// One TCP connection speaking HTTP/1.1; hands itself over to a WsConnection on upgrade.
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(NetworkServerImpl& server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {}

  void run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
  }

  bool closed() const { return closed_.load(); }

  // Thread-safe entry points: each posts onto the connection's strand.
  void post_response(Response response) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), r = std::move(response)]() mutable {
      self->enqueue(self->format_response(r));
      self->enqueue_end();
    });
  }
  void post_sse_start(std::vector<std::pair<std::string, std::string>> headers, std::string first_event) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), h = std::move(headers), e = std::move(first_event)] {
      std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                         "Transfer-Encoding: chunked\r\n";
      for (const auto& [name, value] : h) head += name + ": " + value + "\r\n";
      if (self->close_after_) head += "Connection: close\r\n";
      head += "\r\n";
      self->enqueue(std::move(head));
      if (!e.empty()) self->enqueue(chunk(e));
    });
  }
  void post_event(std::string event) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), e = std::move(event)] { self->enqueue(chunk(e)); });
  }
  void post_sse_end() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->enqueue("0\r\n\r\n");
      self->enqueue_end();
    });
  }
  void post_close() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
  }

 private:
  struct Item {
    std::string bytes;
    bool end = false;  // marks the end of the current response
  };

  void do_read() {
    if (closed_ || reading_) return;
    reading_ = true;
    parser_.emplace();
    parser_->body_limit(max_body());
    if (busy_) {
      stream_.expires_never();
    } else {
      stream_.expires_after(kIdleConnectionTimeout);
    }
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    reading_ = false;
    if (ec == http::error::body_limit) {
      close_after_ = true;
      busy_ = true;
      enqueue(format_response(json_error(413, rpc::error_code::kInvalidRequest,
                                         "request body exceeds the " + std::to_string(max_body()) + " byte limit")));
      enqueue_end();
      return;
    }
    if (ec) {
      // The peer went away (or timed out): whatever stream this connection carried stays
      // buffered in its session for resumption.
      close();
      return;
    }
    stream_.expires_never();
    auto request = parser_->release();
    if (busy_) {
      stashed_ = std::move(request);  // a pipelined request: answered after the current one
      return;
    }
    handle(std::move(request));
  }

  void handle(http::request<http::string_body> request);  // defined after NetworkServerImpl

  std::size_t max_body() const;

  std::string format_response(const Response& r) {
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " +
                      std::string(http::obsolete_reason(static_cast<http::status>(r.status))) + "\r\n";
    if (!r.content_type.empty()) out += "Content-Type: " + r.content_type + "\r\n";
    for (const auto& [name, value] : r.headers) out += name + ": " + value + "\r\n";
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    if (close_after_) out += "Connection: close\r\n";
    out += "\r\n";
    if (!r.head_only) out += r.body;
    return out;
  }

  void enqueue(std::string bytes) {
    if (closed_) return;
    queue_.push_back(Item{std::move(bytes), false});
    pump();
  }
  void enqueue_end() {
    if (closed_) return;
    queue_.push_back(Item{{}, true});
    pump();
  }

  void pump() {
    while (!writing_ && !closed_ && !queue_.empty()) {
      if (queue_.front().end) {
        queue_.pop_front();
        finish_response();
        continue;
      }
      writing_ = true;
      asio::async_write(stream_, asio::buffer(queue_.front().bytes),
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                          self->writing_ = false;
                          if (ec || self->closed_) {
                            self->close();
                            return;
                          }
                          self->queue_.pop_front();
                          self->pump();
                        });
      return;
    }
  }

  void finish_response() {
    busy_ = false;
    if (close_after_) {
      close();
      return;
    }
    if (stashed_) {
      auto request = std::move(*stashed_);
      stashed_.reset();
      handle(std::move(request));
      return;
    }
    do_read();
  }

  // The queue is left alone: a write in flight still owns its front element.
  void close() {
    if (closed_.exchange(true)) return;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  friend class NetworkServerImpl;

  NetworkServerImpl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::request<http::string_body>> stashed_;
  std::deque<Item> queue_;
  bool writing_ = false;
  bool reading_ = false;
  bool busy_ = false;         // a response (possibly a long SSE stream) is under way
  bool close_after_ = false;  // the client asked for Connection: close, or the request was fatal
  std::atomic<bool> closed_{false};
};

// ---------------------------------------------------------------------------------------------
// One WebSocket connection = one MCP session; one JSON-RPC message per text frame.
class WsConnection : public std::enable_shared_from_this<WsConnection> {
 public:
  WsConnection(NetworkServerImpl& server, beast::tcp_stream stream) : server_(server), ws_(std::move(stream)) {}

  void run(http::request<http::string_body> request, std::string subprotocol);

  void send(std::string message) {
    asio::post(ws_.get_executor(), [self = shared_from_this(), m = std::move(message)]() mutable {
      if (self->closed_) return;
      self->queue_.push_back(std::move(m));
      self->pump();
    });
  }

  void post_close() {
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
      if (self->closed_ || !self->accepted_) return;
      // A peer that never answers the close frame must not hold stop() up.
      websocket::stream_base::timeout timeouts;
      self->ws_.get_option(timeouts);
      timeouts.handshake_timeout = std::chrono::seconds(1);
      self->ws_.set_option(timeouts);
      self->ws_.async_close(websocket::close_code::going_away, [self](beast::error_code) { self->finish(); });
    });
  }

  bool open() const { return !closed_.load(); }

  // For stop()'s drain, from any thread (session_ itself belongs to the strand).
  std::size_t in_flight() const {
    const auto session = published_session_.load();
    return session && open() ? session->in_flight() : 0;
  }

 private:
  void do_read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      // message_too_big: Beast has already sent close code 1009 (too_big).
      finish();
      return;
    }
    std::string message = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (session_) session_->receive(message);
    do_read();
  }

  void pump() {
    if (writing_ || closed_ || queue_.empty()) return;
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      if (ec || self->closed_) {
        self->finish();
        return;
      }
      self->queue_.pop_front();
      self->pump();
    });
  }

  void finish() {
    if (closed_.exchange(true)) return;  // the queue stays: a write in flight owns its front element
    if (session_) session_->close();
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).close();
  }

  NetworkServerImpl& server_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  std::shared_ptr<mcp::Session> session_;
  std::atomic<std::shared_ptr<mcp::Session>> published_session_;
  bool writing_ = false;
  bool accepted_ = false;
  std::atomic<bool> closed_{false};
};

class WsOutbound final : public mcp::Outbound {
 public:
  explicit WsOutbound(std::weak_ptr<WsConnection> connection) : connection_(std::move(connection)) {}
  void send(std::string message) override {
    if (auto c = connection_.lock()) c->send(std::move(message));
  }

 private:
  std::weak_ptr<WsConnection> connection_;
};

// ---------------------------------------------------------------------------------------------
// One Unix socket connection = one MCP session; newline-delimited JSON-RPC as on stdio.
class UnixConnection : public std::enable_shared_from_this<UnixConnection> {
 public:
  UnixConnection(local_stream::socket socket, std::size_t max_message_bytes)
      : socket_(std::move(socket)), limit_(max_message_bytes), read_buffer_(new char[kUnixReadChunk]) {}

  // The session is set before the connection is published or reads anything.
  void start(std::shared_ptr<mcp::Session> session) {
    session_ = std::move(session);
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->do_read(); });
  }

  const std::shared_ptr<mcp::Session>& session() const { return session_; }
  bool open() const { return !closed_.load(); }

  void send(std::string message) {
    asio::post(socket_.get_executor(), [self = shared_from_this(), m = std::move(message)]() mutable {
      self->enqueue(std::move(m));
    });
  }

  // Graceful: what is queued is written first.
  void post_close() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->close_when_flushed(); });
  }

 private:
  void do_read() {
    if (closed_ || read_done_) return;
    socket_.async_read_some(asio::buffer(read_buffer_.get(), kUnixReadChunk),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(beast::error_code ec, std::size_t n) {
    if (closed_) return;
    if (ec == asio::error::eof) {
      if (discarding_) {
        reject_oversized();
      } else if (!line_.empty()) {
        deliver(line_);  // a last message without its newline is still a message
      }
      read_done_ = true;
      drain_then_close(Clock::now() + kDrainTimeout);
      return;
    }
    if (ec) {
      finish();
      return;
    }
    std::string_view chunk(read_buffer_.get(), n);
    while (!chunk.empty()) {
      const auto nl = chunk.find('\n');
      const std::string_view piece = chunk.substr(0, nl);
      if (discarding_) {
        discarded_ += piece.size();
      } else if (nl != std::string_view::npos && line_.empty()) {
        if (piece.size() > limit_ + 1 && limit_ != 0) {
          discarded_ = piece.size();
          reject_oversized();
        } else {
          deliver(piece);  // the common case: a whole line inside one read, no copy
        }
        chunk.remove_prefix(nl + 1);
        continue;
      } else {
        line_.append(piece);
        if (limit_ != 0 && line_.size() > limit_ + 1) {  // +1: a trailing '\r' is framing, not message
          discarding_ = true;
          discarded_ = line_.size();
          std::string().swap(line_);
        }
      }
      if (nl == std::string_view::npos) break;
      if (discarding_) {
        reject_oversized();
      } else {
        deliver(line_);
        line_.clear();
      }
      chunk.remove_prefix(nl + 1);
    }
    if (queue_.size() >= kUnixMaxQueued) {
      read_paused_ = true;  // pump() resumes once the client has read its answers
      return;
    }
    do_read();
  }

  void deliver(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;  // blank lines are ignored
    session_->receive(line);
  }

  // The error the session gives for oversized input, without ever holding the line.
  void reject_oversized() {
    constexpr std::size_t kMiB = 1u << 20;
    const std::string limit = limit_ >= kMiB && limit_ % kMiB == 0 ? std::to_string(limit_ / kMiB) + " MiB"
                                                                    : std::to_string(limit_) + " bytes";
    enqueue(rpc::serialize_error(std::nullopt, rpc::RpcError{rpc::error_code::kInvalidRequest,
                                                             "message of " + std::to_string(discarded_) +
                                                                 " bytes exceeds the " + limit + " limit",
                                                             std::nullopt}));
    discarding_ = false;
    discarded_ = 0;
  }

  // The client sent EOF but may still read: answer what it asked (bounded), then close.
  void drain_then_close(Clock::time_point deadline) {
    if (closed_) return;
    const bool busy = session_->in_flight() > 0 && Clock::now() < deadline;
    if (!drain_timer_) drain_timer_.emplace(socket_.get_executor());
    drain_timer_->expires_after(busy ? std::chrono::milliseconds(5) : kUnixAnswerGrace);
    drain_timer_->async_wait([self = shared_from_this(), busy, deadline](beast::error_code ec) {
      if (ec) return;
      if (busy) {
        self->drain_then_close(deadline);
      } else {
        self->close_when_flushed();
      }
    });
  }

  void enqueue(std::string message) {
    if (closed_ || closing_) return;
    queue_.push_back(std::move(message));
    pump();
  }

  // One gathered write for everything queued (up to a bound): message, "\n", message, "\n", ...
  void pump() {
    if (writing_ || closed_) return;
    if (queue_.empty()) {
      if (closing_) finish();
      return;
    }
    static constexpr char kNewline = '\n';
    gather_.clear();
    in_write_ = std::min(queue_.size(), kUnixMaxGather);
    for (std::size_t i = 0; i < in_write_; ++i) {
      gather_.push_back(asio::buffer(queue_[i]));
      gather_.push_back(asio::buffer(&kNewline, 1));
    }
    writing_ = true;
    asio::async_write(socket_, gather_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      if (ec || self->closed_) {
        self->finish();
        return;
      }
      self->queue_.erase(self->queue_.begin(), self->queue_.begin() + static_cast<std::ptrdiff_t>(self->in_write_));
      if (self->read_paused_ && self->queue_.size() < kUnixMaxQueued / 2) {
        self->read_paused_ = false;
        self->do_read();
      }
      self->pump();
    });
  }

  void close_when_flushed() {
    if (closed_) return;
    closing_ = true;
    if (!writing_ && queue_.empty()) finish();
  }

  void finish() {
    if (closed_.exchange(true)) return;  // the queue stays: a write in flight owns its front elements
    if (session_) session_->close();
    if (drain_timer_) drain_timer_->cancel();
    beast::error_code ec;
    socket_.shutdown(local_stream::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  local_stream::socket socket_;
  const std::size_t limit_;
  std::unique_ptr<char[]> read_buffer_;
  std::string line_;            // a line split across reads
  bool discarding_ = false;     // inside an oversized line, skipping to its newline
  std::size_t discarded_ = 0;   // bytes of the oversized line so far
  bool read_done_ = false;      // the client sent EOF
  bool read_paused_ = false;    // too many answers unwritten: not reading (kUnixMaxQueued)
  std::optional<asio::steady_timer> drain_timer_;
  std::deque<std::string> queue_;
  std::vector<asio::const_buffer> gather_;
  std::size_t in_write_ = 0;
  bool writing_ = false;
  bool closing_ = false;  // close once the queue is written
  std::shared_ptr<mcp::Session> session_;
  std::atomic<bool> closed_{false};
};

class UnixOutbound final : public mcp::Outbound {
 public:
  explicit UnixOutbound(std::weak_ptr<UnixConnection> connection) : connection_(std::move(connection)) {}
  void send(std::string message) override {
    if (auto c = connection_.lock()) c->send(std::move(message));
  }

 private:
  std::weak_ptr<UnixConnection> connection_;
};

// ---------------------------------------------------------------------------------------------
// A Streamable HTTP session: the MCP session plus its SSE streams and their replay buffers.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  static constexpr std::uint64_t kStandalone = 0;

  explicit HttpSession(std::string id) : id_(std::move(id)), last_activity_(Clock::now()) {
    streams_[kStandalone].standalone = true;
    streams_[kStandalone].sse = true;
  }

  const std::string& id() const { return id_; }
  void attach(std::shared_ptr<mcp::Session> session) { session_ = std::move(session); }
  const std::shared_ptr<mcp::Session>& session() const { return session_; }

  void touch() {
    std::lock_guard lock(mutex_);
    last_activity_ = Clock::now();
  }

  // Idle for at least `timeout`: no traffic, no request running, no standalone stream open.
  bool expired(std::chrono::seconds timeout) const {
    // in_flight() outside mutex_: the MCP session may hold its own lock while it calls deliver().
    if (session_ && session_->in_flight() > 0) return false;
    std::lock_guard lock(mutex_);
    if (Clock::now() - last_activity_ < timeout) return false;
    auto it = streams_.find(kStandalone);
    return !live(it->second.conn);
  }

  enum class Open { Undecided, Sse, Poll };

  // A new stream for one POST's requests. Sse opens it as SSE at once (with priming); Poll also
  // ends the response right after the priming event, so everything said on the stream waits in
  // its buffer for the client's GET with Last-Event-ID.
  std::uint64_t open_stream(const std::shared_ptr<HttpConnection>& connection, std::set<std::string> ids, Open open,
                            std::vector<std::pair<std::string, std::string>> headers) {
    std::lock_guard lock(mutex_);
    last_activity_ = Clock::now();
    const std::uint64_t sid = next_stream_++;
    Stream& s = streams_[sid];
    s.pending = std::move(ids);
    s.conn = connection;
    s.headers = std::move(headers);
    if (open != Open::Undecided) start_sse_locked(sid, s, connection);
    if (open == Open::Poll) {
      connection->post_sse_end();
      s.conn.reset();
    }
    return sid;
  }

  // Everything the MCP session says, on stream `sid` (0 = not tied to a request).
  void deliver(std::uint64_t sid, std::string message) {
    std::lock_guard lock(mutex_);
    last_activity_ = Clock::now();
    auto it = streams_.find(sid);
    if (it == streams_.end() || it->second.finished) return;  // a stream that is over carries nothing
    Stream& s = it->second;
    bool done = false;
    if (!s.standalone) {
      std::vector<std::string> ids;
      bool whole_body_error = false;
      try {
        response_ids(Json::parse(message), ids, whole_body_error);
      } catch (const Json::exception&) {
      }
      for (const auto& id : ids) s.pending.erase(id);
      done = whole_body_error || s.pending.empty();
    }
    auto conn = live(s.conn);
    if (!s.sse && done) {
      // Nothing was said before the response: a plain JSON answer, nothing to resume.
      Response r{200, "application/json", std::move(message), s.headers};
      streams_.erase(it);
      if (conn) conn->post_response(std::move(r));
      return;
    }
    if (!s.sse) start_sse_locked(sid, s, conn);
    const std::uint64_t seq = s.next_seq++;
    std::string event = format_event(event_id(sid, seq), message);
    if (conn) {
      conn->post_event(event);
      s.sent_upto = seq;
    }
    s.buffer.push_back(Event{seq, std::move(event)});
    if (s.buffer.size() > kMaxEventsPerStream) s.buffer.pop_front();
    if (done) finish_locked(sid, s, conn);
  }

  enum class Attach { Ok, Conflict };

  // GET: the standalone stream, or a replay of stream `resume->first` after event `resume->second`.
  Attach attach_get(const std::shared_ptr<HttpConnection>& connection,
                    std::optional<std::pair<std::uint64_t, std::uint64_t>> resume) {
    std::lock_guard lock(mutex_);
    last_activity_ = Clock::now();
    std::uint64_t sid = kStandalone;
    std::uint64_t after = 0;
    if (resume && streams_.contains(resume->first)) {
      sid = resume->first;
      after = resume->second;
    }
    Stream& s = streams_[sid];
    if (live(s.conn)) {
      if (sid == kStandalone) return Attach::Conflict;
      s.conn.lock()->post_close();  // a resumed POST stream moves to the newest connection
    }
    if (sid == kStandalone && !resume) after = s.sent_upto;  // a fresh GET gets what nobody saw yet
    const std::string priming = "id: " + event_id(sid, after) + "\nretry: " + std::to_string(kSseRetryMs) + "\ndata: \n\n";
    connection->post_sse_start({}, priming);
    for (const auto& e : s.buffer) {
      if (e.seq > after) {
        connection->post_event(e.text);
        s.sent_upto = std::max(s.sent_upto, e.seq);
      }
    }
    if (s.finished) {
      connection->post_sse_end();
    } else {
      s.conn = connection;
    }
    return Attach::Ok;
  }

  // DELETE, expiry or stop: close the MCP session and end every open stream.
  void end() {
    std::vector<std::shared_ptr<HttpConnection>> conns;
    {
      std::lock_guard lock(mutex_);
      for (auto& [sid, s] : streams_) {
        if (auto c = live(s.conn)) conns.push_back(c);
        s.conn.reset();
        s.finished = true;
      }
    }
    if (session_) session_->close();
    for (auto& c : conns) c->post_sse_end();
  }

 private:
  struct Event {
    std::uint64_t seq;
    std::string text;
  };
  struct Stream {
    bool standalone = false;
    bool sse = false;
    bool finished = false;
    std::set<std::string> pending;  // ids (as JSON text) of requests still unanswered
    std::uint64_t next_seq = 1;     // 0 is the priming event
    std::uint64_t sent_upto = 0;    // last event handed to a connection
    std::deque<Event> buffer;
    std::weak_ptr<HttpConnection> conn;
    std::vector<std::pair<std::string, std::string>> headers;
  };

  static std::shared_ptr<HttpConnection> live(const std::weak_ptr<HttpConnection>& c) {
    auto conn = c.lock();
    return conn && !conn->closed() ? conn : nullptr;
  }

  void start_sse_locked(std::uint64_t sid, Stream& s, const std::shared_ptr<HttpConnection>& conn) {
    s.sse = true;
    if (!conn) return;
    // Priming event (2025-11-25): an id to resume from before anything else, and the retry delay.
    conn->post_sse_start(s.headers, "id: " + event_id(sid, 0) + "\nretry: " + std::to_string(kSseRetryMs) + "\ndata: \n\n");
  }

  void finish_locked(std::uint64_t sid, Stream& s, const std::shared_ptr<HttpConnection>& conn) {
    s.finished = true;
    s.conn.reset();
    if (conn) conn->post_sse_end();
    finished_order_.push_back(sid);
    while (finished_order_.size() > kRetainedFinishedStreams) {
      streams_.erase(finished_order_.front());
      finished_order_.pop_front();
    }
  }

  const std::string id_;
  std::shared_ptr<mcp::Session> session_;
  mutable std::mutex mutex_;
  std::map<std::uint64_t, Stream> streams_;
  std::deque<std::uint64_t> finished_order_;
  std::uint64_t next_stream_ = 1;
  Clock::time_point last_activity_;
};

class StreamOutbound final : public mcp::Outbound {
 public:
  StreamOutbound(std::weak_ptr<HttpSession> session, std::uint64_t stream) : session_(std::move(session)), stream_(stream) {}
  void send(std::string message) override {
    if (auto s = session_.lock()) s->deliver(stream_, std::move(message));
  }

 private:
  std::weak_ptr<HttpSession> session_;
  std::uint64_t stream_;
};

// Collects what the session answers synchronously to a body without requests (an invalid one).
class CaptureOutbound final : public mcp::Outbound {
 public:
  void send(std::string message) override {
    std::lock_guard lock(mutex_);
    messages_.push_back(std::move(message));
  }
  std::vector<std::string> take() {
    std::lock_guard lock(mutex_);
    return std::move(messages_);
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> messages_;
};

// ---------------------------------------------------------------------------------------------
class NetworkServerImpl final : public NetworkServer {
 public:
  NetworkServerImpl(mcp::Server& server, NetworkOptions options)
      : server_(server),
        options_(std::move(options)),
        work_(asio::make_work_guard(ioc_)),
        acceptor_(asio::make_strand(ioc_)),
        unix_acceptor_(asio::make_strand(ioc_)),
        sweep_timer_(acceptor_.get_executor()) {
    if (options_.working_directory.empty()) {
      std::error_code ec;
      options_.working_directory = std::filesystem::current_path(ec);
    }
    for (auto& origin : options_.allowed_origins) {
      origin = lower(origin);
      while (!origin.empty() && origin.back() == '/') origin.pop_back();
    }
  }

  ~NetworkServerImpl() override { stop(); }

  Status listen() {
    beast::error_code ec;
    std::string host = options_.host == "localhost" ? "127.0.0.1" : options_.host;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const auto address = asio::ip::make_address(host, ec);
    if (ec) return make_error(ErrorCode::InvalidArgument, "not an IP address: " + options_.host);
    if (!address.is_loopback() && options_.bearer_token.empty()) {
      return make_error(ErrorCode::Refused, "refusing to listen on non-loopback address " + options_.host +
                                                " without a bearer token (--token-file)");
    }
    wildcard_ = address.is_unspecified();
    bound_host_ = address.is_v6() ? "[" + lower(address.to_string()) + "]" : address.to_string();
    const tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return make_error(ErrorCode::IoError,
                        "cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    if (!options_.unix_socket.empty()) {
      if (auto status = listen_unix(); !status) return status;
    }
    do_accept();
    if (unix_bound_) do_accept_unix();
    schedule_sweep();
    const std::size_t n = std::max<std::size_t>(1, options_.io_threads);
    running_threads_ = n;
    for (std::size_t i = 0; i < n; ++i) {
      threads_.emplace_back([this] {
        ioc_.run();
        std::lock_guard lock(threads_mutex_);
        --running_threads_;
        threads_cv_.notify_all();
      });
    }
    return {};
  }

  std::uint16_t port() const override { return port_; }
  std::string host() const override { return options_.host; }
  std::filesystem::path unix_socket() const override { return unix_bound_ ? options_.unix_socket : std::filesystem::path(); }

  std::size_t open_sessions() const override {
    {
      std::lock_guard lock(stop_mutex_);
      if (stopped_) return 0;
    }
    std::size_t n = 0;
    {
      std::lock_guard lock(sessions_mutex_);
      n += sessions_.size();
    }
    std::lock_guard lock(conns_mutex_);
    for (const auto& w : ws_conns_) {
      if (auto c = w.lock(); c && c->open()) ++n;
    }
    for (const auto& w : unix_conns_) {
      if (auto c = w.lock(); c && c->open()) ++n;
    }
    return n;
  }

  void stop() override {
    {
      std::unique_lock lock(stop_mutex_);
      if (stopping_) {
        stop_cv_.wait(lock, [this] { return stopped_; });
        return;
      }
      stopping_ = true;
    }
    asio::post(acceptor_.get_executor(), [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      sweep_timer_.cancel();
    });
    if (unix_bound_) {
      asio::post(unix_acceptor_.get_executor(), [this] {
        beast::error_code ec;
        unix_acceptor_.close(ec);
      });
      remove_unix_socket_file();
    }
    // Graceful: running requests get a bounded time to answer while the io threads still run.
    const auto deadline = Clock::now() + kDrainTimeout;
    while (Clock::now() < deadline && in_flight() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));

    std::vector<std::shared_ptr<HttpSession>> sessions;
    {
      std::lock_guard lock(sessions_mutex_);
      for (auto& [id, s] : sessions_) sessions.push_back(s);
      sessions_.clear();
    }
    for (auto& s : sessions) s->end();
    {
      std::lock_guard lock(conns_mutex_);
      for (auto& w : ws_conns_) {
        if (auto c = w.lock()) c->post_close();
      }
      for (auto& w : http_conns_) {
        if (auto c = w.lock()) c->post_close();
      }
      for (auto& w : unix_conns_) {
        if (auto c = w.lock()) c->post_close();
      }
    }
    work_.reset();
    {
      std::unique_lock lock(threads_mutex_);
      if (!threads_cv_.wait_for(lock, kJoinTimeout, [this] { return running_threads_ == 0; })) ioc_.stop();
    }
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    {
      std::lock_guard lock(stop_mutex_);
      stopped_ = true;
    }
    stop_cv_.notify_all();
  }

  void wait() override {
    std::unique_lock lock(stop_mutex_);
    stop_cv_.wait(lock, [this] { return stopped_; });
  }

  // --- used by the connections ---------------------------------------------------------------

  std::size_t max_message_bytes() const { return options_.max_message_bytes; }

  // The extra route for `path`, or nullptr.
  const HttpRoute* find_route(std::string_view path) const {
    for (const auto& route : options_.routes) {
      if (route.path == path) return &route;
    }
    return nullptr;
  }

  // Host, Origin and token checks shared by HTTP and the WebSocket upgrade; nullopt = allowed.
  std::optional<Response> check_access(const http::request<http::string_body>& req, bool need_token) const {
    const auto host_header = req[http::field::host];
    const std::string host = host_name_of(trim(host_header));
    if (host.empty() || (!wildcard_ && !is_loopback_name(host) && host != bound_host_)) {
      return json_error(403, rpc::error_code::kServerError, "Forbidden: Host header is not this server");
    }
    const auto origin_it = req.find(http::field::origin);
    if (origin_it != req.end()) {
      std::string origin = lower(trim(origin_it->value()));
      while (!origin.empty() && origin.back() == '/') origin.pop_back();
      bool ok = std::find(options_.allowed_origins.begin(), options_.allowed_origins.end(), origin) !=
                options_.allowed_origins.end();
      for (const std::string_view scheme : {"http://", "https://"}) {
        if (!ok && origin.starts_with(scheme)) ok = is_loopback_name(host_name_of(origin.substr(scheme.size())));
      }
      if (!ok) return json_error(403, rpc::error_code::kServerError, "Forbidden: Origin not allowed");
    }
    if (need_token && !options_.bearer_token.empty()) {
      std::string given;
      const std::string_view auth = trim(req[http::field::authorization]);
      if (auth.size() > 7 && lower(auth.substr(0, 7)) == "bearer ") {
        given = std::string(trim(auth.substr(7)));
      } else if (beast::websocket::is_upgrade(req)) {
        given = query_param(req.target(), "access_token").value_or("");
      }
      if (!token_equal(given, options_.bearer_token)) {
        Response r = json_error(401, rpc::error_code::kServerError, "Unauthorized: a bearer token is required");
        r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"cci\"");
        return r;
      }
    }
    return std::nullopt;
  }

  void register_connection(const std::shared_ptr<HttpConnection>& c) {
    std::lock_guard lock(conns_mutex_);
    std::erase_if(http_conns_, [](const auto& w) { return w.expired(); });
    http_conns_.push_back(c);
  }
  void register_connection(const std::shared_ptr<WsConnection>& c) {
    std::lock_guard lock(conns_mutex_);
    std::erase_if(ws_conns_, [](const auto& w) { return w.expired(); });
    ws_conns_.push_back(c);
  }

  std::shared_ptr<mcp::Session> open_ws_session(const std::shared_ptr<WsConnection>& c) {
    return server_.open_session(std::make_shared<WsOutbound>(c), mcp::SessionInfo{"websocket", options_.working_directory});
  }

  // Streamable HTTP on /mcp; `conn` is on its strand and not busy.
  void handle_mcp(const std::shared_ptr<HttpConnection>& conn, const http::request<http::string_body>& req) {
    const auto method = req.method();
    if (method != http::verb::post && method != http::verb::get && method != http::verb::delete_) {
      Response r = json_error(405, rpc::error_code::kServerError, "Method not allowed");
      r.headers.emplace_back("Allow", "GET, POST, DELETE");
      conn->post_response(std::move(r));
      return;
    }
    const auto version_it = req.find("MCP-Protocol-Version");
    if (version_it != req.end() && !is_supported_version(trim(version_it->value()))) {
      conn->post_response(json_error(400, rpc::error_code::kServerError,
                                     "Bad Request: unsupported MCP-Protocol-Version " + std::string(version_it->value())));
      return;
    }
    const std::string accept = lower(req[http::field::accept]);
    const bool accepts_sse = accept.find("text/event-stream") != std::string::npos;
    const bool accepts_json = accept.find("application/json") != std::string::npos;

    if (method == http::verb::post) {
      handle_post(conn, req, accepts_json && accepts_sse);
      return;
    }
    auto session = find_session(conn, req);
    if (!session) return;
    if (method == http::verb::delete_) {
      {
        std::lock_guard lock(sessions_mutex_);
        sessions_.erase(session->id());
      }
      session->end();
      conn->post_response(Response{200, "", "", {}});
      return;
    }
    if (!accepts_sse) {
      conn->post_response(json_error(406, rpc::error_code::kServerError, "Not Acceptable: Accept must include text/event-stream"));
      return;
    }
    std::optional<std::pair<std::uint64_t, std::uint64_t>> resume;
    if (const auto last = req.find("Last-Event-ID"); last != req.end()) resume = parse_event_id(trim(last->value()));
    if (session->attach_get(conn, resume) == HttpSession::Attach::Conflict) {
      conn->post_response(json_error(409, rpc::error_code::kServerError,
                                     "Conflict: only one standalone SSE stream is allowed per session"));
    }
  }

 private:
  std::size_t in_flight() const {
    std::size_t n = 0;
    {
      std::lock_guard lock(sessions_mutex_);
      for (const auto& [id, s] : sessions_) n += s->session() ? s->session()->in_flight() : 0;
    }
    std::lock_guard lock(conns_mutex_);
    for (const auto& w : unix_conns_) {
      if (auto c = w.lock(); c && c->open()) n += c->session()->in_flight();
    }
    for (const auto& w : ws_conns_) {
      if (auto c = w.lock()) n += c->in_flight();
    }
    return n;
  }

  // A socket file left by a server that died is replaced; a live server's socket, or anything
  // that is not a socket, is left alone and refused.
  Status remove_stale_socket(const std::filesystem::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return {};
      return make_error(ErrorCode::IoError, "cannot inspect " + path.string() + ": " + std::strerror(errno));
    }
    if (!S_ISSOCK(st.st_mode)) {
      return make_error(ErrorCode::InvalidArgument, path.string() + " exists and is not a socket");
    }
    local_stream::socket probe(ioc_);
    beast::error_code ec;
    probe.connect(local_stream::endpoint(path.string()), ec);
    if (!ec) {
      return make_error(ErrorCode::Refused, "another server is already listening on " + path.string());
    }
    if (ec != asio::error::connection_refused) {
      return make_error(ErrorCode::IoError, "cannot tell whether a server is listening on " + path.string() + ": " +
                                                ec.message());
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return make_error(ErrorCode::IoError, "cannot remove the stale socket " + path.string() + ": " + std::strerror(errno));
    }
    return {};
  }

  Status listen_unix() {
    const std::string path = options_.unix_socket.string();
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
      return make_error(ErrorCode::InvalidArgument, "Unix socket path is longer than " +
                                                        std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                                                        " bytes: " + path);
    }
    if (auto status = remove_stale_socket(options_.unix_socket); !status) return status;
    beast::error_code ec;
    const local_stream::endpoint endpoint(path);
    unix_acceptor_.open(endpoint.protocol(), ec);
    if (!ec) unix_acceptor_.bind(endpoint, ec);
    if (ec) return make_error(ErrorCode::IoError, "cannot listen on " + path + ": " + ec.message());
    // Nobody can connect before listen(), so tightening the mode here leaves no window.
    if (::chmod(path.c_str(), S_IRUSR | S_IWUSR) != 0) {
      const std::string why = std::strerror(errno);
      ::unlink(path.c_str());
      return make_error(ErrorCode::IoError, "cannot restrict " + path + " to its owner: " + why);
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) unix_file_id_ = {st.st_dev, st.st_ino};
    unix_bound_ = true;
    unix_acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return make_error(ErrorCode::IoError, "cannot listen on " + path + ": " + ec.message());
    return {};
  }

  // Only our own file: a successor that already replaced it keeps its socket.
  void remove_unix_socket_file() {
    struct stat st {};
    if (::lstat(options_.unix_socket.c_str(), &st) != 0) return;
    if (std::pair{st.st_dev, st.st_ino} != unix_file_id_) return;
    ::unlink(options_.unix_socket.c_str());
  }

  void do_accept_unix() {
    unix_acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, local_stream::socket socket) {
      if (ec == asio::error::operation_aborted || !unix_acceptor_.is_open()) return;
      if (!ec) {
        auto conn = std::make_shared<UnixConnection>(std::move(socket), options_.max_message_bytes);
        conn->start(server_.open_session(std::make_shared<UnixOutbound>(conn),
                                         mcp::SessionInfo{"unix", options_.working_directory}));
        std::lock_guard lock(conns_mutex_);
        std::erase_if(unix_conns_, [](const auto& w) { return w.expired(); });
        unix_conns_.push_back(conn);
      }
      do_accept_unix();
    });
  }

  std::shared_ptr<HttpSession> find_session(const std::shared_ptr<HttpConnection>& conn,
                                            const http::request<http::string_body>& req) {
    const auto it = req.find("Mcp-Session-Id");
    if (it == req.end()) {
      conn->post_response(json_error(400, rpc::error_code::kServerError, "Bad Request: Mcp-Session-Id header is required"));
      return nullptr;
    }
    std::shared_ptr<HttpSession> session;
    {
      std::lock_guard lock(sessions_mutex_);
      if (auto found = sessions_.find(std::string(trim(it->value()))); found != sessions_.end()) session = found->second;
    }
    if (!session) {
      conn->post_response(json_error(404, rpc::error_code::kServerError, "Session not found"));
      return nullptr;
    }
    session->touch();
    return session;
  }

  void handle_post(const std::shared_ptr<HttpConnection>& conn, const http::request<http::string_body>& req,
                   bool accept_ok) {
    const std::string content_type = lower(req[http::field::content_type]);
    if (content_type.find("application/json") == std::string::npos) {
      conn->post_response(json_error(415, rpc::error_code::kServerError,
                                     "Unsupported Media Type: Content-Type must be application/json"));
      return;
    }
    if (!accept_ok) {
      conn->post_response(json_error(406, rpc::error_code::kServerError,
                                     "Not Acceptable: Accept must include both application/json and text/event-stream"));
      return;
    }
    Json body;
    try {
      body = Json::parse(req.body());
    } catch (const Json::exception&) {
      conn->post_response(json_error(400, rpc::error_code::kParseError, "Parse error: the body is not JSON"));
      return;
    }
    std::set<std::string> ids;
    bool wants_progress = false;
    bool initialize = false;
    auto scan = [&](const Json& m) {
      if (!m.is_object() || !m.contains("method") || !m["method"].is_string()) return;
      const auto id = m.find("id");
      if (id == m.end() || id->is_null()) return;
      ids.insert(id->dump());
      if (m["method"] == "initialize") initialize = true;
      const auto params = m.find("params");
      if (params != m.end() && params->is_object() && params->contains("_meta") && (*params)["_meta"].is_object() &&
          (*params)["_meta"].contains("progressToken")) {
        wants_progress = true;
      }
    };
    if (body.is_array()) {
      for (const auto& m : body) scan(m);
    } else {
      scan(body);
    }

    std::shared_ptr<HttpSession> session;
    std::vector<std::pair<std::string, std::string>> headers;
    if (initialize && body.is_object()) {
      session = std::make_shared<HttpSession>(random_session_id());
      session->attach(server_.open_session(std::make_shared<StreamOutbound>(session, HttpSession::kStandalone),
                                           mcp::SessionInfo{"http", options_.working_directory}));
      {
        std::lock_guard lock(sessions_mutex_);
        sessions_[session->id()] = session;
      }
      headers.emplace_back("Mcp-Session-Id", session->id());
    } else {
      session = find_session(conn, req);
      if (!session) return;
    }

    if (ids.empty()) {
      // Notifications and responses: 202. An invalid body is answered synchronously by the core.
      auto capture = std::make_shared<CaptureOutbound>();
      session->session()->receive(req.body(), capture);
      auto said = capture->take();
      if (said.empty()) {
        conn->post_response(Response{202, "", "", {}});
      } else {
        conn->post_response(Response{400, "application/json", std::move(said.front()), {}});
      }
      return;
    }
    auto open = wants_progress ? HttpSession::Open::Sse : HttpSession::Open::Undecided;
    if (!initialize && polls(*session, body)) open = HttpSession::Open::Poll;
    const auto sid = session->open_stream(conn, std::move(ids), open, std::move(headers));
    session->session()->receive(req.body(), std::make_shared<StreamOutbound>(session, sid));
  }

  // Whether the server ends this POST's SSE stream after priming (NetworkOptions::poll_request).
  // Version strings are dates, so they compare as text.
  bool polls(const HttpSession& session, const Json& body) const {
    if (!options_.poll_request || session.session()->protocol_version() < kSsePollingVersion) return false;
    const auto wanted = [&](const Json& m) {
      return m.is_object() && m.contains("method") && m["method"].is_string() && m.contains("id") &&
             !m["id"].is_null() && options_.poll_request(m);
    };
    if (!body.is_array()) return wanted(body);
    return std::any_of(body.begin(), body.end(), wanted);
  }

  void do_accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) {
        // Without TCP_NODELAY a WebSocket message split into two frames waits for the peer's
        // delayed ACK (~40 ms per round trip, measured in bench/mcp_bench).
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        auto conn = std::make_shared<HttpConnection>(*this, std::move(socket));
        register_connection(conn);
        conn->run();
      }
      do_accept();
    });
  }

  void schedule_sweep() {
    const std::chrono::milliseconds interval = std::clamp<std::chrono::milliseconds>(
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.session_idle_timeout) / 4,
        std::chrono::milliseconds(100), std::chrono::seconds(30));
    sweep_timer_.expires_after(interval);
    sweep_timer_.async_wait([this](beast::error_code ec) {
      if (ec) return;
      std::vector<std::shared_ptr<HttpSession>> expired;
      {
        std::lock_guard lock(sessions_mutex_);
        for (auto it = sessions_.begin(); it != sessions_.end();) {
          if (it->second->expired(options_.session_idle_timeout)) {
            expired.push_back(it->second);
            it = sessions_.erase(it);
          } else {
            ++it;
          }
        }
      }
      for (auto& s : expired) {
        log::info("mcp http: session {} expired after {} s idle", s->id(), options_.session_idle_timeout.count());
        s->end();
      }
      schedule_sweep();
    });
  }

  mcp::Server& server_;
  NetworkOptions options_;
  asio::io_context ioc_;  // declared first among the Asio members: destroyed last
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  tcp::acceptor acceptor_;
  local_stream::acceptor unix_acceptor_;
  bool unix_bound_ = false;  // the socket file at options_.unix_socket is ours
  std::pair<dev_t, ino_t> unix_file_id_{};
  asio::steady_timer sweep_timer_;
  std::uint16_t port_ = 0;
  bool wildcard_ = false;
  std::string bound_host_;

  mutable std::mutex sessions_mutex_;
  std::unordered_map<std::string, std::shared_ptr<HttpSession>> sessions_;
  mutable std::mutex conns_mutex_;
  std::vector<std::weak_ptr<HttpConnection>> http_conns_;
  std::vector<std::weak_ptr<WsConnection>> ws_conns_;
  std::vector<std::weak_ptr<UnixConnection>> unix_conns_;

  std::vector<std::thread> threads_;
  std::mutex threads_mutex_;
  std::condition_variable threads_cv_;
  std::size_t running_threads_ = 0;

  mutable std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  bool stopped_ = false;
};

std::size_t HttpConnection::max_body() const { return server_.max_message_bytes(); }

// Route handlers belong to the embedding program; one that throws must not take the io thread down.
Response answer_route(const HttpRoute& route) {
  if (!route.handler) return Response{500, "text/plain", "route " + route.path + " has no handler", {}};
  try {
    HttpReply reply = route.handler();
    const unsigned status = reply.status >= 100 && reply.status <= 599 ? static_cast<unsigned>(reply.status) : 500;
    return Response{status, std::move(reply.content_type), std::move(reply.body), {}};
  } catch (const std::exception& e) {
    log::error("mcp http: the handler of {} failed: {}", route.path, e.what());
    return Response{500, "text/plain", "internal error", {}};
  }
}

void HttpConnection::handle(http::request<http::string_body> request) {
  busy_ = true;
  if (!request.keep_alive()) close_after_ = true;
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));

  if (websocket::is_upgrade(request)) {
    if (auto denied = server_.check_access(request, true)) {
      close_after_ = true;
      post_response(std::move(*denied));
      return;
    }
    if (path != "/" && path != "/mcp") {
      close_after_ = true;
      post_response(json_error(404, rpc::error_code::kServerError, "Not Found: WebSocket endpoints are / and /mcp"));
      return;
    }
    std::string subprotocol;
    if (const auto offered = request.find(http::field::sec_websocket_protocol); offered != request.end()) {
      std::string_view list = offered->value();
      bool has_mcp = false;
      while (!list.empty()) {
        const auto comma = list.find(',');
        if (trim(list.substr(0, comma)) == "mcp") has_mcp = true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
      if (!has_mcp) {
        close_after_ = true;
        post_response(json_error(400, rpc::error_code::kServerError,
                                 "Bad Request: the only supported WebSocket subprotocol is \"mcp\""));
        return;
      }
      subprotocol = "mcp";
    }
    // No read or write is pending (the connection was idle before this request), so the
    // socket can move to the WebSocket connection.
    auto ws = std::make_shared<WsConnection>(server_, std::move(stream_));
    closed_ = true;
    server_.register_connection(ws);
    ws->run(std::move(request), std::move(subprotocol));
    return;
  }

  const HttpRoute* route = server_.find_route(path);
  if (auto denied = server_.check_access(request, route ? route->needs_token : path != "/healthz")) {
    post_response(std::move(*denied));
    do_read();
    return;
  }
  if (route || path == "/healthz") {
    if (request.method() == http::verb::get || request.method() == http::verb::head) {
      Response r = route ? answer_route(*route) : Response{200, "text/plain", "ok", {}};
      r.head_only = request.method() == http::verb::head;
      post_response(std::move(r));
    } else {
      Response r{405, "text/plain", "method not allowed", {{"Allow", "GET, HEAD"}}};
      post_response(std::move(r));
    }
  } else if (path == "/mcp" || path == "/mcp/") {
    server_.handle_mcp(shared_from_this(), request);
  } else {
    post_response(json_error(404, rpc::error_code::kServerError, "Not Found: the MCP endpoint is /mcp"));
  }
  // Read on while the answer is prepared: a closed socket shows up here, and it is how a
  // client that vanished from a long SSE stream is noticed.
  if (!close_after_) do_read();
}

void WsConnection::run(http::request<http::string_body> request, std::string subprotocol) {
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator([subprotocol](websocket::response_type& res) {
    res.set(http::field::server, "cci");
    if (!subprotocol.empty()) res.set(http::field::sec_websocket_protocol, subprotocol);
  }));
  ws_.read_message_max(server_.max_message_bytes());
  auto self = shared_from_this();
  ws_.async_accept(request, [self](beast::error_code ec) {
    if (ec) {
      self->finish();
      return;
    }
    self->accepted_ = true;
    self->session_ = self->server_.open_ws_session(self);
    self->published_session_.store(self->session_);
    self->do_read();
  });
}

}  // namespace

Result<std::unique_ptr<NetworkServer>> NetworkServer::start(mcp::Server& server, NetworkOptions options) {
  auto impl = std::make_unique<NetworkServerImpl>(server, std::move(options));
  if (auto status = impl->listen(); !status) return std::unexpected(status.error());
  return std::unique_ptr<NetworkServer>(std::move(impl));
}

}  // namespace cci::net
