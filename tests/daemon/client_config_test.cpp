// `cci mcp-daemon config --install` as a library call: merging our server into MCP clients'
// real config files without losing anything that was there.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "daemon/daemon.h"
#include "rpc/json.h"
#include "temp_dir.h"

namespace cci::daemon {
namespace {

namespace fs = std::filesystem;
using rpc::Json;
using testing::read_file;
using testing::TempDir;

const fs::path kBinary = "/opt/cci/bin/cci";

// CCI_HOME changes the entry (it is spelled out for the client); these tests pin it unset.
class ClientConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* v = std::getenv("CCI_HOME")) saved_ = v;
    ::unsetenv("CCI_HOME");
  }
  void TearDown() override {
    if (saved_) ::setenv("CCI_HOME", saved_->c_str(), 1);
  }
  std::vector<fs::path> files_in(const fs::path& dir) const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
  TempDir home_;
  std::optional<std::string> saved_;
};

TEST_F(ClientConfigTest, MergesIntoExistingFileKeepingOtherServersAndKeysAndWritesBackup) {
  const ClientConfig config = client_config(ClientKind::ClaudeDesktop, kBinary, home_.path());
  EXPECT_EQ(config.config_file, home_.path() / ".config/Claude/claude_desktop_config.json");
  const std::string original =
      R"({"globalShortcut": "Ctrl+Space", "mcpServers": {"filesystem": {"command": "npx", "args": ["-y", "fs"]}}})";
  home_.write(".config/Claude/claude_desktop_config.json", original);

  auto backup = install_client_config(config);
  ASSERT_TRUE(backup.has_value()) << backup.error().message;
  ASSERT_FALSE(backup->empty());
  EXPECT_EQ(read_file(*backup), original);  // byte-identical copy of what was there
  EXPECT_EQ(backup->parent_path(), config.config_file.parent_path());
  EXPECT_TRUE(backup->filename().string().starts_with("claude_desktop_config.json.bak-")) << *backup;

  const Json merged = Json::parse(read_file(config.config_file));
  EXPECT_EQ(merged["globalShortcut"], "Ctrl+Space");
  EXPECT_EQ(merged["mcpServers"]["filesystem"], Json::parse(R"({"command": "npx", "args": ["-y", "fs"]})"));
  EXPECT_EQ(merged["mcpServers"]["claude-code-indexer"], Json::parse(R"({"command": "/opt/cci/bin/cci", "args": ["mcp-proxy"]})"));
  EXPECT_EQ(merged["mcpServers"].size(), 2u);
}

TEST_F(ClientConfigTest, InstallingTwiceReplacesOurEntryAndKeepsBothBackups) {
  const ClientConfig config = client_config(ClientKind::Cursor, kBinary, home_.path());
  home_.write(".cursor/mcp.json", R"({"mcpServers": {"claude-code-indexer": {"command": "/old/cci", "args": []}}})");
  auto first = install_client_config(config);
  auto second = install_client_config(config);
  ASSERT_TRUE(first && second);
  EXPECT_NE(*first, *second);
  EXPECT_TRUE(fs::exists(*first));
  EXPECT_TRUE(fs::exists(*second));
  EXPECT_NE(read_file(*first).find("/old/cci"), std::string::npos);
  const Json merged = Json::parse(read_file(config.config_file));
  EXPECT_EQ(merged["mcpServers"].size(), 1u);
  EXPECT_EQ(merged["mcpServers"]["claude-code-indexer"]["command"], kBinary.string());
}

TEST_F(ClientConfigTest, InvalidJsonIsRefusedWithItsPositionAndNothingChanges) {
  const ClientConfig config = client_config(ClientKind::ClaudeDesktop, kBinary, home_.path());
  const std::string broken = "{\n  \"mcpServers\": {\n    \"x\": {\"command\": \"a\",}\n  }\n}\n";
  const fs::path file = home_.write(".config/Claude/claude_desktop_config.json", broken);
  const auto before = files_in(file.parent_path());

  auto result = install_client_config(config);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::InvalidArgument);
  EXPECT_NE(result.error().message.find(file.string() + " is not valid JSON (line 3, column"), std::string::npos)
      << result.error().message;
  EXPECT_NE(result.error().message.find("nothing was changed"), std::string::npos);
  EXPECT_EQ(read_file(file), broken);
  EXPECT_EQ(files_in(file.parent_path()), before);  // no backup, no temporary left behind
}

TEST_F(ClientConfigTest, ServersKeyThatIsNotAnObjectIsRefused) {
  const ClientConfig config = client_config(ClientKind::Cursor, kBinary, home_.path());
  const std::string odd = R"({"mcpServers": ["not", "an", "object"]})";
  const fs::path file = home_.write(".cursor/mcp.json", odd);
  auto result = install_client_config(config);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(read_file(file), odd);
  EXPECT_EQ(files_in(file.parent_path()).size(), 1u);
}

