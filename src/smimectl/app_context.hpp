// What every smimectl command needs: the resolved configuration, the output mode, and the
// application (database, token, use cases) opened on first use.
#pragma once

#include <memory>

#include "smime/app/application.hpp"
#include "smime/common/config.hpp"

namespace smimectl {

class AppContext {
 public:
  AppContext(smime::AppConfig config, bool json);

  const smime::AppConfig& config() const noexcept { return config_; }
  bool json() const noexcept { return json_; }

  // <home>/smime.db and the token, opened on first use.
  smime::app::Application& application();
  smime::app::UseCases& use_cases() { return application().use_cases(); }
  // Who the audit entries of smimectl's changes name.
  smime::app::Caller caller() const { return smime::app::local_administrator(); }

 private:
  smime::AppConfig config_;
  bool json_;
  std::unique_ptr<smime::app::Application> application_;
};

}  // namespace smimectl
