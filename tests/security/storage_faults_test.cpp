// Faults of the machine (issue 11 items 16-18): a full disk and an audit log that cannot
// write, against a real smimed over TLS whose database lives on a small
// tmpfs of its own, and against smimectl. Every change is committed with its audit entry or
// not at all; storage faults answer 503 with a code that says which; /healthz says so.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "server_fixture.hpp"
#include "smime/audit/audit_log.hpp"
#include "smime/sqlite/connection.hpp"
#include "smime/store/sqlite_store.hpp"
#include "store_check.hpp"

namespace smime::test {
namespace {

using nlohmann::json;

// A tmpfs mounted at `path` for the test's lifetime (the test runs as root, as scripts/test
// does on a fresh machine).
class Tmpfs {
 public:
  Tmpfs(const std::filesystem::path& path, std::size_t bytes) : path_(path) {
    std::filesystem::create_directories(path_);
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
    if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      throw std::runtime_error("cannot mount a tmpfs at " + path_.string() + ": " +
                               std::strerror(errno) + " (the storage fault tests run as root)");
    }
  }
  ~Tmpfs() { ::umount2(path_.c_str(), MNT_DETACH); }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  // Writes a filler file until the filesystem is full.
  void fill() {
    const auto filler = path_ / "filler";
    const int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ASSERT_GE(fd, 0);
    const std::string block(4096, 'x');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    ::close(fd);
  }
  void free_up() { std::filesystem::remove(path_ / "filler"); }

 private:
  std::filesystem::path path_;
};

class StorageFaultTest : public ServerTest {
 protected:
  void SetUp() override {
    disk_ = std::make_unique<Tmpfs>(scratch_.path() / "home", 8 * 1024 * 1024);
    ServerTest::SetUp();
  }
  void TearDown() override {
    ServerTest::TearDown();
    // Still on the full disk: what was written must be sound.
    expect_store_intact(scratch_.path() / "home");
    disk_.reset();
  }

  std::filesystem::path database() const { return scratch_.path() / "home" / "smime.db"; }

  // /healthz as the admin, once the last probe is older than its one-second cache.
  json health(int& status) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    HttpResult r = client().request("GET", "/healthz", "", auth());
    status = r.status;
    return json::parse(r.body);
  }

  // Groups, and the ok group.set entries, by name.
  std::set<std::string> stored_groups() {
    HttpResult r = client().request("GET", "/api/v1/groups", "", auth());
    EXPECT_EQ(r.status, 200) << r.body;
    std::set<std::string> names;
    for (const auto& g : json::parse(r.body)["groups"]) names.insert(g["name"]);
    return names;
  }
  std::set<std::string> audited_groups() {
    audit::AuditLog log(database());
    audit::AuditQuery query;
    query.operation = "group.set";
    query.status = audit::Status::ok;
    query.limit = 1000;
    std::set<std::string> names;
    for (const auto& entry : log.list(query)) {
      const std::string& detail = entry.event.detail;  // "group NAME, default ..."
      names.insert(detail.substr(6, detail.find(',') - 6));
    }
    return names;
  }
  void expect_intact() {
    audit::AuditLog log(database());
    const auto report = log.verify();
    EXPECT_TRUE(report.intact) << report.reason;
    auto store = store::open_sqlite_store(database());
    EXPECT_EQ(store::sqlite_pragma(*store, "integrity_check"), "ok");
  }

  std::unique_ptr<Tmpfs> disk_;
};

TEST_F(StorageFaultTest, AFullDiskRefusesChangesWith503AndNoneIsLiveWithoutItsEntry) {
  ASSERT_EQ(client()
                .request("PUT", "/api/v1/groups/before", json{{"email", "b@example.org"}}.dump(),
                         auth("application/json"))
                .status,
            201);
  disk_->fill();
  int refused = 0;
  for (int i = 0; i < 24; ++i) {
    // Large enough to need new pages: the WAL cannot grow any more.
    const std::string name = "g" + std::to_string(i) + "-" + std::string(80, 'x');
    HttpResult r = client().request(
        "PUT", "/api/v1/groups/" + name,
        json{{"email", "g" + std::to_string(i) + "@example.org"}}.dump(), auth("application/json"));
    if (r.status == 503) {
      ++refused;
      EXPECT_EQ(json::parse(r.body)["error"]["code"], "storage_full") << r.body;
    } else {
      EXPECT_EQ(r.status, 201) << r.body;
    }
  }
  EXPECT_GT(refused, 0) << "the disk never filled";
  int status = 0;
  json unhealthy = health(status);
  EXPECT_EQ(status, 503) << unhealthy.dump();
  EXPECT_FALSE(unhealthy["checks"]["database"]["ok"]) << unhealthy.dump();

  disk_->free_up();
  json healthy = health(status);
  EXPECT_EQ(status, 200) << healthy.dump();
  // Every group that exists has its ok entry, and no entry claims a group that does not.
  std::set<std::string> groups = stored_groups();
  groups.erase("before");
  std::set<std::string> audited = audited_groups();
  audited.erase("before");
  EXPECT_EQ(groups, audited);
  EXPECT_EQ(client()
                .request("PUT", "/api/v1/groups/after", json{{"email", "a@example.org"}}.dump(),
                         auth("application/json"))
                .status,
            201);
  expect_intact();
}

