// store/schema.h — the index schema as forward migrations, and the index DDL that bulk
// replacements drop and recreate.
#pragma once

#include <span>
#include <string_view>

namespace cci::store::detail {

struct Migration {
  int version;           // user_version after this step
  std::string_view sql;  // applied inside the migration transaction
};

// Ordered by version; the last one's version equals kSchemaVersion.
std::span<const Migration> migrations();

// Secondary indexes of edges/ranks. replace_edges/replace_ranks drop them, bulk-insert and
// recreate them: building an index once from sorted data is much faster than millions of
// random B-tree inserts. Kept here so the migration and the rebuild cannot drift apart.
inline constexpr std::string_view kDropEdgeIndexes =
    "DROP INDEX IF EXISTS edges_by_target;"
    "DROP INDEX IF EXISTS edges_by_source;"
    "DROP INDEX IF EXISTS edges_unresolved_leaf;";
inline constexpr std::string_view kCreateEdgeIndexes =
    "CREATE INDEX IF NOT EXISTS edges_by_target ON edges(target, kind);"
    "CREATE INDEX IF NOT EXISTS edges_by_source ON edges(source, kind);"
    "CREATE INDEX IF NOT EXISTS edges_unresolved_leaf ON edges(target_leaf) WHERE target = 0;";
inline constexpr std::string_view kDropRankIndexes = "DROP INDEX IF EXISTS ranks_by_importance;";
inline constexpr std::string_view kCreateRankIndexes =
    "CREATE INDEX IF NOT EXISTS ranks_by_importance ON ranks(importance DESC, pagerank DESC, id);";

}  // namespace cci::store::detail
