#include "app_context.hpp"

namespace smimectl {

AppContext::AppContext(smime::AppConfig config, bool json)
    : config_(std::move(config)), json_(json) {}

smime::app::Application& AppContext::application() {
  if (!application_) application_ = std::make_unique<smime::app::Application>(config_);
  return *application_;
}

}  // namespace smimectl
