// tests/support/process.h — runs the real `cci` binary (or any program) and captures its output.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace cci::testing {

struct ProcessResult {
  int exit_code = -1;   // -signal when killed by a signal
  std::string out;
  std::string err;
};

struct ProcessOptions {
  std::filesystem::path cwd;                    // empty = inherit
  std::map<std::string, std::string> env;       // added to / overriding the inherited environment
  std::string stdin_data;
  std::chrono::milliseconds timeout{120000};    // killed (SIGKILL) after this
};

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Starts a process without waiting (stdout/stderr to /dev/null); returns its pid.
pid_t spawn_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});
// Waits for a pid started with spawn_process; returns exit code or -signal.
int wait_process(pid_t pid);

}  // namespace cci::testing
