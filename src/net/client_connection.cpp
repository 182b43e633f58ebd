// net/client_connection.cpp — client connections to our MCP transports, and a minimal HTTP GET.
//
// Threading: every connection has one reader thread that also runs its handlers. For WebSocket
// that thread runs a private io_context: Beast allows one read and one write in flight, so send()
// only posts the message onto that context, where a queue feeds one async_write at a time. For a
// Unix socket, reads and writes are separate directions of a plain POSIX socket: the reader
// thread blocks in read(2) and send() writes from the caller's thread under a mutex.
//
// Lifetime: the transport state is shared between the public handle and its reader thread, so a
// handle destroyed from inside one of its own handlers (on the reader thread) detaches instead of
// joining itself, and the state lives until the thread has finished.
#include "net/client_connection.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>

#include "core/log.h"
#include "rpc/json.h"

namespace cci::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

constexpr std::size_t kUnixReadChunk = 64 * 1024;
// No traffic for half of this sends a ping; none for all of it drops the connection.
constexpr auto kKeepAliveIdle = std::chrono::seconds(30);
// A server that does not answer our close frame must not hold close() or the destructor up.
constexpr auto kCloseHandshakeTimeout = std::chrono::seconds(1);
constexpr std::size_t kMaxHttpBody = 64u << 20;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "127.0.0.1:8765", "[::1]:8765": the authority of a URL and the Host header.
std::string authority(const std::string& host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// The message a refusing server gave: our server answers with a JSON-RPC error body.
std::string refusal_message(const http::response<http::string_body>& res) {
  try {
    const auto body = rpc::Json::parse(res.body());
    if (body.is_object() && body.contains("error") && body["error"].is_object() &&
        body["error"].value("message", "").size() > 0) {
      return body["error"]["message"].get<std::string>();
    }
  } catch (const rpc::Json::exception&) {
    // Not JSON: the body itself (or the reason phrase) is the message.
  }
  if (!res.body().empty()) return res.body();
  return std::to_string(res.result_int()) + " " + std::string(res.reason());
}

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

// Resolves without DNS for IP literals; "localhost" goes through the resolver (/etc/hosts).
Result<tcp::resolver::results_type> resolve(asio::io_context& ioc, const std::string& host, std::uint16_t port) {
  tcp::resolver resolver(ioc);
  beast::error_code ec;
  beast::error_code literal;
  asio::ip::make_address(host, literal);
  auto results = resolver.resolve(host, std::to_string(port),
                                  literal ? tcp::resolver::flags() : tcp::resolver::numeric_host, ec);
  if (ec) return make_error(ErrorCode::Unavailable, "cannot resolve " + host + ": " + ec.message());
  return results;
}

Error connect_error(const beast::error_code& ec, const std::string& url) {
  if (ec == asio::error::connection_refused) return Error{ErrorCode::Unavailable, "nothing is listening on " + url};
  if (ec == beast::error::timeout) return Error{ErrorCode::Timeout, "timed out connecting to " + url};
  return Error{ErrorCode::IoError, "cannot connect to " + url + ": " + ec.message()};
}

// ---------------------------------------------------------------------------------------------
// What a connection does, independent of the thread that runs it.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual void run() = 0;  // the reader loop; returns after on_close
  virtual bool send(std::string message) = 0;
  virtual void close() = 0;
  virtual bool is_open() const = 0;
};

// The public handle: owns the reader thread.
class ThreadedConnection final : public MessageConnection {
 public:
  explicit ThreadedConnection(std::shared_ptr<Transport> transport)
      : transport_(std::move(transport)), thread_([t = transport_] { t->run(); }) {}

  ~ThreadedConnection() override {
    transport_->close();
    if (!thread_.joinable()) return;
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();  // destroyed from one of our own handlers: the thread keeps the state alive
    } else {
      thread_.join();
    }
  }

  bool send(std::string message) override { return transport_->send(std::move(message)); }
  void close() override { transport_->close(); }
  bool is_open() const override { return transport_->is_open(); }

 private:
  std::shared_ptr<Transport> transport_;
  std::thread thread_;
};

