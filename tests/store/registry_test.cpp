// tests/store/registry_test.cpp — the project registry in a temporary data directory, including
// the upgrade of a registry written by an older cci (built here with the SQLite C API directly).
#include "store/registry.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

#include "core/paths.h"
#include "temp_dir.h"

namespace cci::store {
namespace {

namespace fs = std::filesystem;
using cci::testing::TempDir;

class RegistryTest : public ::testing::Test {
 protected:
  RegistryTest() {
    fs::create_directories(projects_.path() / "work" / "app" / "src" / "deep");
    fs::create_directories(projects_.path() / "work" / "lib");
  }

  std::unique_ptr<Registry> open() {
    auto registry = Registry::open(data_.path() / "data");
    EXPECT_TRUE(registry.has_value()) << (registry ? "" : registry.error().describe());
    return registry ? std::move(*registry) : nullptr;
  }

  fs::path root(std::string_view name) const { return canonical_root(projects_.path() / "work" / name); }

  TempDir data_;
  TempDir projects_;
};

TEST_F(RegistryTest, CreatesTheDataDirectory) {
  auto registry = open();
  ASSERT_TRUE(registry);
  EXPECT_TRUE(fs::exists(data_.path() / "data" / "registry.db"));
  auto all = registry->list();
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->empty());
}

TEST_F(RegistryTest, DbPathIsStablePerRootAndInsideProjects) {
  auto registry = open();
  const fs::path a = registry->db_path_for(root("app"));
  EXPECT_EQ(a, registry->db_path_for(root("app")));
  EXPECT_EQ(a, registry->db_path_for(projects_.path() / "work" / "app" / "src" / ".."));
  EXPECT_NE(a, registry->db_path_for(root("lib")));
  EXPECT_EQ(a.filename(), "index.db");
  EXPECT_EQ(a.parent_path().filename().string().size(), 16U);
  EXPECT_EQ(a.parent_path().parent_path(), canonical_root(data_.path() / "data" / "projects"));
}

TEST_F(RegistryTest, UpsertListFind) {
  auto registry = open();
  ProjectRecord app{.root = root("app").string(), .indexed_at = 100, .files = 3, .symbols = 30};
  ASSERT_TRUE(registry->upsert(app).has_value());
  ASSERT_TRUE(registry->upsert({.root = root("lib").string(), .name = "library"}).has_value());

  auto found = registry->find(root("app"));
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->name, "app");
  EXPECT_EQ((*found)->db_path, registry->db_path_for(root("app")).string());
  EXPECT_EQ((*found)->indexed_at, 100);
  EXPECT_EQ((*found)->files, 3U);
  EXPECT_EQ((*found)->symbols, 30U);

  app.indexed_at = 200;
  app.symbols = 31;
  ASSERT_TRUE(registry->upsert(app).has_value());
  auto all = registry->list();
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 2U);
  EXPECT_EQ((*all)[0].root, root("app").string());
  EXPECT_EQ((*all)[0].indexed_at, 200);
  EXPECT_EQ((*all)[0].symbols, 31U);
  EXPECT_EQ((*all)[1].name, "library");

  auto missing = registry->find(root("nothing"));
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());

  // A second connection (another process in real use) sees the same registrations.
  auto other = open();
  EXPECT_EQ(other->list()->size(), 2U);
}

TEST_F(RegistryTest, FindEnclosingWalksUpToTheNearestRoot) {
  auto registry = open();
  ASSERT_TRUE(registry->upsert({.root = root("app").string()}).has_value());
  ASSERT_TRUE(registry->upsert({.root = (root("app") / "src").string()}).has_value());

  auto deep = registry->find_enclosing(root("app") / "src" / "deep");
  ASSERT_TRUE(deep.has_value() && deep->has_value());
  EXPECT_EQ((*deep)->root, (root("app") / "src").string());
  auto self = registry->find_enclosing(root("app"));
  ASSERT_TRUE(self.has_value() && self->has_value());
  EXPECT_EQ((*self)->root, root("app").string());
  auto outside = registry->find_enclosing(root("lib"));
  ASSERT_TRUE(outside.has_value());
  EXPECT_FALSE(outside->has_value());
  auto nonexistent = registry->find_enclosing(root("app") / "not" / "there");
  ASSERT_TRUE(nonexistent.has_value() && nonexistent->has_value());
  EXPECT_EQ((*nonexistent)->root, root("app").string());
}

