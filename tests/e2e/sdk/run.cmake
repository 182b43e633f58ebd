# tests/e2e/sdk/run.cmake — CTest's entry to the SDK end-to-end tests (cmake -P). Checks at test
# time, not configure time, that node and the pinned SDK are installed, because
# scripts/install-deps.sh may run after the build tree was configured; a missing piece fails the
# test with what to run instead of skipping it, so CI cannot pass without these tests.
#   -DNODE=<node executable or NODE-NOTFOUND> -DSDK_DIR=<tests/e2e/sdk>
if(NOT NODE OR NOT EXISTS "${NODE}")
  message(FATAL_ERROR "e2e.mcp_sdk: node (18 or newer) was not found when configuring; "
                      "run scripts/install-deps.sh, then re-run cmake")
endif()
execute_process(COMMAND "${NODE}" -p "process.versions.node.split('.')[0]"
                OUTPUT_VARIABLE node_major OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR node_major LESS 18)
  message(FATAL_ERROR "e2e.mcp_sdk: ${NODE} is not Node.js 18 or newer (major '${node_major}')")
endif()
if(NOT EXISTS "${SDK_DIR}/node_modules/@modelcontextprotocol/sdk/package.json")
  message(FATAL_ERROR "e2e.mcp_sdk: ${SDK_DIR}/node_modules is missing; run scripts/install-deps.sh "
                      "(npm ci --ignore-scripts in tests/e2e/sdk)")
endif()
# Files listed explicitly: Node 18-20 take a directory argument but Node 22 reads arguments as globs.
file(GLOB tests "${SDK_DIR}/*.test.mjs")
list(SORT tests)
execute_process(COMMAND "${NODE}" --test ${tests} WORKING_DIRECTORY "${SDK_DIR}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "e2e.mcp_sdk: node --test failed (exit ${rc})")
endif()
