// tests/e2e/cci_runner.h — runs the real cci binary against a private data directory.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "process.h"
#include "temp_dir.h"

namespace cci::testing {

class Cci {
 public:
  explicit Cci(std::filesystem::path data_dir) : data_dir_(std::move(data_dir)) {}

  // `env` is added to the inherited environment (CCI_NO_DAEMON, CCI_LOG, ...).
  ProcessResult run(const std::vector<std::string>& args, const std::filesystem::path& cwd = {},
                    const std::map<std::string, std::string>& env = {}) const {
    std::vector<std::string> argv{CCI_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessOptions options;
    options.cwd = cwd;
    options.env = env;
    options.env["CCI_HOME"] = data_dir_.string();
    return run_process(argv, options);
  }

  // Runs with --json and parses stdout; fails the test on invalid JSON.
  nlohmann::json json(std::vector<std::string> args, const std::filesystem::path& cwd = {}, int* exit_code = nullptr) const {
    args.push_back("--json");
    ProcessResult r = run(args, cwd);
    if (exit_code) *exit_code = r.exit_code;
    auto parsed = nlohmann::json::parse(r.out, nullptr, false);
    if (parsed.is_discarded()) {
      ADD_FAILURE() << "not JSON from cci " << args.front() << ": " << r.out << "\nstderr: " << r.err;
      return nlohmann::json::object();
    }
    return parsed;
  }

  const std::filesystem::path& data_dir() const { return data_dir_; }

 private:
  std::filesystem::path data_dir_;
};

}  // namespace cci::testing