TEST_F(RegistryTest, RemoveDeletesRegistrationAndIndexDirectory) {
  auto registry = open();
  const fs::path db = registry->db_path_for(root("app"));
  fs::create_directories(db.parent_path());
  { std::ofstream(db) << "index"; }
  ASSERT_TRUE(registry->upsert({.root = root("app").string()}).has_value());
  ASSERT_TRUE(registry->remove(root("app")).has_value());
  EXPECT_FALSE(fs::exists(db.parent_path()));
  EXPECT_FALSE(registry->find(root("app"))->has_value());
  auto again = registry->remove(root("app"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::NotFound);
}

TEST_F(RegistryTest, RemoveNeverDeletesOutsideTheProjectsDirectory) {
  auto registry = open();
  const fs::path outside = projects_.path() / "work" / "lib";
  ASSERT_TRUE(registry->upsert({.root = root("lib").string(), .db_path = (outside / "index.db").string()}).has_value());
  ASSERT_TRUE(registry->remove(root("lib")).has_value());
  EXPECT_TRUE(fs::exists(outside));
  EXPECT_FALSE(registry->find(root("lib"))->has_value());
}

// Runs SQL on a registry file through its own connection, as an older or newer cci would have.
void exec_sql(const fs::path& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  EXPECT_EQ(rc, SQLITE_OK) << (message != nullptr ? message : "");
  sqlite3_free(message);
  sqlite3_close(db);
}

TEST_F(RegistryTest, WatchIsOnByDefaultAndUpsertKeepsTheSetting) {
  auto registry = open();
  ASSERT_TRUE(registry->upsert({.root = root("app").string(), .files = 1}).has_value());
  ASSERT_TRUE(registry->upsert({.root = root("lib").string(), .watch = false}).has_value());
  EXPECT_TRUE((*registry->find(root("app")))->watch);
  EXPECT_FALSE((*registry->find(root("lib")))->watch);  // a new project takes the record's value

  ASSERT_TRUE(registry->set_watch(root("app"), false).has_value());
  // Re-indexing upserts a record whose watch is the default (true): the user's "off" stays.
  ASSERT_TRUE(registry->upsert({.root = root("app").string(), .files = 2}).has_value());
  auto app = registry->find(root("app"));
  ASSERT_TRUE(app.has_value() && app->has_value());
  EXPECT_FALSE((*app)->watch);
  EXPECT_EQ((*app)->files, 2U);
  auto enclosing = registry->find_enclosing(root("app") / "src" / "deep");
  ASSERT_TRUE(enclosing.has_value() && enclosing->has_value());
  EXPECT_FALSE((*enclosing)->watch);

  ASSERT_TRUE(registry->set_watch(projects_.path() / "work" / "app" / "src" / "..", true).has_value());
  auto all = open()->list();  // another connection sees the change
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 2U);
  EXPECT_TRUE((*all)[0].watch);
  EXPECT_FALSE((*all)[1].watch);
}

TEST_F(RegistryTest, SetWatchOnAnUnknownProjectIsNotFound) {
  auto registry = open();
  ASSERT_TRUE(registry->upsert({.root = root("app").string()}).has_value());
  auto missing = registry->set_watch(root("lib"), false);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
  EXPECT_EQ(missing.error().message, "not an indexed project: " + root("lib").string());
  EXPECT_FALSE(registry->find(root("lib"))->has_value());
  EXPECT_TRUE((*registry->find(root("app")))->watch);
}

TEST_F(RegistryTest, UpgradesAVersion1RegistryInPlace) {
  const fs::path data_dir = data_.path() / "data";
  fs::create_directories(data_dir);
  const std::string app = root("app").string();
  // The registry exactly as cci with schema version 1 wrote it.
  exec_sql(data_dir / "registry.db",
           "CREATE TABLE projects(root TEXT PRIMARY KEY, name TEXT NOT NULL, db_path TEXT NOT NULL, "
           "indexed_at INTEGER NOT NULL, files INTEGER NOT NULL, symbols INTEGER NOT NULL);"
           "INSERT INTO projects VALUES('" + app + "', 'app', '/x/index.db', 123, 4, 56);"
           "PRAGMA user_version = 1;");

  auto registry = open();
  ASSERT_TRUE(registry);
  auto found = registry->find(root("app"));
  ASSERT_TRUE(found.has_value() && found->has_value()) << (found ? "" : found.error().describe());
  EXPECT_EQ((*found)->name, "app");
  EXPECT_EQ((*found)->db_path, "/x/index.db");
  EXPECT_EQ((*found)->indexed_at, 123);
  EXPECT_EQ((*found)->files, 4U);
  EXPECT_EQ((*found)->symbols, 56U);
  EXPECT_TRUE((*found)->watch);  // projects indexed before the setting existed are watched
  ASSERT_TRUE(registry->set_watch(root("app"), false).has_value());
  registry.reset();

  auto reopened = open();  // already at the current version: opens without migrating again
  ASSERT_TRUE(reopened);
  EXPECT_FALSE((*reopened->find(root("app")))->watch);
  ASSERT_TRUE(reopened->upsert({.root = root("lib").string()}).has_value());
  EXPECT_EQ(reopened->list()->size(), 2U);
}

TEST_F(RegistryTest, RefusesARegistryFromANewerCci) {
  const fs::path data_dir = data_.path() / "data";
  ASSERT_TRUE(open());
  exec_sql(data_dir / "registry.db", "PRAGMA user_version = 99;");
  auto registry = Registry::open(data_dir);
  ASSERT_FALSE(registry.has_value());
  EXPECT_EQ(registry.error().code, ErrorCode::Unsupported);
  EXPECT_NE(registry.error().message.find("schema version 99"), std::string::npos) << registry.error().message;
}

}  // namespace
}  // namespace cci::store