Result<std::shared_ptr<MessageConnection>> start_thread(std::shared_ptr<Transport> transport) {
  try {
    return std::shared_ptr<MessageConnection>(std::make_shared<ThreadedConnection>(std::move(transport)));
  } catch (const std::system_error& e) {
    return make_error(ErrorCode::IoError, std::string("cannot start the connection's reader thread: ") + e.what());
  }
}

// ---------------------------------------------------------------------------------------------
class WebSocketTransport final : public Transport {
 public:
  WebSocketTransport(Endpoint endpoint, MessageConnection::MessageHandler on_message,
                     MessageConnection::CloseHandler on_close)
      : endpoint_(std::move(endpoint)),
        url_(endpoint_.to_string()),
        on_message_(std::move(on_message)),
        on_close_(std::move(on_close)) {}

  // Connect and handshake on the caller's thread (the context is not yet shared), bounded by
  // the timeout for both steps together.
  Status connect(const ConnectOptions& options) {
    auto resolved = resolve(ioc_, endpoint_.host, endpoint_.port);
    if (!resolved) return std::unexpected(resolved.error());
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;

    beast::error_code result;
    websocket::response_type response;
    auto& tcp_layer = beast::get_lowest_layer(ws_);
    tcp_layer.expires_at(deadline);
    bool done = false;
    tcp_layer.async_connect(*resolved, [&](beast::error_code ec, const tcp::endpoint&) {
      if (ec) {
        result = ec;
        done = true;
        return;
      }
      beast::error_code ignored;
      tcp_layer.socket().set_option(tcp::no_delay(true), ignored);
      // Asio opens sockets without SOCK_CLOEXEC: a program that spawns children (the proxy starts
      // the daemon) must not leak the connection into them.
      ::fcntl(tcp_layer.socket().native_handle(), F_SETFD, FD_CLOEXEC);
      // From here on the WebSocket's own timeouts apply (Beast: never both layers at once).
      tcp_layer.expires_never();
      websocket::stream_base::timeout timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
      timeouts.handshake_timeout = std::max<std::chrono::steady_clock::duration>(
          deadline - std::chrono::steady_clock::now(), std::chrono::milliseconds(1));
      ws_.set_option(timeouts);
      ws_.set_option(websocket::stream_base::decorator([token = options.bearer_token](websocket::request_type& req) {
        req.set(http::field::sec_websocket_protocol, "mcp");
        req.set(http::field::user_agent, "cci");
        if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
      }));
      ws_.async_handshake(response, authority(endpoint_.host, endpoint_.port), endpoint_.target,
                          [&](beast::error_code hec) {
                            result = hec;
                            done = true;
                          });
    });
    // Until the handshake completes, not until the context runs dry: after a refused upgrade
    // Beast leaves its handshake timer pending until the deadline.
    while (!done && ioc_.run_one() > 0) {
    }
    if (ioc_.stopped()) ioc_.restart();

    if (result == websocket::error::upgrade_declined) {
      const unsigned status = response.result_int();
      const std::string message = refusal_message(response);
      if (status == 401 || status == 403) {
        return make_error(ErrorCode::Refused, url_ + " refused the connection (" + std::to_string(status) + "): " + message);
      }
      return make_error(ErrorCode::IoError, url_ + " declined the WebSocket upgrade (" + std::to_string(status) + "): " + message);
    }
    if (result) return std::unexpected(connect_error(result, url_));

    websocket::stream_base::timeout timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
    timeouts.handshake_timeout = kCloseHandshakeTimeout;
    timeouts.idle_timeout = kKeepAliveIdle;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.read_message_max(options.max_message_bytes);
    // One frame per message, masked in large blocks: fewer syscalls for big messages.
    ws_.auto_fragment(false);
    ws_.write_buffer_bytes(64 * 1024);
    max_message_bytes_ = options.max_message_bytes;
    ws_.text(true);
    open_ = true;
    do_read();
    return {};
  }

  void run() override { ioc_.run(); }

  bool send(std::string message) override {
    if (!open_.load(std::memory_order_acquire)) return false;
    asio::post(ioc_, [this, m = std::move(message)]() mutable {
      if (finished_ || closing_) return;
      queue_.push_back(std::move(m));
      pump();
    });
    return true;
  }

