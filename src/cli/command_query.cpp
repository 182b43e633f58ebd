// cli/command_query.cpp — the read-only questions: search, def, refs, callees, outline, query.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "cli/commands.h"
#include "cli/output.h"
#include "search/searcher.h"

namespace cci::cli {
namespace {

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

Result<store::SymbolFilter> to_filter(const FilterArgs& f) {
  store::SymbolFilter filter;
  for (const auto& t : f.types) {
    auto kind = symbol_kind_from_string(t);
    if (!kind)
      return make_error(ErrorCode::InvalidArgument,
                        fmt::format("unknown --type '{}' (one of: class, function, method, struct, interface, trait, enum, "
                                    "module, namespace, constant, variable, import, file)",
                                    t));
    filter.kinds.push_back(*kind);
  }
  for (const auto& l : f.langs) {
    auto lang = language_from_string(l);
    if (!lang)
      return make_error(ErrorCode::InvalidArgument,
                        fmt::format("unknown --lang '{}' (one of: python, javascript, typescript, tsx, java, go, rust, c, cpp)", l));
    filter.languages.push_back(*lang);
  }
  filter.path_glob = f.path_glob;
  if (!filter.path_glob.empty() && filter.path_glob.find_first_of("*?[") == std::string::npos)
    filter.path_glob += "*";  // a plain directory or file prefix
  return filter;
}

std::string symbol_line(std::size_t rank, const store::SymbolRecord& s) {
  std::string line = fmt::format("{:>3}. {:<9} {:<40} {}", rank, to_string(s.kind), shorten(s.qualified_name, 40), location(s));
  if (!s.tags.empty()) line += fmt::format("  [{}]", fmt::join(s.tags, ","));
  line += fmt::format("  imp {:.2f}\n", s.importance);
  if (!s.signature.empty()) line += fmt::format("       {}\n", shorten(s.signature, 110));
  return line;
}

template <class Fn>
void with_project(GlobalOptions& global, int& exit_code, Fn&& fn) {
  auto project = open_project(global);
  if (!project) {
    exit_code = fail(global, project.error());
    return;
  }
  search::Searcher searcher(*project->store);
  exit_code = fn(searcher, *project);
}

std::string kind_label(const store::EdgeRecord& e) {
  switch (e.kind) {
    case EdgeKind::Calls: return "call";
    case EdgeKind::Inherits: return "inherits";
    case EdgeKind::Implements: return "implements";
    case EdgeKind::Imports: return "import";
    case EdgeKind::Contains: return "contains";
  }
  return "ref";
}

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
  cmd->add_option("--limit", args->limit, "Maximum results (default 20)");
  cmd->add_option("--offset", args->offset, "Skip this many results (paging)");
  cmd->callback([args, &global, &exit_code] {
    with_project(global, exit_code, [&](search::Searcher& searcher, OpenProject&) {
      auto filter = to_filter(args->filter);
      if (!filter) return fail(global, filter.error());
      search::SearchRequest request{args->terms, args->mode == "all" ? search::MatchMode::All : search::MatchMode::Any,
                                    *filter, args->limit, args->offset};
      auto results = searcher.search(request);
      if (!results) return fail(global, results.error());
      if (global.json) {
        rpc::Json hits = rpc::Json::array();
        for (const auto& h : results->hits) {
          auto j = to_json(h.symbol, false);
          j["score"] = h.score;
          j["relevance"] = h.relevance;
          if (!h.symbol.doc.empty()) j["doc"] = doc_summary(h.symbol.doc, 200);
          hits.push_back(std::move(j));
        }
        print_json({{"query", fmt::format("{}", fmt::join(args->terms, " "))}, {"mode", args->mode},
                    {"fts_query", results->fts_query}, {"results", hits}, {"more", results->more}});
      } else if (results->hits.empty()) {
        print_error(fmt::format("no symbols match '{}'", fmt::join(args->terms, " ")));
      } else {
        std::string out;
        for (std::size_t i = 0; i < results->hits.size(); ++i) out += symbol_line(args->offset + i + 1, results->hits[i].symbol);
        if (results->more) out += fmt::format("  ... more: --offset {}\n", args->offset + results->hits.size());
        print(out);
      }
      return results->hits.empty() ? kExitNoMatch : kExitOk;
    });
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
  cmd->add_option("--limit", args->limit, "Maximum definitions (default 10)");
  cmd->callback([args, &global, &exit_code] {
    with_project(global, exit_code, [&](search::Searcher& searcher, OpenProject&) {
      auto filter = to_filter(args->filter);
      if (!filter) return fail(global, filter.error());
      auto defs = searcher.find_definition(args->name, *filter, args->limit);
      if (!defs) return fail(global, defs.error());
      if (global.json) {
        rpc::Json list = rpc::Json::array();
        for (const auto& s : defs->symbols) list.push_back(to_json(s));
        print_json({{"name", args->name}, {"definitions", list}, {"suggestions", defs->suggestions}});
      } else if (defs->symbols.empty()) {
        print_error(defs->suggestions.empty()
                        ? fmt::format("no symbol named '{}'", args->name)
                        : fmt::format("no symbol named '{}'; did you mean: {}", args->name, fmt::join(defs->suggestions, ", ")));
      } else {
        std::string out;
        for (const auto& s : defs->symbols) {
          out += fmt::format("{} {}  {}:{}-{}\n", to_string(s.kind), s.qualified_name, s.path, s.span.start_line, s.span.end_line);
          if (!s.signature.empty()) out += fmt::format("    {}\n", s.signature);
          if (!s.doc.empty()) {
            std::size_t pos = 0;
            for (int lines = 0; pos < s.doc.size() && lines < 6; ++lines) {
              auto nl = s.doc.find('\n', pos);
              if (nl == std::string::npos) nl = s.doc.size();
              out += fmt::format("    | {}\n", std::string_view(s.doc).substr(pos, nl - pos));
              pos = nl + 1;
            }
          }
          out += fmt::format("    importance {:.2f}  callers {}  callees {}{}  id {}\n", s.importance, s.in_degree,
                             s.out_degree, s.tags.empty() ? "" : fmt::format("  [{}]", fmt::join(s.tags, ",")), s.id);
        }
        print(out);
      }
      return defs->symbols.empty() ? kExitNoMatch : kExitOk;
    });
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
  cmd->add_option("--limit", args->limit, "Maximum references (default 100)");
  cmd->callback([args, &global, &exit_code] {
    with_project(global, exit_code, [&](search::Searcher& searcher, OpenProject&) {
      auto filter = to_filter(args->filter);
      if (!filter) return fail(global, filter.error());
      auto refs = searcher.find_references(args->name, *filter, args->limit);
      if (!refs) return fail(global, refs.error());
      auto ref_json = [](const search::Reference& r) {
        rpc::Json j = to_json(r.edge);
        if (r.from) {
          j["from"] = {{"id", r.from->id}, {"qualified_name", r.from->qualified_name}, {"kind", to_string(r.from->kind)},
                       {"path", r.from->path}};
          j["path"] = r.from->path;
        }
        return j;
      };
      const bool found = !refs->resolved.empty() || !refs->unresolved.empty();
      if (global.json) {
        rpc::Json targets = rpc::Json::array(), resolved = rpc::Json::array(),
                       unresolved = rpc::Json::array();
        for (const auto& t : refs->targets) targets.push_back(to_json(t, false));
        for (const auto& r : refs->resolved) resolved.push_back(ref_json(r));
        for (const auto& r : refs->unresolved) unresolved.push_back(ref_json(r));
        print_json({{"name", args->name}, {"definitions", targets}, {"references", resolved},
                    {"unresolved", unresolved}, {"suggestions", refs->suggestions}});
      } else if (refs->targets.empty() && !found) {
        print_error(refs->suggestions.empty()
                        ? fmt::format("no symbol named '{}'", args->name)
                        : fmt::format("no symbol named '{}'; did you mean: {}", args->name, fmt::join(refs->suggestions, ", ")));
      } else {
        std::string out;
        for (const auto& t : refs->targets)
          out += fmt::format("{} {}  {}\n", to_string(t.kind), t.qualified_name, location(t));
        out += fmt::format("{} reference{}:\n", refs->resolved.size(), refs->resolved.size() == 1 ? "" : "s");
        for (const auto& r : refs->resolved)
          out += fmt::format("  {}:{}  {:<10} {}  [{}]\n", r.from ? r.from->path : "?", r.edge.line, kind_label(r.edge),
                             r.from ? r.from->qualified_name : "?", to_string(r.edge.resolution));
        if (!refs->unresolved.empty()) {
          out += fmt::format("{} unresolved reference{} by name (ambiguous or external, not bound):\n", refs->unresolved.size(),
                             refs->unresolved.size() == 1 ? "" : "s");
          for (const auto& r : refs->unresolved)
            out += fmt::format("  {}:{}  {:<10} {}  -> {}\n", r.from ? r.from->path : "?", r.edge.line, kind_label(r.edge),
                               r.from ? r.from->qualified_name : "?", r.edge.target_name);
        }
        print(out);
      }
      return found ? kExitOk : kExitNoMatch;
    });
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
  cmd->add_option("--limit", args->limit, "Maximum callees (default 100)");
  cmd->callback([args, &global, &exit_code] {
    with_project(global, exit_code, [&](search::Searcher& searcher, OpenProject&) {
      auto filter = to_filter(args->filter);
      if (!filter) return fail(global, filter.error());
      auto callees = searcher.find_callees(args->name, *filter, args->limit);
      if (!callees) return fail(global, callees.error());
      if (global.json) {
        rpc::Json sources = rpc::Json::array(), edges = rpc::Json::array();
        for (const auto& s : callees->sources) sources.push_back(to_json(s, false));
        for (const auto& [e, target] : callees->edges) {
          auto j = to_json(e);
          if (target) j["target_symbol"] = to_json(*target, false);
          edges.push_back(std::move(j));
        }
        print_json({{"name", args->name}, {"definitions", sources}, {"callees", edges}});
      } else if (callees->sources.empty()) {
        print_error(fmt::format("no symbol named '{}'", args->name));
      } else {
        std::string out;
        for (const auto& s : callees->sources) out += fmt::format("{} {}  {}\n", to_string(s.kind), s.qualified_name, location(s));
        for (const auto& [e, target] : callees->edges)
          out += fmt::format("  line {:<5} {:<10} {}  [{}]\n", e.line, kind_label(e),
                             target ? fmt::format("{}  {}", target->qualified_name, location(*target)) : e.target_name,
                             to_string(e.resolution));
        print(out);
      }
      return callees->edges.empty() ? kExitNoMatch : kExitOk;
    });
  });
}

void register_outline(CLI::App& app, GlobalOptions& global, ExitSink exit_code) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("outline", "List the symbols of one file, nested, with line ranges");
  cmd->add_option("file", *path, "File path (relative to the project root, or absolute)")->required();
  cmd->callback([path, &global, &exit_code] {
    with_project(global, exit_code, [&](search::Searcher& searcher, OpenProject& project) {
      std::string rel = *path;
      std::error_code ec;
      std::filesystem::path as_given(*path);
      std::filesystem::path abs = std::filesystem::weakly_canonical(std::filesystem::absolute(as_given), ec);
      if (!ec) {
        auto r = abs.lexically_relative(project.project.root).generic_string();
        if (!r.empty() && !r.starts_with("..")) rel = r;
      }
      auto symbols = searcher.outline(rel);
      if (!symbols) return fail(global, symbols.error());
      if (global.json) {
        rpc::Json list = rpc::Json::array();
        for (const auto& s : *symbols) list.push_back(to_json(s, false));
        print_json({{"path", rel}, {"symbols", list}});
        return kExitOk;
      }
      std::unordered_map<SymbolId, int> depth;
      std::string out;
      for (const auto& s : *symbols) {
        if (s.kind == SymbolKind::File) {
          out += fmt::format("{} ({})\n", s.path, to_string(s.language));
          depth[s.id] = 0;
          continue;
        }
        auto it = depth.find(s.parent_id);
        const int d = it == depth.end() ? 1 : it->second + 1;
        depth[s.id] = d;
        out += fmt::format("{}{} {}  {}-{}{}\n", std::string(static_cast<std::size_t>(d) * 2, ' '), to_string(s.kind),
                           s.kind == SymbolKind::Import ? s.name : s.name, s.span.start_line, s.span.end_line,
                           s.signature.empty() || s.kind == SymbolKind::Import ? "" : "  " + shorten(s.signature, 90));
      }
      print(out);
      return kExitOk;
    });
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
  cmd->add_option("--limit", args->limit, "Maximum results (default 20)");
  cmd->callback([args, &global, &exit_code] {
    with_project(global, exit_code, [&](search::Searcher& searcher, OpenProject&) {
      auto filter = to_filter(args->filter);
      if (!filter) return fail(global, filter.error());
      auto symbols = searcher.important(*filter, args->limit);
      if (!symbols) return fail(global, symbols.error());
      if (global.json) {
        rpc::Json list = rpc::Json::array();
        for (const auto& s : *symbols) list.push_back(to_json(s, false));
        print_json({{"results", list}});
      } else if (symbols->empty()) {
        print_error("no symbols of that kind in the index");
      } else {
        std::string out;
        for (std::size_t i = 0; i < symbols->size(); ++i) out += symbol_line(i + 1, (*symbols)[i]);
        print(out);
      }
      return symbols->empty() ? kExitNoMatch : kExitOk;
    });
  });
}

}  // namespace cci::cli
