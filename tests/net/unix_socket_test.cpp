// tests/net/unix_socket_test.cpp — NetworkServer's Unix domain socket (in a temp dir) with a real
// mcp::Server, driven by net::MessageConnection and by a raw POSIX client: the MCP round trip,
// the file's mode, stale and live socket files, stdio framing (oversized, blank and CRLF lines,
// messages split across reads, half-close), and stop().
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "message_client.h"
#include "temp_dir.h"

namespace cci::net {
namespace {

using namespace test_support;
namespace fs = std::filesystem;

// A blocking AF_UNIX client for what MessageConnection never does (half-close, raw framing).
class RawUnixClient {
 public:
  explicit RawUnixClient(const fs::path& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    const timeval tv{10, 0};  // a read that hangs fails the test instead of the run
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawUnixClient() { ::close(fd_); }

  bool connected() const { return connected_; }

  bool write_all(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  // The next complete line, or nullopt at EOF / timeout.
  std::optional<std::string> read_line() {
    for (;;) {
      if (const auto nl = pending_.find('\n'); nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return line;
      }
      char buffer[65536];
      const ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;
      pending_.append(buffer, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

// A socket file nobody listens on: what a killed server leaves behind.
void make_stale_socket(const fs::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0) << std::strerror(errno);
  ::close(fd);
  ASSERT_TRUE(fs::is_socket(path));
}

class UnixSocketTest : public NetFixture {
 protected:
  fs::path socket_path() const { return dir_.path() / "cci.sock"; }

  void start_unix(NetworkOptions options = {}) {
    options.unix_socket = socket_path();
    start(std::move(options));
  }

  Endpoint unix_endpoint() const {
    Endpoint e;
    e.kind = Endpoint::Kind::Unix;
    e.socket_path = socket_path();
    return e;
  }

  cci::testing::TempDir dir_;
};

TEST_F(UnixSocketTest, InitializeAndToolCall) {
  start_unix();
  EXPECT_EQ(net_->unix_socket(), socket_path());
  auto client = MessageClient::connect(unix_endpoint());
  ASSERT_TRUE(client.has_value()) << client.error().message;
  auto& c = **client;
  ASSERT_TRUE(c.initialize());
  ASSERT_TRUE(c.send(tool_call(2, "echo", {{"text", "over unix"}})));
  const auto reply = c.wait_for_id(2);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(result_text(*reply), "over unix");
  EXPECT_EQ(net_->open_sessions(), 1u);

  c.connection().close();
  const auto reason = c.wait_closed();
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(*reason, "closed by the client");
  EXPECT_FALSE(c.send(tool_call(3, "echo", {})));
  EXPECT_TRUE(eventually([&] { return net_->open_sessions() == 0; }));
}

TEST_F(UnixSocketTest, NoUnixSocketUnlessAsked) {
  start();
  EXPECT_TRUE(net_->unix_socket().empty());
}

TEST_F(UnixSocketTest, SocketFileIsOwnerOnly) {
  start_unix();
  struct stat st {};
  ASSERT_EQ(::stat(socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(UnixSocketTest, StaleSocketFileIsReplaced) {
  make_stale_socket(socket_path());
  auto before = MessageClient::connect(unix_endpoint());
  ASSERT_FALSE(before.has_value());
  EXPECT_EQ(before.error().code, ErrorCode::Unavailable) << before.error().message;

  start_unix();
  auto client = MessageClient::connect(unix_endpoint());
  ASSERT_TRUE(client.has_value()) << client.error().message;
  ASSERT_TRUE((*client)->initialize());
}

TEST_F(UnixSocketTest, LiveSocketIsNotStolen) {
  start_unix();
  NetworkOptions second;
  second.unix_socket = socket_path();
  auto other = NetworkServer::start(server_, second);
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code, ErrorCode::Refused);
  EXPECT_NE(other.error().message.find("already listening"), std::string::npos) << other.error().message;
  EXPECT_TRUE(fs::is_socket(socket_path())) << "the failed start must not remove the live server's socket";
  auto client = MessageClient::connect(unix_endpoint());
  ASSERT_TRUE(client.has_value()) << client.error().message;
  ASSERT_TRUE((*client)->initialize());
}

TEST_F(UnixSocketTest, RegularFileIsNotReplaced) {
  dir_.write("cci.sock", "precious");
  NetworkOptions options;
  options.unix_socket = socket_path();
  auto started = NetworkServer::start(server_, options);
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(dir_.read("cci.sock"), "precious");
}

TEST_F(UnixSocketTest, MissingSocketIsUnavailable) {
  auto client = MessageClient::connect(unix_endpoint());
  ASSERT_FALSE(client.has_value());
  EXPECT_EQ(client.error().code, ErrorCode::Unavailable);
  EXPECT_NE(client.error().message.find("nothing is listening"), std::string::npos) << client.error().message;
}

TEST_F(UnixSocketTest, OversizedLineIsAnsweredAndTheConnectionKeepsWorking) {
  start_unix();  // 64 KiB limit
  auto client = MessageClient::connect(unix_endpoint());
  ASSERT_TRUE(client.has_value()) << client.error().message;
  auto& c = **client;
  ASSERT_TRUE(c.initialize());
  ASSERT_TRUE(c.send(tool_call(2, "echo", {{"text", std::string(300 * 1024, 'z')}})));
  const auto error = c.wait_for_null_id();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ((*error)["error"]["code"], -32600);
  const std::string message = (*error)["error"]["message"];
  EXPECT_NE(message.find("exceeds the 65536 bytes limit"), std::string::npos) << message;
  EXPECT_TRUE(c.connection().is_open());

  ASSERT_TRUE(c.send(tool_call(3, "echo", {{"text", "still here"}})));
  const auto reply = c.wait_for_id(3);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(result_text(*reply), "still here");
}

TEST_F(UnixSocketTest, LargeMessagesSpanManyReadsBothWays) {
  start_unix();
  auto client = MessageClient::connect(unix_endpoint());
  ASSERT_TRUE(client.has_value()) << client.error().message;
  ASSERT_TRUE((*client)->initialize());
  const std::string text(60 * 1024, 'x');  // under the 64 KiB limit, over one read
  ASSERT_TRUE((*client)->send(tool_call(2, "echo", {{"text", text}})));
  const auto reply = (*client)->wait_for_id(2);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(result_text(*reply), text);
}

TEST_F(UnixSocketTest, ManyConcurrentMessagesAreAllAnswered) {
  start_unix();
  auto client = MessageClient::connect(unix_endpoint());
  ASSERT_TRUE(client.has_value()) << client.error().message;
  auto& c = **client;
  ASSERT_TRUE(c.initialize());
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const int id = 100 + t * 100 + i;
        EXPECT_TRUE(c.send(tool_call(id, "echo", {{"text", "m" + std::to_string(id)}})));
      }
    });
  }
  for (auto& s : senders) s.join();
  for (int id = 100; id < 500; ++id) {
    const auto reply = c.wait_for_id(id);
    ASSERT_TRUE(reply.has_value()) << "no answer for id " << id;
    EXPECT_EQ(result_text(*reply), "m" + std::to_string(id));
  }
}

TEST_F(UnixSocketTest, FramingBlankLinesCrlfAndSplitWrites) {
  start_unix();
  RawUnixClient raw(socket_path());
  ASSERT_TRUE(raw.connected());
  const std::string init = kInitRequest;
  ASSERT_TRUE(raw.write_all("\n  \r\n" + init.substr(0, 20)));
  ASSERT_TRUE(raw.write_all(init.substr(20) + "\r\n"));
  auto line = raw.read_line();
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(Json::parse(*line)["id"], 1);
  // Two messages in one write.
  ASSERT_TRUE(raw.write_all(std::string(kInitializedNotification) + "\n" +
                            R"({"jsonrpc":"2.0","id":"p","method":"ping"})" + "\n"));
  line = raw.read_line();
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(Json::parse(*line)["id"], "p");
  // Not JSON: a parse error, and the connection goes on.
  ASSERT_TRUE(raw.write_all("{nope\n"));
  line = raw.read_line();
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(Json::parse(*line)["error"]["code"], -32700);
}

// A client that writes without reading is no longer read once its unread answers pile up (they
// would otherwise grow without bound in the server), and is read again once it reads them.
TEST_F(UnixSocketTest, AClientThatDoesNotReadIsPausedThenResumed) {
  start_unix();
  RawUnixClient raw(socket_path());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.write_all(std::string(kInitRequest) + "\n" + kInitializedNotification + "\n"));
  ASSERT_TRUE(raw.read_line().has_value());
  // Far more than the kernel's socket buffers hold in both directions plus the server's bound.
  constexpr int kPings = 50000;
  std::string pings;
  for (int i = 0; i < kPings; ++i) pings += R"({"jsonrpc":"2.0","id":)" + std::to_string(i) + R"(,"method":"ping"})" "\n";
  std::atomic<bool> written{false};
  std::thread writer([&] {
    EXPECT_TRUE(raw.write_all(pings));
    written = true;
  });
  // Paused, the server stops taking requests, so the writer cannot finish while nobody reads.
  EXPECT_FALSE(eventually([&] { return written.load(); }, std::chrono::milliseconds(1000)))
      << "the server read every request although none of its answers was read";
  std::set<int> answered;
  while (static_cast<int>(answered.size()) < kPings) {
    auto line = raw.read_line();
    if (!line) break;
    const Json reply = Json::parse(*line, nullptr, false);
    if (reply.contains("id") && reply["id"].is_number_integer()) answered.insert(reply["id"].get<int>());
  }
  if (static_cast<int>(answered.size()) < kPings) raw.shutdown_write();  // unblocks a stuck writer
  writer.join();
  EXPECT_EQ(static_cast<int>(answered.size()), kPings);
}

// `echo request | nc -U socket`: the client half-closes and still gets its answer.
TEST_F(UnixSocketTest, HalfClosedClientGetsItsAnswers) {
  start_unix();
  RawUnixClient raw(socket_path());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.write_all(std::string(kInitRequest) + "\n" + kInitializedNotification + "\n" +
                            tool_call(2, "slow", {{"ms", 150}}) + "\n"));
  raw.shutdown_write();
  std::vector<Json> replies;
  while (auto line = raw.read_line()) replies.push_back(Json::parse(*line));
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0]["id"], 1);
  EXPECT_EQ(replies[1]["id"], 2);
  EXPECT_EQ(result_text(replies[1]), "slept");
  EXPECT_TRUE(eventually([&] { return net_->open_sessions() == 0; }));
}

TEST_F(UnixSocketTest, StopClosesClientsAndRemovesTheSocketFile) {
  start_unix();
  auto client = MessageClient::connect(unix_endpoint());
  ASSERT_TRUE(client.has_value()) << client.error().message;
  ASSERT_TRUE((*client)->initialize());
  auto websocket = MessageClient::connect(ws_endpoint());
  ASSERT_TRUE(websocket.has_value()) << websocket.error().message;
  ASSERT_TRUE((*websocket)->initialize());
  EXPECT_EQ(net_->open_sessions(), 2u);

  const auto t0 = std::chrono::steady_clock::now();
  net_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
  EXPECT_FALSE(fs::exists(socket_path()));
  EXPECT_TRUE(net_->unix_socket().empty() || !fs::exists(net_->unix_socket()));
  EXPECT_EQ(net_->open_sessions(), 0u);

  const auto reason = (*client)->wait_closed(5000ms);
  ASSERT_TRUE(reason.has_value()) << "on_close did not run after the server stopped";
  EXPECT_EQ(*reason, "the server closed the connection");
  EXPECT_EQ((*client)->close_count(), 1u);
  EXPECT_TRUE((*websocket)->wait_closed(5000ms).has_value());

  auto again = MessageClient::connect(unix_endpoint());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::Unavailable);
}