  void close() override {
    if (close_requested_.exchange(true)) return;
    open_ = false;
    // Posted after any send() that came first, so those messages still go out. If the context
    // has stopped (the connection already ended) the handler never runs, which is what we want.
    asio::post(ioc_, [this] { begin_close(); });
  }

  bool is_open() const override { return open_.load(std::memory_order_acquire); }

 private:
  void do_read() {
    ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) { on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      finish(describe(ec));
      return;
    }
    const auto data = buffer_.data();
    std::string message(static_cast<const char*>(data.data()), data.size());
    buffer_.consume(buffer_.size());
    if (!deliver(std::move(message))) return;
    do_read();
  }

  // False when the handler failed and the connection is being closed.
  bool deliver(std::string message) {
    if (!on_message_) return true;
    try {
      on_message_(std::move(message));
      return true;
    } catch (const std::exception& e) {
      log::error("{}: message handler failed: {}", url_, e.what());
      if (failure_.empty()) failure_ = std::string("the message handler failed: ") + e.what();
      hard_close();
      return false;
    }
  }

  void pump() {
    if (writing_ || finished_ || queue_.empty()) return;
    writing_ = true;
    ws_.async_write(asio::buffer(queue_.front()), [this](beast::error_code ec, std::size_t) {
      writing_ = false;
      if (ec) {
        if (failure_.empty() && ec != asio::error::operation_aborted) failure_ = "write failed: " + ec.message();
        hard_close();  // the pending read fails next and ends the connection
        return;
      }
      queue_.pop_front();
      if (queue_.empty() && closing_) {
        start_close_handshake();
        return;
      }
      pump();
    });
  }

  void begin_close() {
    if (finished_ || closing_) return;
    closing_ = true;
    if (!writing_ && queue_.empty()) start_close_handshake();  // else after the queue is written
  }

  // The read that is always pending ends with error::closed when the server echoes the close.
  void start_close_handshake() {
    ws_.async_close(websocket::close_code::normal, [this](beast::error_code ec) {
      if (ec) hard_close();
    });
  }

  void hard_close() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).close();
  }

  std::string describe(const beast::error_code& ec) const {
    if (!failure_.empty()) return failure_;
    if (close_requested_.load()) return "closed by the client";
    if (ec == websocket::error::closed) {
      const auto& why = ws_.reason();
      std::string text = "the server closed the connection (code " + std::to_string(why.code);
      if (!why.reason.empty()) text += ": " + std::string(why.reason.data(), why.reason.size());
      return text + ")";
    }
    if (ec == websocket::error::message_too_big) {
      return "an incoming message exceeds the " + std::to_string(max_message_bytes_) + " byte limit";
    }
    if (ec == beast::error::timeout) return "the connection timed out (no answer to keep-alive pings)";
    if (ec == asio::error::eof || ec == asio::error::connection_reset) return "the server went away";
    return "connection lost: " + ec.message();
  }

  // The one end of the connection: after the last message, exactly once.
  void finish(std::string reason) {
    if (finished_) return;
    finished_ = true;
    open_ = false;
    hard_close();
    if (on_close_) {
      try {
        on_close_(std::move(reason));
      } catch (const std::exception& e) {
        log::error("{}: close handler failed: {}", url_, e.what());
      }
    }
    // Keep-alive timers and posted sends would keep the context (and the thread) alive.
    ioc_.stop();
  }

  const Endpoint endpoint_;
  const std::string url_;
  MessageConnection::MessageHandler on_message_;
  MessageConnection::CloseHandler on_close_;
  asio::io_context ioc_{1};  // declared before the stream: destroyed after it
  websocket::stream<beast::tcp_stream> ws_{ioc_};
  beast::flat_buffer buffer_;
  std::size_t max_message_bytes_ = 0;
  std::deque<std::string> queue_;  // this and the flags below: reader thread only
  bool writing_ = false;
  bool closing_ = false;
  bool finished_ = false;
  std::string failure_;
  std::atomic<bool> open_{false};
  std::atomic<bool> close_requested_{false};
};

// ---------------------------------------------------------------------------------------------
class UnixTransport final : public Transport {
 public:
  UnixTransport(Endpoint endpoint, MessageConnection::MessageHandler on_message,
                MessageConnection::CloseHandler on_close)
      : endpoint_(std::move(endpoint)), on_message_(std::move(on_message)), on_close_(std::move(on_close)) {}

