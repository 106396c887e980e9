// Human or --json output of a command's result, and writing result files.
#pragma once

#include <functional>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

#include "app_context.hpp"
#include "smime/service/certificate_service.hpp"
#include "smime/service/json_views.hpp"
#include "smime/token/key_store.hpp"

namespace smimectl {

// Prints `result` as JSON with --json, else calls `human` to write text to stdout.
void emit(const AppContext& ctx, const nlohmann::json& result,
          const std::function<void(std::ostream&)>& human);

// Certificates, import reports and keys in the same JSON shape as the HTTPS API.
using smime::service::to_json;

// Whole file ("-" is stdin); Error(not_found/io) naming the file.
std::vector<unsigned char> read_input_file(const std::string& path);

// Writes text to a file ("-" is stdout); the file is created with `mode`.
void write_output_file(const std::string& path, const std::string& content, unsigned mode = 0644);

}  // namespace smimectl
