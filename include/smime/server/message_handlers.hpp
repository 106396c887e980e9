// The helpdesk's routes (SPEC §8, §13): outgoing, incoming and preflight over the S/MIME
// engine, and the audit log list. Each message operation is recorded in the audit log before
// the request is acknowledged.
#pragma once

#include <memory>

#include "smime/audit/audit_log.hpp"
#include "smime/engine/engine.hpp"
#include "smime/server/appliance.hpp"
#include "smime/server/services.hpp"

namespace smime::server {

// Sets the messages_* and logs handlers; engine, log and store must outlive the routes.
void install_message_handlers(ExtensionHandlers& handlers, engine::Engine& engine,
                              audit::AuditLog& log, store::Store& store);

// Wires the helpdesk routes onto an appliance before start(): the audit log (on the
// appliance's database) becomes its audit sink, and an engine works on its store,
// certificate service and token. Must outlive the appliance's serving.
class HelpdeskRoutes {
 public:
  explicit HelpdeskRoutes(Appliance& appliance);
  ~HelpdeskRoutes();
  HelpdeskRoutes(const HelpdeskRoutes&) = delete;
  HelpdeskRoutes& operator=(const HelpdeskRoutes&) = delete;

 private:
  std::unique_ptr<engine::Engine> engine_;
};

}  // namespace smime::server