  ~UnixTransport() override {
    if (fd_ >= 0) ::close(fd_);  // only now: the reader has finished, so the number cannot be reused under it
  }

  Status connect(const ConnectOptions& options) {
    const std::string path = endpoint_.socket_path.string();
    sockaddr_un address{};
    if (path.size() >= sizeof address.sun_path) {
      return make_error(ErrorCode::InvalidArgument, "Unix socket path is too long: " + path);
    }
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return make_error(ErrorCode::IoError, "cannot create a socket: " + errno_text(errno));
    // A listener with a full backlog makes connect(2) wait: bound it by the timeout.
    const auto ms = std::max<long long>(1, options.timeout.count());
    timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int rc;
    do {
      rc = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      const int err = errno;
      if (err == ENOENT || err == ECONNREFUSED) {
        return make_error(ErrorCode::Unavailable, "nothing is listening on unix:" + path +
                                                      (err == ENOENT ? " (no such socket file)" : ""));
      }
      if (err == EAGAIN || err == EWOULDBLOCK || err == ETIMEDOUT) {
        return make_error(ErrorCode::Timeout, "timed out connecting to unix:" + path);
      }
      if (err == EACCES || err == EPERM) {
        return make_error(ErrorCode::Refused, "not allowed to connect to unix:" + path + ": " + errno_text(err));
      }
      return make_error(ErrorCode::IoError, "cannot connect to unix:" + path + ": " + errno_text(err));
    }
    const timeval none{0, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none);  // writes block as long as needed
    max_message_bytes_ = options.max_message_bytes;
    open_ = true;
    return {};
  }

  void run() override {
    std::string reason;
    std::string line;  // a message split across reads
    std::unique_ptr<char[]> buffer(new char[kUnixReadChunk]);
    for (;;) {
      const ssize_t n = ::read(fd_, buffer.get(), kUnixReadChunk);
      if (n < 0) {
        if (errno == EINTR) continue;
        reason = "connection lost: " + errno_text(errno);
        break;
      }
      if (n == 0) {
        reason = "the server closed the connection";
        break;
      }
      if (close_requested_.load()) break;
      std::string_view chunk(buffer.get(), static_cast<std::size_t>(n));
      bool failed = false;
      while (!chunk.empty() && !failed) {
        const auto nl = chunk.find('\n');
        if (nl == std::string_view::npos) {
          line.append(chunk);
          break;
        }
        if (line.empty()) {
          failed = !deliver(std::string(chunk.substr(0, nl)));  // the whole message in one read: one copy
        } else {
          line.append(chunk.substr(0, nl));
          failed = !deliver(std::move(line));
          line = std::string();
        }
        chunk.remove_prefix(nl + 1);
      }
      if (failed) {
        reason = failure_;
        break;
      }
      if (max_message_bytes_ != 0 && line.size() > max_message_bytes_ + 1) {
        reason = "an incoming message exceeds the " + std::to_string(max_message_bytes_) + " byte limit";
        break;
      }
    }
    open_ = false;
    ::shutdown(fd_, SHUT_RDWR);
    {
      std::lock_guard lock(write_mutex_);
      if (!write_failure_.empty()) reason = write_failure_;
    }
    if (close_requested_.load()) reason = "closed by the client";
    if (on_close_) {
      try {
        on_close_(std::move(reason));
      } catch (const std::exception& e) {
        log::error("unix:{}: close handler failed: {}", endpoint_.socket_path.string(), e.what());
      }
    }
  }

  // The message and its newline go out with one sendmsg where the kernel takes them; a partial
  // write continues where it stopped.
  bool send(std::string message) override {
    if (!open_.load(std::memory_order_acquire)) return false;
    static constexpr char kNewline = '\n';
    std::lock_guard lock(write_mutex_);
    iovec parts[2] = {{message.data(), message.size()}, {const_cast<char*>(&kNewline), 1}};
    iovec* next = parts;
    std::size_t count = 2;
    while (count > 0) {
      msghdr header{};
      header.msg_iov = next;
      header.msg_iovlen = count;
      const ssize_t n = ::sendmsg(fd_, &header, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (write_failure_.empty() && !close_requested_.load()) write_failure_ = "write failed: " + errno_text(errno);
        open_ = false;
        ::shutdown(fd_, SHUT_RDWR);  // the reader sees the end and reports it
        return false;
      }
      auto written = static_cast<std::size_t>(n);
      while (count > 0 && written >= next->iov_len) {
        written -= next->iov_len;
        ++next;
        --count;
      }
      if (count > 0) {
        next->iov_base = static_cast<char*>(next->iov_base) + written;
        next->iov_len -= written;
      }
    }
    return true;
  }

