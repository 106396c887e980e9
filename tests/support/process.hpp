// Runs a program (smimectl, openssl, ...) and captures its exit code and output.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace smime::test {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// argv[0] is the program (searched in PATH). `env` adds or replaces variables.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env = {});

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);

}  // namespace smime::test
