// tests/store/registry_test.cpp — the project registry in a temporary data directory.
#include "store/registry.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace cci::store
