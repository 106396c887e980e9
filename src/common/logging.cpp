#include "smime/common/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace smime {

void init_logging(const std::string& level) {
  static auto logger = [] {
    auto l = spdlog::stderr_color_mt("smime");
    spdlog::set_default_logger(l);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    return l;
  }();
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace smime
