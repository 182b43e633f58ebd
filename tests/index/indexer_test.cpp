// The indexer end to end through the library: full and incremental runs on real temporary
// repositories, the incremental == full invariant, and hostile input that must be skipped and
// reported without aborting the run.
#include "index/indexer.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "search/searcher.h"
#include "temp_dir.h"

namespace cci {
namespace {

namespace fs = std::filesystem;

const std::map<std::string, std::string> kRepo = {
    {"pkg/__init__.py", "from .core import Engine\n"},
    {"pkg/core.py",
     "\"\"\"Core engine.\"\"\"\nfrom .util import helper, parse_http_request\n\n\n"
     "class Base:\n    def run(self):\n        return self.step()\n\n    def step(self):\n        return helper(1)\n\n\n"
     "class Engine(Base):\n    \"\"\"Drives everything.\"\"\"\n\n    def step(self):\n        return parse_http_request('x')\n"},
    {"pkg/util.py",
     "def helper(x):\n    return x + 1\n\n\ndef parse_http_request(text):\n    return helper(len(text))\n\n\n"
     "def unused_thing():\n    pass\n"},
    {"web/app.js",
     "import { render } from './view.js';\n\nexport function main() {\n  return render(42);\n}\n"},
    {"web/view.js", "export function render(x) {\n  return String(x);\n}\n"},
    {"native/lib.c", "#include \"lib.h\"\n\nint add(int a, int b) { return a + b; }\n\nint twice(int a) { return add(a, a); }\n"},
    {"native/lib.h", "int add(int a, int b);\nint twice(int a);\n"},
    {"README.md", "# not source\n"},
};

class IndexerTest : public ::testing::Test {
 protected:
  testing::TempDir repo_;
  testing::TempDir home_;

  index::IndexOptions options(const fs::path& data_dir) const {
    index::IndexOptions o;
    o.data_dir = data_dir;
    o.workers = 2;
    return o;
  }

  Result<index::IndexReport> index_into(const fs::path& data_dir, bool force = false) {
    auto o = options(data_dir);
    o.force = force;
    return index::index_project(repo_.path(), o);
  }

