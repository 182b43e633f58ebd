// daemon/client_config.cpp — `cci mcp-daemon config`: the MCP server entry each client needs to
// spawn `cci mcp-proxy`, where that client keeps it, and a merge into the client's existing file
// that never loses what is already there (backup first, other servers and keys kept, atomic write,
// refusal with the position of the error when the file is not valid JSON).
#include <sys/stat.h>

#include <fmt/format.h>

#include <cstdlib>
#include <ctime>
#include <system_error>

#include "daemon/daemon.h"
#include "daemon/state.h"

namespace cci::daemon {
namespace {

namespace fs = std::filesystem;
using detail::read_whole_file;
using detail::write_file_atomically;

constexpr const char* kServerName = "claude-code-indexer";

// The key under which each client keeps its servers.
const char* servers_key(ClientKind kind) { return kind == ClientKind::VSCode ? "servers" : "mcpServers"; }

std::string timestamp_for_file_name() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&now, &tm);
  return fmt::format("{:04}{:02}{:02}-{:02}{:02}{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

// 1-based line and column of byte offset `offset` (0-based) in `text`.
std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// Pretty JSON as the clients' own files are written; a path that is not UTF-8 cannot throw.
template <class J>
std::string dump(const J& json) {
  return json.dump(2, ' ', false, J::error_handler_t::replace) + "\n";
}

bool only_whitespace(std::string_view text) { return text.find_first_not_of(" \t\r\n") == std::string_view::npos; }

// The existing file's JSON (key order kept, so the rewrite changes only our entry), or why it
// cannot be merged into.
Result<rpc::OrderedJson> parse_config(const fs::path& file, const std::string& text) {
  if (only_whitespace(text)) return rpc::OrderedJson::object();
  try {
    return rpc::OrderedJson::parse(text);
  } catch (const rpc::OrderedJson::parse_error& e) {
    // JSONC (VS Code allows comments): parseable, but rewriting it would drop the comments.
    if (!rpc::Json::parse(text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true).is_discarded())
      return make_error(ErrorCode::InvalidArgument,
                        fmt::format("{} contains comments, which rewriting it would lose; add the entry by hand "
                                    "(see the snippet above); nothing was changed",
                                    file.string()));
    const auto [line, column] = line_and_column(text, e.byte > 0 ? e.byte - 1 : 0);
    return make_error(ErrorCode::InvalidArgument,
                      fmt::format("{} is not valid JSON (line {}, column {}); fix or move it, nothing was changed",
                                  file.string(), line, column));
  }
}

// A symlinked config (dotfile managers) is updated where it points, keeping the link.
fs::path write_target(const fs::path& file) {
  std::error_code ec;
  if (fs::is_symlink(file, ec)) {
    const fs::path target = fs::canonical(file, ec);
    if (!ec) return target;
  }
  return file;
}

}  // namespace

std::optional<ClientKind> client_kind_from_string(std::string_view name) {
  if (name == "claude-desktop" || name == "claude") return ClientKind::ClaudeDesktop;
  if (name == "claude-code") return ClientKind::ClaudeCode;
  if (name == "cursor") return ClientKind::Cursor;
  if (name == "vscode" || name == "code") return ClientKind::VSCode;
  return std::nullopt;
}

ClientConfig client_config(ClientKind kind, const fs::path& binary, const fs::path& home) {
  ClientConfig config;
  switch (kind) {
    case ClientKind::ClaudeDesktop: config.config_file = home / ".config" / "Claude" / "claude_desktop_config.json"; break;
    case ClientKind::ClaudeCode: config.config_file = home / ".claude.json"; break;
    case ClientKind::Cursor: config.config_file = home / ".cursor" / "mcp.json"; break;
    case ClientKind::VSCode: config.config_file = home / ".config" / "Code" / "User" / "mcp.json"; break;
  }
  rpc::Json entry = rpc::Json::object();
  if (kind == ClientKind::VSCode) entry["type"] = "stdio";
  entry["command"] = binary.string();
  entry["args"] = rpc::Json::array({"mcp-proxy"});
  // The client starts the proxy without the user's shell environment: a data directory chosen
  // with CCI_HOME must be spelled out or the proxy would look for (and start) another daemon.
  // The token is never put here: the proxy reads it from the data directory.
  if (const char* cci_home = std::getenv("CCI_HOME"); cci_home != nullptr && *cci_home != '\0')
    entry["env"] = rpc::Json{{"CCI_HOME", detail::resolve_data_dir(cci_home).string()}};
  config.server_entry = entry;
  config.snippet = dump(rpc::Json{{servers_key(kind), {{kServerName, entry}}}});
  if (kind == ClientKind::ClaudeCode) {
    std::string env;
    if (entry.contains("env")) env = fmt::format(" -e CCI_HOME={}", entry["env"]["CCI_HOME"].get<std::string>());
    config.command_line = fmt::format("claude mcp add --scope user{} {} -- {} mcp-proxy", env, kServerName, binary.string());
  }
  return config;
}

Result<fs::path> install_client_config(const ClientConfig& config) {
  const fs::path& file = config.config_file;
  // The snippet is the whole-file form, {"<servers key>": {...}}: its key is this client's.
  std::string key = "mcpServers";
  const rpc::Json snippet = rpc::Json::parse(config.snippet, nullptr, /*allow_exceptions=*/false);
  if (snippet.is_object() && snippet.size() == 1) key = snippet.begin().key();
  std::error_code ec;
  const bool exists = fs::exists(file, ec);

  rpc::OrderedJson root = rpc::OrderedJson::object();
  fs::path backup;
  mode_t mode = 0600;
  if (exists) {
    auto text = read_whole_file(file);
    if (!text) return std::unexpected(text.error());
    auto parsed = parse_config(file, *text);
    if (!parsed) return std::unexpected(parsed.error());
    root = std::move(*parsed);
    if (!root.is_object())
      return make_error(ErrorCode::InvalidArgument,
                        fmt::format("{} does not hold a JSON object; fix or move it, nothing was changed", file.string()));
    if (root.contains(key) && !root[key].is_object())
      return make_error(ErrorCode::InvalidArgument,
                        fmt::format("\"{}\" in {} is not an object; fix or move it, nothing was changed", key, file.string()));
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0) mode = st.st_mode & 07777;

    const std::string stem = file.string() + ".bak-" + timestamp_for_file_name();
    backup = stem;
    for (int n = 1; fs::exists(backup, ec); ++n) backup = fmt::format("{}-{}", stem, n);
    if (auto copied = write_file_atomically(backup, *text, mode); !copied)
      return make_error(ErrorCode::IoError,
                        fmt::format("cannot write a backup of {} ({}); nothing was changed", file.string(),
                                    copied.error().message));
  } else {
    fs::create_directories(file.parent_path(), ec);
    if (ec)
      return make_error(ErrorCode::IoError,
                        fmt::format("cannot create {}: {}", file.parent_path().string(), ec.message()));
  }

  root[key][kServerName] = rpc::OrderedJson::parse(dump(config.server_entry));
  if (auto written = write_file_atomically(write_target(file), dump(root), mode); !written)
    return std::unexpected(written.error());
  return backup;
}

}  // namespace cci::daemon
