// cli/command_query.cpp — the read-only questions: search, def, refs, callees, outline, query.
//
// Each command is a thin client of one MCP code tool (search_code, find_definition,
// find_references, find_callees, get_file_outline, query_important_code): it turns its options
// into the tool's arguments, gets the tools/call result from the daemon or in-process
// (cli/tool_runner.h), and renders the table or the --json output from that result's
// structuredContent alone. Nothing else is read, so the output is the same whichever path
// answered. --json prints the structuredContent (the tool's documented outputSchema).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/tool_runner.h"
#include "core/model.h"
#include "core/paths.h"

namespace cci::cli {
namespace {

namespace fs = std::filesystem;
using rpc::Json;

// ------------------------------------------------------------------------------------------------
// Reading a tool result. Fields are read defensively: a daemon of another version may omit one,
// and a missing field must degrade the rendering, not throw.
// ------------------------------------------------------------------------------------------------

std::string text_field(const Json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t int_field(const Json& j, const char* key, std::int64_t fallback = 0) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<std::int64_t>() : fallback;
}

double number_field(const Json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0;
}

bool bool_field(const Json& j, const char* key) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

const Json& array_field(const Json& j, const char* key) {
  static const Json kEmpty = Json::array();
  if (!j.is_object()) return kEmpty;
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

// The id is a decimal string in the tools' output (63-bit ids lose precision as JSON numbers).
std::string id_field(const Json& j) {
  if (!j.is_object()) return {};
  auto it = j.find("id");
  if (it == j.end()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

bool is_error(const Json& result) { return bool_field(result, "isError"); }

const Json& structured(const Json& result) {
  static const Json kEmpty = Json::object();
  if (!result.is_object()) return kEmpty;
  auto it = result.find("structuredContent");
  return it != result.end() && it->is_object() ? *it : kEmpty;
}

std::string result_text(const Json& result) {
  std::string out;
  for (const auto& block : array_field(result, "content"))
    if (text_field(block, "type") == "text") out += text_field(block, "text");
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// ------------------------------------------------------------------------------------------------
// Arguments
// ------------------------------------------------------------------------------------------------

// Filters shared by several commands (--type, --lang, --path).
struct FilterArgs {
  std::vector<std::string> types;
  std::vector<std::string> langs;
  std::string path_glob;
};

void add_filter_options(CLI::App* cmd, FilterArgs& f) {
  cmd->add_option("--type,--kind", f.types,
                  "Symbol kind: file module namespace class struct interface trait enum function method constant "
                  "variable import (repeatable)");
  cmd->add_option("--lang", f.langs, "Language: python javascript typescript tsx java go rust c cpp (repeatable)");
  cmd->add_option("--path", f.path_glob, "Only files matching this glob (e.g. 'src/*')");
}

// Usage errors are the command line's to report, before anything is asked of an index.
Status check_filter(const FilterArgs& f) {
  for (const auto& t : f.types)
    if (!symbol_kind_from_string(t))
      return make_error(ErrorCode::InvalidArgument,
                        fmt::format("unknown --type '{}' (one of: class, function, method, struct, interface, trait, enum, "
                                    "module, namespace, constant, variable, import, file)",
                                    t));
  for (const auto& l : f.langs)
    if (!language_from_string(l))
      return make_error(ErrorCode::InvalidArgument,
                        fmt::format("unknown --lang '{}' (one of: python, javascript, typescript, tsx, java, go, rust, c, cpp)", l));
  return {};
}

// The directory the tools resolve the project from: --project, else the working directory.
fs::path project_start(const GlobalOptions& global) {
  return canonical_root(global.project.empty() ? fs::current_path() : fs::path(global.project));
}

Json base_arguments(const GlobalOptions& global) { return Json{{"project_path", project_start(global).string()}}; }

// The project and filter arguments a filtered query starts from; nullopt (with the exit code
// set) when a filter is not valid.
std::optional<Json> filtered_arguments(const GlobalOptions& global, const FilterArgs& f, int& exit_code,
                                       const char* kind_key = "type") {
  if (auto ok = check_filter(f); !ok) {
    exit_code = fail(global, ok.error());
    return std::nullopt;
  }
  Json arguments = base_arguments(global);
  if (!f.types.empty()) arguments[kind_key] = fmt::format("{}", fmt::join(f.types, ","));
  if (!f.langs.empty()) arguments["lang"] = fmt::format("{}", fmt::join(f.langs, ","));
  if (!f.path_glob.empty()) arguments["path"] = f.path_glob;
  return arguments;
}

// ------------------------------------------------------------------------------------------------
// Calling
// ------------------------------------------------------------------------------------------------

// A paged tool answers at most `page_max` items per call and stops early at its character budget
// (truncated + next_offset). Pages are fetched until `wanted` items of `lists` arrived or there
// are no more; the result is the first page's, with the lists concatenated and the paging fields
// of the last page.
Json fetch_pages(ToolRunner& runner, const std::string& tool, Json arguments, std::vector<const char*> lists,
                 std::size_t wanted, std::size_t page_max) {
  std::size_t offset = static_cast<std::size_t>(int_field(arguments, "offset"));
  Json merged;
  std::size_t collected = 0;
  for (;;) {
    arguments["limit"] = std::min(wanted - collected, page_max);
    if (offset > 0) arguments["offset"] = offset;
    Json page = runner.call(tool, arguments);
    if (is_error(page)) return merged.is_null() ? page : merged;
    Json& content = page["structuredContent"];
    if (!content.is_object()) return merged.is_null() ? page : merged;
    std::size_t items = 0;
    for (const char* key : lists) items += array_field(content, key).size();
    if (merged.is_null()) {
      merged = std::move(page);
    } else {
      Json& into = merged["structuredContent"];
      for (const char* key : lists)
        for (auto& item : content[key]) into[key].push_back(std::move(item));
      into["truncated"] = content["truncated"];
      if (content.contains("next_offset"))
        into["next_offset"] = content["next_offset"];
      else
        into.erase("next_offset");
    }
    collected += items;
    const Json& last = merged["structuredContent"];
    if (!bool_field(last, "truncated") || items == 0 || collected >= wanted) break;
    const auto next = int_field(last, "next_offset", -1);
    if (next < 0 || static_cast<std::size_t>(next) <= offset) break;
    offset = static_cast<std::size_t>(next);
  }
  return merged;
}

// ------------------------------------------------------------------------------------------------
// Failures. The tools report expected failures as isError results whose text is meant for a
// model; these are recognised by the wording of code_tools.cpp / project_service.cpp and told
// the command line's way. Anything unrecognised is printed as the tool wrote it (exit 2).
// ------------------------------------------------------------------------------------------------

struct ToolFailure {
  ErrorCode code = ErrorCode::Internal;
  std::string message;
  std::vector<std::string> suggestions;  // "did you mean" names of a symbol that does not exist
};

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(", ");
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 2);
  }
  return out;
}

ToolFailure classify_failure(const Json& result, const GlobalOptions& global, std::string_view asked_name) {
  const std::string text = result_text(result);
  ToolFailure f;
  if (text.starts_with("no symbol named ")) {
    f.code = ErrorCode::NotFound;
    constexpr std::string_view kSuggest = "; did you mean: ";
    if (const auto at = text.find(kSuggest); at != std::string::npos)
      f.suggestions = split_list(std::string_view(text).substr(at + kSuggest.size()));
    f.message = f.suggestions.empty()
                    ? fmt::format("no symbol named '{}'", asked_name)
                    : fmt::format("no symbol named '{}'; did you mean: {}", asked_name, fmt::join(f.suggestions, ", "));
  } else if (text.find(" is not in the index") != std::string::npos) {
    f.code = ErrorCode::NotFound;
    f.message = text.substr(0, text.find(" (see get_index_status"));
  } else if (text.find(" is not indexed") != std::string::npos) {
    f.code = ErrorCode::NotIndexed;
    f.message = fmt::format("{} is not inside an indexed project: run `cci index` in the repository root (or pass "
                            "--project PATH)",
                            project_start(global).string());
  } else if (text.starts_with("Invalid arguments for tool") || text.find("outside the project root") != std::string::npos ||
             text.find(" is empty") != std::string::npos || text.starts_with("unknown ")) {
    f.code = text.find("outside the project root") != std::string::npos ? ErrorCode::Refused : ErrorCode::InvalidArgument;
    f.message = text;
  } else {
    f.code = ErrorCode::Internal;
    f.message = text.empty() ? std::string("the tool failed without a message") : text;
  }
  return f;
}

// Prints the failure (stderr, or JSON on stdout with --json: `extra` plus {"error": ...}) and
// returns the exit code: 1 for "no such symbol / file", 2 for everything else.
int report_failure(const GlobalOptions& global, const ToolFailure& f, Json extra = Json::object()) {
  if (global.json) {
    if (f.code == ErrorCode::NotFound && extra.contains("name")) extra["suggestions"] = f.suggestions;
    extra["error"] = {{"code", to_string(f.code)}, {"message", f.message}};
    print_json(extra);
  } else {
    print_error(f.message);
  }
  return f.code == ErrorCode::NotFound ? kExitNoMatch : kExitUsage;
}

// ------------------------------------------------------------------------------------------------
// Rendering
// ------------------------------------------------------------------------------------------------

std::string location(const Json& symbol) {
  return fmt::format("{}:{}", text_field(symbol, "path"), int_field(symbol, "line"));
}

std::string tags_of(const Json& symbol, std::string_view before) {
  std::vector<std::string> tags;
  for (const auto& t : array_field(symbol, "tags"))
    if (t.is_string()) tags.push_back(t.get<std::string>());
  return tags.empty() ? std::string() : fmt::format("{}[{}]", before, fmt::join(tags, ","));
}

// "  3. function  src.mathutil.square                       src/mathutil.py:1  imp 0.42"
std::string symbol_line(std::int64_t rank, const Json& s) {
  std::string line = fmt::format("{:>3}. {:<9} {:<40} {}", rank, text_field(s, "kind"),
                                 shorten(text_field(s, "qualified_name"), 40), location(s));
  line += tags_of(s, "  ");
  line += fmt::format("  imp {:.2f}\n", number_field(s, "importance"));
  if (const auto sig = text_field(s, "signature"); !sig.empty()) line += fmt::format("       {}\n", shorten(sig, 110));
  return line;
}

// The edge kinds as the tables name them.
std::string kind_label(std::string_view kind) {
  if (kind == "calls") return "call";
  if (kind == "imports") return "import";
  if (kind == "inherits" || kind == "implements" || kind == "contains") return std::string(kind);
  return "ref";
}

std::string or_unknown(std::string text) { return text.empty() ? std::string("?") : text; }

std::string from_name(const Json& edge) {
  return or_unknown(text_field(edge.is_object() && edge.contains("from") ? edge["from"] : Json(), "qualified_name"));
}

std::string plural_s(std::size_t n) { return n == 1 ? "" : "s"; }

}  // namespace

void register_search(CLI::App& app, GlobalOptions& global, ExitSink exit_code) {
  struct Args {
    std::vector<std::string> terms;
    std::string mode = "any";
    FilterArgs filter;
    std::size_t limit = 20;
    std::size_t offset = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("search", "Search symbols by name words, path, signature and docs, ranked by relevance and importance");
  cmd->add_option("terms", args->terms, "Search terms (identifiers are split: parseHttp matches parse_http_request)")->required();
  cmd->add_option("--mode", args->mode, "any (default) or all terms must match")->check(CLI::IsMember({"any", "all"}));
  add_filter_options(cmd, args->filter);
  cmd->add_option("--limit", args->limit, "Maximum results (default 20)")->check(CLI::PositiveNumber);
  cmd->add_option("--offset", args->offset, "Skip this many results (paging)");
  cmd->callback([args, &global, &exit_code] {
    const std::string terms = fmt::format("{}", fmt::join(args->terms, " "));
    auto arguments = filtered_arguments(global, args->filter, exit_code);
    if (!arguments) return;
    (*arguments)["terms"] = terms;
    (*arguments)["mode"] = args->mode;
    (*arguments)["offset"] = args->offset;
    ToolRunner runner(global);
    const Json result = fetch_pages(runner, "search_code", std::move(*arguments), {"results"}, args->limit, 200);
    if (is_error(result)) {
      exit_code = report_failure(global, classify_failure(result, global, terms));
      return;
    }
    const Json& answer = structured(result);
    const Json& hits = array_field(answer, "results");
    if (global.json) {
      print_json(answer);
    } else if (hits.empty()) {
      print_error(fmt::format("no symbols match '{}'", terms));
    } else {
      std::string out;
      std::int64_t rank = static_cast<std::int64_t>(args->offset);
      for (const auto& hit : hits) {
        rank = int_field(hit, "rank", rank + 1);
        out += symbol_line(rank, hit);
      }
      if (bool_field(answer, "truncated"))
        out += fmt::format("  ... more: --offset {}\n", int_field(answer, "next_offset", rank));
      print(out);
    }
    exit_code = hits.empty() ? kExitNoMatch : kExitOk;
  });
}

void register_def(CLI::App& app, GlobalOptions& global, ExitSink exit_code) {
  struct Args {
    std::string name;
    FilterArgs filter;
    std::size_t limit = 10;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("def", "Show where a symbol is defined (name, qualified name or symbol id)");
  cmd->add_option("name", args->name, "Symbol name, qualified name (pkg.mod.Class.method) or id")->required();
  add_filter_options(cmd, args->filter);
  cmd->add_option("--limit", args->limit, "Maximum definitions (default 10, at most 50)")->check(CLI::PositiveNumber);
  cmd->callback([args, &global, &exit_code] {
    auto arguments = filtered_arguments(global, args->filter, exit_code);
    if (!arguments) return;
    (*arguments)["name"] = args->name;
    (*arguments)["limit"] = std::min<std::size_t>(args->limit, 50);  // find_definition's maximum
    const Json result = run_tool("find_definition", std::move(*arguments), global);
    if (is_error(result)) {
      exit_code = report_failure(global, classify_failure(result, global, args->name),
                                 Json{{"name", args->name}, {"definitions", Json::array()}});
      return;
    }
    const Json& answer = structured(result);
    const Json& defs = array_field(answer, "definitions");
    if (global.json) {
      print_json(answer);
    } else {
      std::string out;
      for (const auto& s : defs) {
        out += fmt::format("{} {}  {}:{}-{}\n", text_field(s, "kind"), text_field(s, "qualified_name"),
                           text_field(s, "path"), int_field(s, "line"), int_field(s, "end_line"));
        if (const auto sig = text_field(s, "signature"); !sig.empty()) out += fmt::format("    {}\n", sig);
        const std::string doc = text_field(s, "doc");
        std::size_t pos = 0;
        for (int lines = 0; pos < doc.size() && lines < 6; ++lines) {
          auto nl = doc.find('\n', pos);
          if (nl == std::string::npos) nl = doc.size();
          out += fmt::format("    | {}\n", std::string_view(doc).substr(pos, nl - pos));
          pos = nl + 1;
        }
        out += fmt::format("    importance {:.2f}  callers {}  callees {}{}  id {}\n", number_field(s, "importance"),
                           int_field(s, "callers"), int_field(s, "callees"), tags_of(s, "  "), id_field(s));
      }
      print(out);
    }
    exit_code = defs.empty() ? kExitNoMatch : kExitOk;
  });
}

void register_refs(CLI::App& app, GlobalOptions& global, ExitSink exit_code) {
  struct Args {
    std::string name;
    FilterArgs filter;
    std::size_t limit = 100;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("refs", "Show callers and other references of a symbol, with file:line and how each was resolved");
  cmd->add_option("name", args->name, "Symbol name, qualified name or id")->required();
  add_filter_options(cmd, args->filter);
  cmd->add_option("--limit", args->limit, "Maximum references, resolved and unresolved together (default 100)")
      ->check(CLI::PositiveNumber);
  cmd->callback([args, &global, &exit_code] {
    auto arguments = filtered_arguments(global, args->filter, exit_code);
    if (!arguments) return;
    (*arguments)["name"] = args->name;
    ToolRunner runner(global);
    const Json result =
        fetch_pages(runner, "find_references", std::move(*arguments), {"references", "unresolved"}, args->limit, 500);
    if (is_error(result)) {
      exit_code = report_failure(global, classify_failure(result, global, args->name),
                                 Json{{"name", args->name},
                                      {"definitions", Json::array()},
                                      {"references", Json::array()},
                                      {"unresolved", Json::array()}});
      return;
    }
    const Json& answer = structured(result);
    const Json& resolved = array_field(answer, "references");
    const Json& unresolved = array_field(answer, "unresolved");
    if (global.json) {
      print_json(answer);
    } else {
      std::string out;
      for (const auto& t : array_field(answer, "definitions"))
        out += fmt::format("{} {}  {}\n", text_field(t, "kind"), text_field(t, "qualified_name"), location(t));
      out += fmt::format("{} reference{}:\n", resolved.size(), plural_s(resolved.size()));
      for (const auto& r : resolved)
        out += fmt::format("  {}:{}  {:<10} {}  [{}]\n", or_unknown(text_field(r, "path")), int_field(r, "line"),
                           kind_label(text_field(r, "kind")), from_name(r), text_field(r, "resolution"));
      if (!unresolved.empty()) {
        out += fmt::format("{} unresolved reference{} by name (ambiguous or external, not bound):\n", unresolved.size(),
                           plural_s(unresolved.size()));
        for (const auto& r : unresolved)
          out += fmt::format("  {}:{}  {:<10} {}  -> {}\n", or_unknown(text_field(r, "path")), int_field(r, "line"),
                             kind_label(text_field(r, "kind")), from_name(r), text_field(r, "name"));
      }
      print(out);
    }
    exit_code = resolved.empty() && unresolved.empty() ? kExitNoMatch : kExitOk;
  });
}

void register_callees(CLI::App& app, GlobalOptions& global, ExitSink exit_code) {
  struct Args {
    std::string name;
    FilterArgs filter;
    std::size_t limit = 100;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("callees", "Show what a function or method calls (resolved targets and unresolved names)");
  cmd->add_option("name", args->name, "Symbol name, qualified name or id")->required();
  add_filter_options(cmd, args->filter);
  cmd->add_option("--limit", args->limit, "Maximum callees (default 100)")->check(CLI::PositiveNumber);
  cmd->callback([args, &global, &exit_code] {
    auto arguments = filtered_arguments(global, args->filter, exit_code);
    if (!arguments) return;
    (*arguments)["name"] = args->name;
    ToolRunner runner(global);
    const Json result = fetch_pages(runner, "find_callees", std::move(*arguments), {"callees"}, args->limit, 500);
    if (is_error(result)) {
      exit_code = report_failure(global, classify_failure(result, global, args->name),
                                 Json{{"name", args->name}, {"definitions", Json::array()}, {"callees", Json::array()}});
      return;
    }
    const Json& answer = structured(result);
    const Json& callees = array_field(answer, "callees");
    if (global.json) {
      print_json(answer);
    } else {
      std::string out;
      for (const auto& s : array_field(answer, "definitions"))
        out += fmt::format("{} {}  {}\n", text_field(s, "kind"), text_field(s, "qualified_name"), location(s));
      for (const auto& e : callees) {
        const Json* target = e.contains("target_symbol") && e["target_symbol"].is_object() ? &e["target_symbol"] : nullptr;
        out += fmt::format("  line {:<5} {:<10} {}  [{}]\n", int_field(e, "line"), kind_label(text_field(e, "kind")),
                           target ? fmt::format("{}  {}", text_field(*target, "qualified_name"), location(*target))
                                  : text_field(e, "name"),
                           text_field(e, "resolution"));
      }
      print(out);
    }
    exit_code = callees.empty() ? kExitNoMatch : kExitOk;
  });
}

void register_outline(CLI::App& app, GlobalOptions& global, ExitSink exit_code) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("outline", "List the symbols of one file, nested, with line ranges");
  cmd->add_option("file", *path, "File path (relative to the working directory or the project root, or absolute)")->required();
  cmd->callback([path, &global, &exit_code] {
    Json arguments = base_arguments(global);
    // A path that names a file from here is sent absolute (the tool makes it relative to the
    // project root); anything else is taken as relative to the root, as the tool does.
    const fs::path given(*path);
    std::error_code ec;
    const fs::path from_here = fs::absolute(given, ec).lexically_normal();
    const bool send_absolute = given.is_relative() && !ec && fs::is_regular_file(from_here, ec);
    arguments["path"] = send_absolute ? from_here.string() : *path;
    ToolRunner runner(global);
    Json result = fetch_pages(runner, "get_file_outline", arguments, {"symbols"},
                              std::numeric_limits<std::size_t>::max(), 2000);
    if (send_absolute && is_error(result) && result_text(result).find("outside the project root") != std::string::npos) {
      // A file here with the same relative spelling as one in another project (--project).
      arguments["path"] = *path;
      result = fetch_pages(runner, "get_file_outline", std::move(arguments), {"symbols"},
                           std::numeric_limits<std::size_t>::max(), 2000);
    }
    if (is_error(result)) {
      exit_code = report_failure(global, classify_failure(result, global, *path));
      return;
    }
    const Json& answer = structured(result);
    if (global.json) {
      print_json(answer);
    } else {
      std::string out = fmt::format("{} ({})\n", text_field(answer, "path"), text_field(answer, "language"));
      for (const auto& s : array_field(answer, "symbols")) {
        const auto depth = static_cast<std::size_t>(std::max<std::int64_t>(0, int_field(s, "depth")) + 1);
        const std::string kind = text_field(s, "kind");
        const std::string sig = text_field(s, "signature");
        out += fmt::format("{}{} {}  {}-{}{}\n", std::string(depth * 2, ' '), kind, text_field(s, "name"),
                           int_field(s, "line"), int_field(s, "end_line"),
                           sig.empty() || kind == "import" ? "" : "  " + shorten(sig, 90));
      }
      print(out);
    }
    exit_code = kExitOk;
  });
}

void register_query(CLI::App& app, GlobalOptions& global, ExitSink exit_code) {
  struct Args {
    bool important = false;
    FilterArgs filter;
    std::size_t limit = 20;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("query", "List the most important symbols (PageRank over the code graph)");
  cmd->add_flag("--important", args->important, "Order by importance (the default and only order)");
  add_filter_options(cmd, args->filter);
  cmd->add_option("--limit", args->limit, "Maximum results (default 20)")->check(CLI::PositiveNumber);
  cmd->callback([args, &global, &exit_code] {
    auto arguments = filtered_arguments(global, args->filter, exit_code, "node_type");
    if (!arguments) return;
    ToolRunner runner(global);
    const Json result = fetch_pages(runner, "query_important_code", std::move(*arguments), {"results"}, args->limit, 200);
    if (is_error(result)) {
      exit_code = report_failure(global, classify_failure(result, global, ""));
      return;
    }
    const Json& answer = structured(result);
    const Json& symbols = array_field(answer, "results");
    if (global.json) {
      print_json(answer);
    } else if (symbols.empty()) {
      print_error("no symbols of that kind in the index");
    } else {
      std::string out;
      std::int64_t rank = 0;
      for (const auto& s : symbols) {
        rank = int_field(s, "rank", rank + 1);
        out += symbol_line(rank, s);
      }
      print(out);
    }
    exit_code = symbols.empty() ? kExitNoMatch : kExitOk;
  });
}

}  // namespace cci::cli