// stop() gives running requests time to finish on the Unix socket and WebSocket alike.
TEST_F(UnixSocketTest, StopWaitsForRequestsInFlight) {
  for (const bool over_unix : {true, false}) {
    SCOPED_TRACE(over_unix ? "unix" : "websocket");
    start_unix();
    auto client = MessageClient::connect(over_unix ? unix_endpoint() : ws_endpoint());
    ASSERT_TRUE(client.has_value()) << client.error().message;
    ASSERT_TRUE((*client)->initialize());
    ASSERT_TRUE((*client)->send(tool_call(2, "slow", {{"ms", 600}})));
    // Answered after the slow call was received (one connection is read in order).
    ASSERT_TRUE((*client)->send(R"({"jsonrpc":"2.0","id":3,"method":"ping"})"));
    ASSERT_TRUE((*client)->wait_for_id(3).has_value());
    const auto t0 = std::chrono::steady_clock::now();
    net_->stop();
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 400ms) << "stop() did not wait for the running tool";
    EXPECT_TRUE((*client)->wait_closed(5000ms).has_value());
    net_.reset();
  }
}

TEST_F(UnixSocketTest, StopLeavesASuccessorsSocketAlone) {
  start_unix();
  // A successor replaced the file (e.g. a new daemon after this one was presumed dead).
  fs::remove(socket_path());
  make_stale_socket(socket_path());
  struct stat before {};
  ASSERT_EQ(::stat(socket_path().c_str(), &before), 0);
  net_->stop();
  struct stat after {};
  ASSERT_EQ(::stat(socket_path().c_str(), &after), 0) << "stop() removed a socket file that was not its own";
  EXPECT_EQ(before.st_ino, after.st_ino);
}