// An audit log that refuses every entry (a trigger on its table: a real failure of the real
// database) must take the change down with it, through the API and through smimectl.
class AuditFailureTest : public ServerTest {
 protected:
  std::filesystem::path database() const { return scratch_.path() / "home" / "smime.db"; }
  void TearDown() override {
    ServerTest::TearDown();
    sqlite::Connection::open(database()).exec("DROP TRIGGER IF EXISTS injected_audit_failure");
    expect_store_intact(scratch_.path() / "home");
  }
  void break_audit_log() {
    auto db = sqlite::Connection::open(database());
    db.exec(
        "CREATE TRIGGER injected_audit_failure BEFORE INSERT ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'injected audit failure'); END;");
  }
  std::int64_t api_tokens() {
    auto db = sqlite::Connection::open(database());
    return std::stoll(db.query_text("SELECT count(*) FROM api_tokens"));
  }
};

TEST_F(AuditFailureTest, NoApiTokenOrGroupExistsWithoutItsEntry) {
  const std::int64_t before = api_tokens();
  break_audit_log();
  HttpResult token = client().request("POST", "/api/v1/api-tokens",
                                      json{{"name", "sneaky"}, {"role", "admin"}}.dump(),
                                      auth("application/json"));
  EXPECT_EQ(token.status, 503) << token.body;
  EXPECT_EQ(json::parse(token.body)["error"]["code"], "storage_failure");
  EXPECT_EQ(api_tokens(), before) << "no admin token without its audit entry";
  HttpResult group =
      client().request("PUT", "/api/v1/groups/quiet", json{{"email", "q@example.org"}}.dump(),
                       auth("application/json"));
  EXPECT_EQ(group.status, 503) << group.body;

  const std::filesystem::path home = scratch_.path() / "home";
  ProcessResult cli_token =
      smimectl_in(home, {"apitoken", "create", "--role", "admin", "--name", "x"});
  EXPECT_EQ(cli_token.exit_code, 1) << cli_token.out;
  EXPECT_NE(cli_token.err.find("injected audit failure"), std::string::npos) << cli_token.err;
  EXPECT_EQ(cli_token.out.find("smk_"), std::string::npos) << "no secret was handed out";
  EXPECT_EQ(api_tokens(), before);
  ProcessResult cli_group =
      smimectl_in(home, {"group", "set", "quiet", "--email", "q@example.org"});
  EXPECT_EQ(cli_group.exit_code, 1);
  EXPECT_EQ(client().request("GET", "/api/v1/groups/quiet", "", auth()).status, 404);
}

// Sessions no longer wait on a worker for the audit commit (the entry is queued and the answer
// written once it is durable): an entry that cannot be written must still hold the answer back.
TEST_F(AuditFailureTest, NoSignedMessageIsAnsweredWithoutItsEntry) {
  generate_org_key("support@example.org");
  const std::string message =
      "From: support@example.org\r\nTo: someone@example.com\r\nSubject: s\r\n"
      "Message-ID: <unaudited@example.org>\r\n\r\nbody\r\n";
  ASSERT_EQ(client()
                .request("POST", "/api/v1/messages/outgoing?sign=true&encrypt=false", message,
                         auth("message/rfc822"))
                .status,
            200);
  break_audit_log();
  for (int i = 0; i < 8; ++i) {
    HttpResult r = client().request("POST", "/api/v1/messages/outgoing?sign=true&encrypt=false",
                                    message, auth("message/rfc822"));
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "storage_failure") << r.body;
    EXPECT_EQ(r.body.find("pkcs7-signature"), std::string::npos) << "no signed message went out";
  }
}

}  // namespace
}  // namespace smime::test
