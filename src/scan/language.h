// scan/language.h — helpers shared by the walker and the public language functions.
#pragma once

#include <string_view>

#include "core/model.h"

namespace cci::scan {

// Language named by a "#!" first line ("#!/usr/bin/env python3" -> Python); Unknown otherwise.
Language language_from_shebang(std::string_view head);

// True for extension-less names that are never scripts (Makefile, LICENSE, ...): not worth opening.
bool is_known_non_script_name(std::string_view name);

// Cheap C++-only token check used to classify .h headers.
bool looks_like_cpp(std::string_view content);

}  // namespace cci::scan