  std::string dump(const fs::path& db_path) {
    auto db = store::IndexStore::open(db_path, store::OpenMode::ReadOnly);
    EXPECT_TRUE(db.has_value()) << (db ? "" : db.error().describe());
    if (!db) return {};
    auto text = index::dump_index(**db);
    EXPECT_TRUE(text.has_value());
    return text.value_or("");
  }
};

TEST_F(IndexerTest, FullIndexFindsSymbolsAndEdges) {
  repo_.write_all(kRepo);
  auto report = index_into(home_.path() / "data");
  ASSERT_TRUE(report.has_value()) << report.error().describe();
  EXPECT_FALSE(report->incremental);
  EXPECT_EQ(report->files_total, 7u);
  EXPECT_EQ(report->files_parsed, 7u);
  EXPECT_GE(report->unsupported, 1u);  // README.md
  EXPECT_GT(report->symbols, 15u);
  EXPECT_EQ(report->generation, 1u);

  auto db = store::IndexStore::open(report->db_path, store::OpenMode::ReadOnly);
  ASSERT_TRUE(db.has_value());
  search::Searcher searcher(**db);
  auto hits = searcher.search({{"parseHttp"}, search::MatchMode::Any, {}, 10, 0});
  ASSERT_TRUE(hits.has_value()) << hits.error().describe();
  ASSERT_FALSE(hits->hits.empty());
  EXPECT_EQ(hits->hits[0].symbol.name, "parse_http_request");

  // helper() is called from two files: both callers are found, and resolved, not guessed.
  auto refs = searcher.find_references("helper", {}, 50);
  ASSERT_TRUE(refs.has_value());
  ASSERT_EQ(refs->targets.size(), 1u);
  std::vector<std::string> callers;
  for (const auto& r : refs->resolved)
    if (r.edge.kind == EdgeKind::Calls && r.from) callers.push_back(r.from->qualified_name);
  std::sort(callers.begin(), callers.end());
  EXPECT_EQ(callers, (std::vector<std::string>{"pkg.core.Base.step", "pkg.util.parse_http_request"}));

  // The heavily used helper outranks the never-called function.
  auto helper = searcher.find_definition("helper", {}, 1);
  auto unused = searcher.find_definition("unused_thing", {}, 1);
  ASSERT_TRUE(helper && unused && !helper->symbols.empty() && !unused->symbols.empty());
  EXPECT_GT(helper->symbols[0].importance, unused->symbols[0].importance);

  auto integrity = (*db)->integrity_check();
  EXPECT_TRUE(integrity.has_value());
}

TEST_F(IndexerTest, SecondRunParsesNothingAndTouchedFilesAreNotReparsed) {
  repo_.write_all(kRepo);
  const fs::path data = home_.path() / "data";
  auto first = index_into(data);
  ASSERT_TRUE(first.has_value());
  const std::string before = dump(first->db_path);

  auto again = index_into(data);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->incremental);
  EXPECT_EQ(again->files_parsed, 0u);
  EXPECT_EQ(again->files_unchanged, 7u);
  // Nothing changed: same generation, and the summary reports the same graph.
  EXPECT_EQ(again->generation, first->generation);
  EXPECT_EQ(again->files_total, first->files_total);
  EXPECT_EQ(again->symbols, first->symbols);
  EXPECT_EQ(again->edges, first->edges);
  EXPECT_EQ(again->unresolved_references, first->unresolved_references);
  EXPECT_EQ(again->files_by_language, first->files_by_language);
  EXPECT_EQ(again->edges_by_kind, first->edges_by_kind);

  // Same bytes, new mtime: hashed, not parsed.
  const fs::path core = repo_.path() / "pkg/core.py";
  struct timespec times[2] = {{0, UTIME_NOW}, {1234567890, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, core.c_str(), times, 0), 0);
  auto touched = index_into(data);
  ASSERT_TRUE(touched.has_value());
  EXPECT_EQ(touched->files_parsed, 0u);
  EXPECT_EQ(dump(touched->db_path), before);
}

TEST_F(IndexerTest, IncrementalEqualsFullAfterMutations) {
  repo_.write_all(kRepo);
  const fs::path incremental_data = home_.path() / "incremental";
  ASSERT_TRUE(index_into(incremental_data).has_value());

  // Edit (rename a function and its callers), add, delete, rename, and break a file.
  repo_.write("pkg/util.py",
              "def assist(x):\n    return x + 1\n\n\ndef parse_http_request(text):\n    return assist(len(text))\n");
  repo_.write("pkg/core.py",
              "from .util import assist, parse_http_request\n\n\nclass Base:\n    def run(self):\n        return self.step()\n\n"
              "    def step(self):\n        return assist(1)\n");
  repo_.write("pkg/extra.py", "from .core import Base\n\n\nclass Extra(Base):\n    def step(self):\n        return 7\n");
  repo_.remove("web/view.js");
  fs::rename(repo_.path() / "native/lib.c", repo_.path() / "native/impl.c");
  repo_.write("web/broken.js", "export function ok() { return 1; }\nfunction broken( {\n");

  auto incremental = index_into(incremental_data);
  ASSERT_TRUE(incremental.has_value()) << incremental.error().describe();
  EXPECT_TRUE(incremental->incremental);
  EXPECT_EQ(incremental->files_parsed, 5u);  // util, core, extra, impl.c, broken.js
  EXPECT_EQ(incremental->files_removed, 2u);  // view.js, lib.c
  EXPECT_EQ(incremental->files_partial, 1u);

  auto full = index_into(home_.path() / "full");
  ASSERT_TRUE(full.has_value());
  EXPECT_FALSE(full->incremental);
  const std::string a = dump(incremental->db_path);
  const std::string b = dump(full->db_path);
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.find("helper"), std::string::npos);  // the old name is gone everywhere
  EXPECT_NE(a.find("pkg.util.assist"), std::string::npos);
}

