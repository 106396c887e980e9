#include "audited.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace smime::app::detail {

audit::AuditEvent admin_event(const Caller& caller, std::string_view operation) {
  audit::AuditEvent event;
  event.actor = caller.actor;
  event.direction = audit::Direction::admin;
  event.operation = std::string(operation);
  return event;
}

void record_failure(audit::AuditSink& audit, audit::AuditEvent& event, std::string_view error) {
  event.status = audit::Status::failed;
  event.detail =
      event.detail.empty() ? std::string(error) : event.detail + ": " + std::string(error);
  try {
    audit.record(event);
  } catch (const std::exception& e) {
    spdlog::error("the audit entry of the failed {} could not be written: {}", event.operation,
                  e.what());
  }
}

void audited_change(audit::AuditSink& audit, audit::AuditEvent& event,
                    const audit::AuditSink::Change& change) {
  try {
    audit.record_with(event, change);
  } catch (const std::exception& e) {
    record_failure(audit, event, e.what());
    throw;
  }
}

}  // namespace smime::app::detail
