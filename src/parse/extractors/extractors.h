// parse/extractors/extractors.h — one entry point per language grammar.
//
// Each extractor walks the syntax tree of one file and appends to ctx.out: symbols (after the
// File symbol, which parser.cpp adds as symbols[0]), references (calls, inherits, implements)
// and imports, and sets ctx.out.module_name. Internal to parse/.
#pragma once

#include "parse/ts_util.h"

namespace cci::parse::detail {

void extract_python(TSNode root, Context& ctx);
void extract_javascript(TSNode root, Context& ctx);  // JavaScript, TypeScript and TSX share it
void extract_java(TSNode root, Context& ctx);
void extract_go(TSNode root, Context& ctx);
void extract_rust(TSNode root, Context& ctx);
void extract_c_family(TSNode root, Context& ctx);   // C and C++

}  // namespace cci::parse::detail