  void close() override {
    if (close_requested_.exchange(true)) return;
    open_ = false;
    ::shutdown(fd_, SHUT_RDWR);  // wakes the reader blocked in read(2)
  }

  bool is_open() const override { return open_.load(std::memory_order_acquire); }

 private:
  bool deliver(std::string message) {
    if (!message.empty() && message.back() == '\r') message.pop_back();
    if (message.find_first_not_of(" \t\r") == std::string::npos) return true;  // blank lines carry nothing
    if (max_message_bytes_ != 0 && message.size() > max_message_bytes_) {
      failure_ = "an incoming message exceeds the " + std::to_string(max_message_bytes_) + " byte limit";
      return false;
    }
    if (!on_message_ || close_requested_.load()) return true;
    try {
      on_message_(std::move(message));
      return true;
    } catch (const std::exception& e) {
      log::error("unix:{}: message handler failed: {}", endpoint_.socket_path.string(), e.what());
      failure_ = std::string("the message handler failed: ") + e.what();
      return false;
    }
  }

  const Endpoint endpoint_;
  MessageConnection::MessageHandler on_message_;
  MessageConnection::CloseHandler on_close_;
  int fd_ = -1;
  std::size_t max_message_bytes_ = 0;
  std::string failure_;  // reader thread only
  std::mutex write_mutex_;
  std::string write_failure_;  // guarded by write_mutex_
  std::atomic<bool> open_{false};
  std::atomic<bool> close_requested_{false};
};

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
Result<Endpoint> Endpoint::parse(std::string_view url) {
  const auto bad = [&](std::string why) {
    return make_error(ErrorCode::InvalidArgument, "invalid endpoint \"" + std::string(url) + "\": " + why);
  };
  const auto colon = url.find(':');
  if (colon == std::string_view::npos) return bad("expected ws://host:port or unix:/path/to/socket");
  const std::string scheme = lower(url.substr(0, colon));
  std::string_view rest = url.substr(colon + 1);

  if (scheme == "unix") {
    if (rest.starts_with("//")) {
      rest.remove_prefix(2);  // unix:///abs/path: an empty authority
      if (!rest.starts_with('/')) return bad("unix:// URLs have no host: use unix:/abs/path or unix:///abs/path");
    }
    if (rest.empty()) return bad("the socket path is missing");
    if (!rest.starts_with('/')) return bad("the socket path must be absolute");
    Endpoint e;
    e.kind = Kind::Unix;
    e.socket_path = std::filesystem::path(rest);
    return e;
  }
  if (scheme == "wss") return bad("wss:// is not supported; the daemon listens on loopback: use ws://");
  if (scheme == "http" || scheme == "https") {
    return bad(scheme + ":// is not a message endpoint: use ws://host:port (WebSocket) or unix:/path");
  }
  if (scheme != "ws") return bad("unsupported scheme \"" + scheme + "\": expected ws:// or unix:");
  if (!rest.starts_with("//")) return bad("expected ws://host:port");
  rest.remove_prefix(2);

  const auto path_start = rest.find_first_of("/?#");
  std::string_view authority_part = rest.substr(0, path_start);
  std::string_view target = path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  if (const auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);

  Endpoint e;
  e.kind = Kind::WebSocket;
  std::string_view port_text;
  bool has_port = false;
  if (authority_part.find('@') != std::string_view::npos) return bad("user information is not supported");
  if (authority_part.starts_with('[')) {
    const auto close = authority_part.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    e.host = std::string(authority_part.substr(1, close - 1));
    const std::string_view after = authority_part.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) return bad("expected :port after the IPv6 address");
      port_text = after.substr(1);
      has_port = true;
    }
    if (!e.host.empty() && e.host.find(':') == std::string::npos) return bad("brackets are only for IPv6 addresses");
  } else {
    const auto port_colon = authority_part.find(':');
    e.host = std::string(authority_part.substr(0, port_colon));
    if (port_colon != std::string_view::npos) {
      port_text = authority_part.substr(port_colon + 1);
      has_port = true;
    }
  }
  if (e.host.empty()) return bad("the host is missing");
  if (has_port) {
    unsigned value = 0;
    const auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (!all_digits(port_text) || r.ec != std::errc() || value == 0 || value > 65535) {
      return bad("the port must be a number from 1 to 65535");
    }
    e.port = static_cast<std::uint16_t>(value);
  } else {
    e.port = 80;
  }
  e.host = lower(e.host);
  e.target = target.empty() ? "/" : (target.starts_with('/') ? std::string(target) : "/" + std::string(target));
  return e;
}

