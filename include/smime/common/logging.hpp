#pragma once

#include <string>

namespace smime {

// Logs go to stderr through spdlog; level names as spdlog knows them ("warn", "debug", ...).
void init_logging(const std::string& level);

}  // namespace smime
