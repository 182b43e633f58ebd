# Compiles the tree-sitter runtime and grammars from the pinned npm packages in node_modules/
# (installed by `npm ci --ignore-scripts`; see package-lock.json). Nothing third-party is committed.
set(CCI_NODE_MODULES "${CMAKE_SOURCE_DIR}/node_modules" CACHE PATH "npm install root holding tree-sitter packages")
set(_ts_root "${CCI_NODE_MODULES}/tree-sitter/vendor/tree-sitter/lib")
if(NOT EXISTS "${_ts_root}/src/lib.c")
  message(FATAL_ERROR "tree-sitter sources not found under ${CCI_NODE_MODULES}. Run scripts/install-deps.sh "
                      "(or `npm ci --ignore-scripts` in ${CMAKE_SOURCE_DIR}).")
endif()

add_library(ts_runtime STATIC "${_ts_root}/src/lib.c")
target_include_directories(ts_runtime SYSTEM PUBLIC "${_ts_root}/include" PRIVATE "${_ts_root}/src")
target_compile_options(ts_runtime PRIVATE -w -O2)
target_compile_definitions(ts_runtime PRIVATE _POSIX_C_SOURCE=200112L _DEFAULT_SOURCE)
set_target_properties(ts_runtime PROPERTIES POSITION_INDEPENDENT_CODE ON)

# cci_add_grammar(<name> <dir containing src/parser.c>)
function(cci_add_grammar name dir)
  set(srcs "${dir}/src/parser.c")
  if(EXISTS "${dir}/src/scanner.c")
    list(APPEND srcs "${dir}/src/scanner.c")
  endif()
  add_library(ts_grammar_${name} STATIC ${srcs})
  target_include_directories(ts_grammar_${name} PRIVATE "${dir}/src")
  target_compile_options(ts_grammar_${name} PRIVATE -w -O2)
  set_target_properties(ts_grammar_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  if(NOT EXISTS "${dir}/src/parser.c")
    message(FATAL_ERROR "grammar ${name}: ${dir}/src/parser.c missing")
  endif()
endfunction()

cci_add_grammar(python     "${CCI_NODE_MODULES}/tree-sitter-python")
cci_add_grammar(javascript "${CCI_NODE_MODULES}/tree-sitter-javascript")
cci_add_grammar(typescript "${CCI_NODE_MODULES}/tree-sitter-typescript/typescript")
cci_add_grammar(tsx        "${CCI_NODE_MODULES}/tree-sitter-typescript/tsx")
cci_add_grammar(java       "${CCI_NODE_MODULES}/tree-sitter-java")
cci_add_grammar(go         "${CCI_NODE_MODULES}/tree-sitter-go")
cci_add_grammar(rust       "${CCI_NODE_MODULES}/tree-sitter-rust")
cci_add_grammar(c          "${CCI_NODE_MODULES}/tree-sitter-c")
cci_add_grammar(cpp        "${CCI_NODE_MODULES}/tree-sitter-cpp")

add_library(ts_grammars INTERFACE)
target_link_libraries(ts_grammars INTERFACE
  ts_grammar_python ts_grammar_javascript ts_grammar_typescript ts_grammar_tsx ts_grammar_java
  ts_grammar_go ts_grammar_rust ts_grammar_c ts_grammar_cpp ts_runtime)