TEST_F(ClientConfigTest, CommentsAreNotSilentlyDropped) {
  const ClientConfig config = client_config(ClientKind::VSCode, kBinary, home_.path());
  const std::string jsonc = "{\n  // my servers\n  \"servers\": {}\n}\n";
  const fs::path file = home_.write(".config/Code/User/mcp.json", jsonc);
  auto result = install_client_config(config);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("comments"), std::string::npos) << result.error().message;
  EXPECT_EQ(read_file(file), jsonc);
}

TEST_F(ClientConfigTest, MissingFileIsCreatedWithItsDirectories) {
  const ClientConfig config = client_config(ClientKind::ClaudeDesktop, kBinary, home_.path());
  ASSERT_FALSE(fs::exists(config.config_file.parent_path()));
  auto backup = install_client_config(config);
  ASSERT_TRUE(backup.has_value()) << backup.error().message;
  EXPECT_TRUE(backup->empty());
  const Json written = Json::parse(read_file(config.config_file));
  EXPECT_EQ(written, Json::parse(config.snippet));
  struct stat st {};
  ASSERT_EQ(::stat(config.config_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ClientConfigTest, EmptyExistingFileCountsAsEmptyObject) {
  const ClientConfig config = client_config(ClientKind::Cursor, kBinary, home_.path());
  home_.write(".cursor/mcp.json", "\n");
  auto backup = install_client_config(config);
  ASSERT_TRUE(backup.has_value()) << backup.error().message;
  EXPECT_FALSE(backup->empty());
  EXPECT_EQ(Json::parse(read_file(config.config_file)), Json::parse(config.snippet));
}

TEST_F(ClientConfigTest, VSCodeUsesServersKeyAndStdioType) {
  const ClientConfig config = client_config(ClientKind::VSCode, kBinary, home_.path());
  EXPECT_EQ(config.config_file, home_.path() / ".config/Code/User/mcp.json");
  EXPECT_EQ(config.server_entry, Json::parse(R"({"type": "stdio", "command": "/opt/cci/bin/cci", "args": ["mcp-proxy"]})"));
  home_.write(".config/Code/User/mcp.json", R"({"servers": {"gh": {"type": "http", "url": "https://x"}}, "inputs": []})");
  ASSERT_TRUE(install_client_config(config).has_value());
  const Json merged = Json::parse(read_file(config.config_file));
  EXPECT_FALSE(merged.contains("mcpServers"));
  EXPECT_EQ(merged["servers"]["gh"]["url"], "https://x");
  EXPECT_EQ(merged["servers"]["claude-code-indexer"]["type"], "stdio");
  EXPECT_EQ(merged["inputs"], Json::array());
}

TEST_F(ClientConfigTest, ClaudeCodeHasItsFileAndCommandLine) {
  const ClientConfig config = client_config(ClientKind::ClaudeCode, kBinary, home_.path());
  EXPECT_EQ(config.config_file, home_.path() / ".claude.json");
  EXPECT_EQ(config.command_line, "claude mcp add --scope user claude-code-indexer -- /opt/cci/bin/cci mcp-proxy");
  EXPECT_EQ(Json::parse(config.snippet)["mcpServers"]["claude-code-indexer"]["args"], Json::array({"mcp-proxy"}));
  EXPECT_TRUE(client_config(ClientKind::Cursor, kBinary, home_.path()).command_line.empty());
}

TEST_F(ClientConfigTest, SymlinkedConfigIsUpdatedWhereItPoints) {
  const ClientConfig config = client_config(ClientKind::ClaudeCode, kBinary, home_.path());
  const fs::path real = home_.write("dotfiles/claude.json", R"({"numStartups": 3})");
  fs::create_symlink(real, config.config_file);
  ASSERT_TRUE(install_client_config(config).has_value());
  EXPECT_TRUE(fs::is_symlink(config.config_file));
  const Json merged = Json::parse(read_file(real));
  EXPECT_EQ(merged["numStartups"], 3);
  EXPECT_TRUE(merged["mcpServers"].contains("claude-code-indexer"));
}

TEST_F(ClientConfigTest, DataDirectoryFromCciHomeIsSpelledOutButNeverTheToken) {
  ::setenv("CCI_HOME", "/srv/cci-data", 1);
  const ClientConfig config = client_config(ClientKind::ClaudeDesktop, kBinary, home_.path());
  EXPECT_EQ(config.server_entry["env"], Json::parse(R"({"CCI_HOME": "/srv/cci-data"})"));
  EXPECT_EQ(config.snippet.find("token"), std::string::npos);
}

TEST(ClientKind, Names) {
  EXPECT_EQ(client_kind_from_string("claude-desktop"), ClientKind::ClaudeDesktop);
  EXPECT_EQ(client_kind_from_string("claude-code"), ClientKind::ClaudeCode);
  EXPECT_EQ(client_kind_from_string("cursor"), ClientKind::Cursor);
  EXPECT_EQ(client_kind_from_string("vscode"), ClientKind::VSCode);
  EXPECT_EQ(client_kind_from_string("emacs"), std::nullopt);
}

}  // namespace
}  // namespace cci::daemon
