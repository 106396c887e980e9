// Human or --json output of a command's result, and the files commands read and write.
#pragma once

#include <functional>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app_context.hpp"

namespace smimectl {

// Prints `result` as JSON with --json, else calls `human` to write text to stdout.
void emit(const AppContext& ctx, const nlohmann::json& result,
          const std::function<void(std::ostream&)>& human);

// Whole file ("-" is stdin); Error(not_found/io) naming the file.
std::vector<unsigned char> read_input_file(const std::string& path);

// Writes content to a file ("-" is stdout). An existing file is replaced, not written
// through: the result has `mode`, and a symlink in its place is replaced, never followed.
void write_output_file(const std::string& path, std::string_view content, unsigned mode = 0600);

// "2024-05-01" (UTC) of unix seconds.
std::string date(std::int64_t unix_seconds);

}  // namespace smimectl
