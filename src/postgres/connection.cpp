#include "smime/postgres/connection.hpp"

#include <poll.h>

#include <array>

#include "smime/postgres/error.hpp"

namespace smime::postgres {

namespace {

// NOTICEs (e.g. "relation ... already exists, skipping" from the migrations) say nothing a
// caller acts on; libpq would print them on stderr, which is smimed's log.
void ignore_notice(void* /*arg*/, const char* /*message*/) {}

PgConnPtr connect(const std::string& url) {
  // connect_timeout first: a value in the URL itself (expanded from dbname) overrides it.
  const std::array<const char*, 3> keywords = {"connect_timeout", "dbname", nullptr};
  const std::array<const char*, 3> values = {"10", url.c_str(), nullptr};
  PgConnPtr connection(PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1));
  if (!connection || PQstatus(connection.get()) != CONNECTION_OK) {
    throw_postgres(connection.get(), nullptr, "Cannot connect to the PostgreSQL database");
  }
  PQsetNoticeProcessor(connection.get(), ignore_notice, nullptr);
  return connection;
}

// PGRES_COMMAND_OK or PGRES_TUPLES_OK, or the error.
Result checked(PGconn* connection, PGresult* raw, std::string_view context) {
  PgResultPtr result(raw);
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw_postgres(connection, result.get(), context);
  }
  return Result(std::move(result));
}

}  // namespace

Connection::Connection(PgConnPtr connection, std::string url)
    : connection_(std::move(connection)), url_(std::move(url)) {}

Connection Connection::open(const std::string& url) {
  return Connection(connect(url), url);
}

const std::string& Connection::prepared(std::string_view sql) {
  const std::string text(sql);
  if (auto it = prepared_.find(text); it != prepared_.end()) return it->second;
  if (prepared_.size() >= kMaxPrepared) {
    exec("DEALLOCATE ALL");
    prepared_.clear();
  }
  std::string name = "smime_" + std::to_string(next_name_++);
  checked(handle(), PQprepare(handle(), name.c_str(), text.c_str(), 0, nullptr),
          "Cannot prepare `" + text + "`");
  return prepared_.emplace(text, std::move(name)).first->second;
}

Result Connection::execute(std::string_view sql, const Params& params) {
  const std::string& name = prepared(sql);
  const std::vector<const char*> values = params.pointers();
  return checked(handle(),
                 PQexecPrepared(handle(), name.c_str(), params.size(), values.data(), nullptr,
                                nullptr, /*resultFormat=*/0),
                 "Database error");
}

void Connection::exec(std::string_view sql) {
  const std::string text(sql);
  checked(handle(), PQexec(handle(), text.c_str()), "Database error");
}

bool Connection::in_transaction() const noexcept {
  const PGTransactionStatusType status = PQtransactionStatus(handle());
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

bool Connection::alive() noexcept {
  // Never blocks: reads only what is already there. A server that ends a session (shutdown,
  // pg_terminate_backend) sends an error and then closes the socket; libpq marks the
  // connection bad when a read meets the end. One read may take only the error, so read while
  // the socket has more (bounded: an idle session receives little else).
  constexpr int kMaxReads = 4;
  for (int read = 0; read < kMaxReads; ++read) {
    if (PQstatus(handle()) != CONNECTION_OK) return false;
    pollfd socket{PQsocket(handle()), POLLIN, 0};
    if (::poll(&socket, 1, 0) <= 0) return true;  // nothing pending
    if (PQconsumeInput(handle()) != 1) return false;
  }
  return PQstatus(handle()) == CONNECTION_OK;
}

void Connection::reconnect() {
  prepared_.clear();
  connection_ = connect(url_);
}

}  // namespace smime::postgres
