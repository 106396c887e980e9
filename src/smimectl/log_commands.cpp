// smimectl log list | log verify: the hash-chained audit log (SPEC §9).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <ctime>
#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "output.hpp"
#include "smime/audit/audit_json.hpp"
#include "smime/common/error.hpp"

namespace smimectl {
namespace {

struct ListOptions {
  int limit = 50;
  int offset = 0;
  std::string direction;
  std::string operation;
  std::string status;
  std::string address;
  std::string since;
  bool retryable = false;
};

// "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[Z]" (UTC) as unix milliseconds.
std::int64_t parse_since(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) {
    tm = std::tm{};
    end = strptime(text.c_str(), "%Y-%m-%d", &tm);
  }
  if (end == nullptr || !(*end == '\0' || (end[0] == 'Z' && end[1] == '\0'))) {
    throw smime::Error(smime::ErrorCode::usage,
                       "--since takes a UTC date or time: 2024-05-01 or 2024-05-01T12:00:00Z");
  }
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

smime::audit::AuditQuery to_query(const ListOptions& opt) {
  smime::audit::AuditQuery query;
  if (opt.limit < 1 || opt.limit > smime::audit::kMaxListLimit) {
    throw smime::Error(smime::ErrorCode::usage, "--limit must be between 1 and " +
                                                    std::to_string(smime::audit::kMaxListLimit));
  }
  if (opt.offset < 0) throw smime::Error(smime::ErrorCode::usage, "--offset cannot be negative");
  query.limit = opt.limit;
  query.offset = opt.offset;
  if (!opt.direction.empty()) query.direction = smime::audit::parse_direction(opt.direction);
  if (!opt.status.empty()) query.status = smime::audit::parse_status(opt.status);
  query.operation = opt.operation;
  query.address = opt.address;
  if (!opt.since.empty()) query.since_ms = parse_since(opt.since);
  query.retryable_only = opt.retryable;
  return query;
}

std::string joined(const std::vector<std::string>& items) {
  return fmt::format("{}", fmt::join(items, ","));
}

void print_table(std::ostream& out, const std::vector<smime::audit::AuditEntry>& entries) {
  if (entries.empty()) {
    out << "No audit entries\n";
    return;
  }
  out << std::left << std::setw(7) << "ID" << std::setw(25) << "TIME" << std::setw(10) << "ACTOR"
      << std::setw(10) << "DIRECTION" << std::setw(24) << "OPERATION" << std::setw(8) << "STATUS"
      << "DETAILS\n";
  for (const auto& entry : entries) {
    const auto& e = entry.event;
    std::string details = e.detail;
    const auto add = [&details](const std::string& label, const std::string& value) {
      if (value.empty()) return;
      if (!details.empty()) details += "; ";
      details.append(label).append(value);
    };
    add("addresses ", joined(e.addresses));
    add("message-id ", e.message_id);
    add("needs ", joined(e.needs));
    if (entry.retryable) details += " [RETRYABLE]";
    out << std::left << std::setw(7) << entry.id << std::setw(25) << smime::audit::iso_time(e.at_ms)
        << std::setw(10) << e.actor << std::setw(10) << smime::audit::to_string(e.direction)
        << std::setw(24) << e.operation << std::setw(8) << smime::audit::to_string(e.status)
        << details << "\n";
  }
}

void log_list(AppContext& ctx, const ListOptions& opt) {
  const smime::app::LogPage page = ctx.use_cases().logs.list(to_query(opt));
  nlohmann::json result = nlohmann::json::array();
  for (const auto& entry : page.entries) result.push_back(smime::audit::to_json(entry));
  emit(ctx, result, [&](std::ostream& out) { print_table(out, page.entries); });
}

void log_verify(AppContext& ctx, const std::string& anchor) {
  smime::audit::VerifyOptions options;
  if (!anchor.empty()) {
    const auto colon = anchor.find(':');
    std::int64_t id = 0;
    try {
      if (colon == std::string::npos) throw std::invalid_argument("no colon");
      id = std::stoll(anchor.substr(0, colon));
    } catch (const std::exception&) {
      throw smime::Error(smime::ErrorCode::usage, "--anchor takes ID:HASH from an earlier verify");
    }
    options.anchor = std::make_pair(id, anchor.substr(colon + 1));
  }
  const smime::audit::VerifyReport report = ctx.use_cases().logs.verify(options);
  emit(ctx, smime::audit::to_json(report), [&](std::ostream& out) {
    if (report.intact) {
      out << "chain intact, " << report.entries << " entries (head: row " << report.last_id
          << ", hash " << report.head_hash << ")\n";
    } else {
      out << "chain broken at row " << report.broken_id << " ("
          << smime::audit::to_string(report.problem) << "): " << report.reason << "\n";
    }
  });
  if (!report.intact) {
    throw ReportedFailure("the audit log is broken at row " + std::to_string(report.broken_id) +
                          " (" + std::string(smime::audit::to_string(report.problem)) +
                          "): " + report.reason);
  }
}

}  // namespace

void add_log_commands(CLI::App& app, const ContextFactory& context) {
  CLI::App* log = app.add_subcommand("log", "The audit log");
  log->require_subcommand(1);

  auto opt = std::make_shared<ListOptions>();
  auto* list = log->add_subcommand("list", "Audit entries, newest first");
  list->add_option("--limit", opt->limit, "At most this many entries")->capture_default_str();
  list->add_option("--offset", opt->offset, "Skip this many (newest) entries");
  list->add_option("--direction", opt->direction, "incoming|outgoing|admin")
      ->check(CLI::IsMember({"incoming", "outgoing", "admin"}));
  list->add_option("--operation", opt->operation, "e.g. certificate.import, message.sign");
  list->add_option("--status", opt->status, "ok|failed")->check(CLI::IsMember({"ok", "failed"}));
  list->add_option("--address", opt->address, "Entries naming an address containing this text");
  list->add_option("--since", opt->since, "Entries from this UTC date/time on");
  list->add_flag("--retryable", opt->retryable,
                 "Only failed incoming entries whose missing certificates/keys now exist");
  list->callback([context, opt] { log_list(context(), *opt); });

  auto anchor = std::make_shared<std::string>();
  auto* verify = log->add_subcommand("verify", "Check the hash chain (exit 1 when broken)");
  verify->add_option("--anchor", *anchor,
                     "ID:HASH of an earlier verify's head, kept outside this machine");
  verify->callback([context, anchor] { log_verify(context(), *anchor); });
}

}  // namespace smimectl