TEST_F(IndexerTest, ForceReparsesEverythingWithTheSameResult) {
  repo_.write_all(kRepo);
  const fs::path data = home_.path() / "data";
  auto first = index_into(data);
  ASSERT_TRUE(first.has_value());
  const std::string before = dump(first->db_path);
  auto forced = index_into(data, /*force=*/true);
  ASSERT_TRUE(forced.has_value());
  EXPECT_EQ(forced->files_parsed, 7u);
  EXPECT_EQ(forced->generation, 2u);
  EXPECT_EQ(dump(forced->db_path), before);
}

TEST_F(IndexerTest, HostileFilesAreSkippedWithReasonsAndNeverAbortTheRun) {
  repo_.write_all(kRepo);
  repo_.write("bin/blob.py", std::string("\x7f" "ELF\0\0\0\x01garbage", 16));
  repo_.write("big/huge.py", std::string(2 << 20, '#'));
  repo_.write("enc/latin1.py", "def caf\xe9():\n    return '\xff\xfe'\n");
  std::string huge_line = "X = [";
  for (int i = 0; i < 100000; ++i) huge_line += "1, ";
  huge_line += "]\n";
  repo_.write("gen/hugeline.py", huge_line);
  std::string nest;
  for (int i = 0; i < 50000; ++i) nest += "[\n";
  repo_.write("deep/nest.js", nest);
  ASSERT_EQ(::symlink("/nonexistent/target.py", (repo_.path() / "dangling.py").c_str()), 0);

  auto report = index_into(home_.path() / "data");
  ASSERT_TRUE(report.has_value()) << report.error().describe();
  auto reason_of = [&](const std::string& path) -> std::string {
    for (const auto& s : report->skipped)
      if (s.path == path) return s.reason;
    return "";
  };
  EXPECT_EQ(reason_of("bin/blob.py"), "binary");
  EXPECT_EQ(reason_of("big/huge.py"), "too-large");
  EXPECT_EQ(reason_of("dangling.py"), "unreadable");
  // Invalid UTF-8, a 300 KB line and 100k nesting levels are indexed (possibly partially), not lost.
  auto db = store::IndexStore::open(report->db_path, store::OpenMode::ReadOnly);
  ASSERT_TRUE(db.has_value());
  for (const char* path : {"enc/latin1.py", "deep/nest.js"}) {
    auto file = (*db)->file(path);
    ASSERT_TRUE(file.has_value());
    EXPECT_TRUE(file->has_value()) << path;
  }
  auto stats = (*db)->stats();
  ASSERT_TRUE(stats.has_value());
  EXPECT_GE(stats->files, 9u);
}

TEST_F(IndexerTest, CancelledRunLeavesThePreviousIndex) {
  repo_.write_all(kRepo);
  const fs::path data = home_.path() / "data";
  auto first = index_into(data);
  ASSERT_TRUE(first.has_value());
  const std::string before = dump(first->db_path);

  repo_.write("pkg/new.py", "def brand_new():\n    pass\n");
  std::atomic<bool> cancel{true};
  auto o = options(data);
  o.cancel = &cancel;
  auto cancelled = index::index_project(repo_.path(), o);
  ASSERT_FALSE(cancelled.has_value());
  EXPECT_EQ(cancelled.error().code, ErrorCode::Cancelled);
  EXPECT_EQ(dump(first->db_path), before);
}

TEST_F(IndexerTest, RefusesRootAndHomeUnlessForced) {
  auto o = options(home_.path() / "data");
  auto refused = index::index_project("/", o);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::Refused);
}

}  // namespace
}  // namespace cci