std::string Endpoint::to_string() const {
  if (kind == Kind::Unix) return "unix:" + socket_path.string();
  return "ws://" + authority(host, port) + (target == "/" ? std::string() : target);
}

Result<std::shared_ptr<MessageConnection>> MessageConnection::connect(const Endpoint& endpoint,
                                                                      const ConnectOptions& options,
                                                                      MessageHandler on_message, CloseHandler on_close) {
  if (endpoint.kind == Endpoint::Kind::Unix) {
    if (endpoint.socket_path.empty()) return make_error(ErrorCode::InvalidArgument, "the Unix socket path is empty");
    auto transport = std::make_shared<UnixTransport>(endpoint, std::move(on_message), std::move(on_close));
    if (auto status = transport->connect(options); !status) return std::unexpected(status.error());
    return start_thread(std::move(transport));
  }
  if (endpoint.host.empty() || endpoint.port == 0) {
    return make_error(ErrorCode::InvalidArgument, "a WebSocket endpoint needs a host and a port");
  }
  auto transport = std::make_shared<WebSocketTransport>(endpoint, std::move(on_message), std::move(on_close));
  if (auto status = transport->connect(options); !status) return std::unexpected(status.error());
  return start_thread(std::move(transport));
}

Result<std::pair<int, std::string>> http_get(const std::string& host, std::uint16_t port, const std::string& target,
                                             const std::string& bearer_token, std::chrono::milliseconds timeout) {
  std::string bare_host = host;
  if (bare_host.size() > 2 && bare_host.front() == '[' && bare_host.back() == ']') {
    bare_host = bare_host.substr(1, bare_host.size() - 2);
  }
  const std::string url = "http://" + authority(bare_host, port) + target;
  asio::io_context ioc{1};
  auto resolved = resolve(ioc, bare_host, port);
  if (!resolved) return std::unexpected(resolved.error());

  beast::tcp_stream stream(ioc);
  http::request<http::empty_body> request{http::verb::get, target.empty() ? "/" : target, 11};
  request.set(http::field::host, authority(bare_host, port));
  request.set(http::field::user_agent, "cci");
  if (!bearer_token.empty()) request.set(http::field::authorization, "Bearer " + bearer_token);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxHttpBody);
  beast::error_code result;
  bool connected = false;

  stream.expires_after(timeout);  // one deadline for connect, request and response
  stream.async_connect(*resolved, [&](beast::error_code ec, const tcp::endpoint&) {
    if (ec) {
      result = ec;
      return;
    }
    connected = true;
    http::async_write(stream, request, [&](beast::error_code wec, std::size_t) {
      if (wec) {
        result = wec;
        return;
      }
      http::async_read(stream, buffer, parser, [&](beast::error_code rec, std::size_t) { result = rec; });
    });
  });
  ioc.run();
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);

  if (result) {
    if (!connected) return std::unexpected(connect_error(result, url));
    if (result == beast::error::timeout) return make_error(ErrorCode::Timeout, "no answer from " + url + " in time");
    return make_error(ErrorCode::IoError, "GET " + url + " failed: " + result.message());
  }
  auto response = parser.release();
  return std::pair<int, std::string>{static_cast<int>(response.result_int()), std::move(response.body())};
}

}  // namespace cci::net