TEST_F(UnixSocketTest, OversizedIncomingMessageClosesTheClient) {
  start_unix();
  ConnectOptions options;
  options.max_message_bytes = 1024;
  auto client = MessageClient::connect(unix_endpoint(), options);
  ASSERT_TRUE(client.has_value()) << client.error().message;
  ASSERT_TRUE((*client)->initialize());
  ASSERT_TRUE((*client)->send(tool_call(2, "echo", {{"text", std::string(4096, 'y')}})));
  const auto reason = (*client)->wait_closed();
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("1024 byte limit"), std::string::npos) << *reason;
  EXPECT_TRUE(eventually([&] { return net_->open_sessions() == 0; }));
}

TEST_F(UnixSocketTest, DestroyedFromItsOwnCloseHandler) {
  start_unix();
  struct Shared {
    std::mutex mutex;
    std::condition_variable cv;
    std::shared_ptr<MessageConnection> connection;
    bool closed = false;
  };
  auto shared = std::make_shared<Shared>();
  auto connection = MessageConnection::connect(
      unix_endpoint(), {}, [](std::string) {},
      [shared](std::string) {
        std::shared_ptr<MessageConnection> last;
        {
          std::lock_guard lock(shared->mutex);
          last = std::move(shared->connection);
        }
        last.reset();  // the destructor runs on the reader thread, inside on_close
        std::lock_guard lock(shared->mutex);
        shared->closed = true;
        shared->cv.notify_all();
      });
  ASSERT_TRUE(connection.has_value()) << connection.error().message;
  {
    std::lock_guard lock(shared->mutex);
    shared->connection = *connection;
  }
  connection->reset();
  net_->stop();  // the server ends the connection
  std::unique_lock lock(shared->mutex);
  EXPECT_TRUE(shared->cv.wait_for(lock, 5s, [&] { return shared->closed; }));
  EXPECT_EQ(shared->connection, nullptr);
}

}  // namespace
}  // namespace cci::net
