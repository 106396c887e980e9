#include "smime/postgres/error.hpp"

#include <string>

namespace smime::postgres {

namespace {

bool in_class(std::string_view sqlstate, std::string_view prefix) {
  return sqlstate.substr(0, prefix.size()) == prefix;
}

// libpq's messages end with a newline (and the connection ones may hold several lines).
std::string trimmed(const char* text) {
  std::string out = text != nullptr ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out.empty() ? "unknown error" : out;
}

}  // namespace

ErrorCode code_for_sqlstate(std::string_view sqlstate) noexcept {
  if (sqlstate == kUniqueViolation || sqlstate == kForeignKeyViolation) return ErrorCode::conflict;
  if (in_class(sqlstate, "23")) return ErrorCode::invalid_input;
  if (sqlstate == kSerializationFailure || sqlstate == kDeadlockDetected || sqlstate == "55P03" ||
      sqlstate == "57014" || sqlstate == "53300") {
    return ErrorCode::storage_busy;
  }
  if (sqlstate == "53100") return ErrorCode::storage_full;
  if (sqlstate == "25006") return ErrorCode::storage_read_only;
  if (in_class(sqlstate, "08") || in_class(sqlstate, "57P") || in_class(sqlstate, "58") ||
      in_class(sqlstate, "53") || sqlstate == "XX001" || sqlstate == "XX002" ||
      sqlstate == "P0001") {
    return ErrorCode::storage_failure;
  }
  if (in_class(sqlstate, "22")) return ErrorCode::invalid_input;
  return ErrorCode::internal;
}

void throw_postgres(PGconn* connection, const PGresult* result, std::string_view context) {
  const bool lost = connection == nullptr || PQstatus(connection) != CONNECTION_OK;
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  if (state != nullptr) {
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    // The server ends the session after these (connection failure, shutdown, terminated
    // backend), even if libpq has not yet read the end of the socket.
    const bool ending = in_class(state, "08") || in_class(state, "57P");
    throw PostgresError(code_for_sqlstate(state), std::string(context) + ": " + trimmed(primary),
                        state, lost || ending);
  }
  const char* message = connection != nullptr ? PQerrorMessage(connection) : "out of memory";
  // No SQLSTATE: libpq failed on its side (connection refused or lost, out of memory).
  const ErrorCode code = lost ? ErrorCode::storage_failure : ErrorCode::internal;
  throw PostgresError(code, std::string(context) + ": " + trimmed(message), "", lost);
}

}  // namespace smime::postgres
