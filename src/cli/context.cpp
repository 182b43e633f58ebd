#include "cli/context.h"

#include <fmt/format.h>

#include <filesystem>

#include "cli/output.h"
#include "core/paths.h"

namespace cci::cli {

namespace fs = std::filesystem;

Result<OpenProject> open_project(const GlobalOptions& options) {
  const fs::path start = canonical_root(options.project.empty() ? fs::current_path() : fs::path(options.project));
  auto registry = store::Registry::open(data_dir());
  if (!registry) return std::unexpected(registry.error());
  auto found = (*registry)->find_enclosing(start);
  if (!found) return std::unexpected(found.error());
  if (!*found)
    return make_error(ErrorCode::NotIndexed,
                      fmt::format("{} is not inside an indexed project: run `cci index` in the repository root "
                                  "(or pass --project PATH)",
                                  start.string()));
  auto opened = store::IndexStore::open((*found)->db_path, store::OpenMode::ReadOnly);
  if (!opened) {
    if (opened.error().code == ErrorCode::NotIndexed)
      return make_error(ErrorCode::NotIndexed,
                        fmt::format("the index of {} is missing: run `cci index {}`", (*found)->root, (*found)->root));
    return std::unexpected(opened.error());
  }
  return OpenProject{std::move(**found), std::move(*opened)};
}

int fail(const GlobalOptions& options, const Error& error) {
  if (options.json) {
    print_json({{"error", {{"code", to_string(error.code)}, {"message", error.message}}}});
  } else {
    print_error(error.message);
  }
  return error.code == ErrorCode::NotFound ? kExitNoMatch : kExitUsage;
}

}  // namespace cci::cli
