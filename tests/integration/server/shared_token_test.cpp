// Several processes on one token at the same time, as on an appliance with a second node, an
// operator's smimectl and a starting service: two smimed processes sign under load while
// smimectl processes start again and again (each a fresh C_Initialize that reads SoftHSM2's
// file store), list keys and generate keys (writing that store). SoftHSM2 intermittently
// showed a starting process "token not initialised" while another wrote the store; no user
// may see that. Locally and (remote/...) through p11-kit server.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "https_client.hpp"
#include "support/smimed_process.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/token_server.hpp"

namespace smime::test {
namespace {

std::string message_from(const std::string& from) {
  return "From: " + from + "\r\nTo: bob@example.net\r\nSubject: shared\r\nMessage-ID: <s@x>\r\n" +
         "Content-Type: text/plain\r\n\r\nOne token, many processes.\r\n";
}

class SharedTokenTest : public SoftHsmTest {
 protected:
  // An org key generated through smimed's API (key in the shared token, certificate in
  // that smimed's own store).
  static void generate_org_key(SmimedProcess& smimed, const std::string& email) {
    HttpsClient c(smimed.port());
    const nlohmann::json request = {
        {"algorithm", "ec-p256"}, {"label", email}, {"emails", {email}}, {"self_signed", true}};
    HttpResult r = c.request("POST", "/api/v1/keys", request.dump(),
                             {{"Authorization", "Bearer " + smimed.admin_secret()},
                              {"Content-Type", "application/json"}});
    ASSERT_EQ(r.status, 201) << r.body;
  }
};

TEST_F(SharedTokenTest, TwoSmimedAndSmimectlUseOneTokenAtOnce) {
  // Through p11-kit server every connection is a process of its own reading SoftHSM2's store;
  // the race showed once in CI as C_GetMechanismList CKR_SLOT_ID_INVALID in a status, now
  // recovered by Token::query_slot (RecoveryTest.SlotQueriesRecoverFromAVanishedSlot).
  SmimedProcess a(scratch_.path() / "a", home(), "worker_threads = 2\n");
  SmimedProcess b(scratch_.path() / "b", home(), "worker_threads = 2\n");
  a.start();
  b.start();
  generate_org_key(a, "node-a@example.org");
  generate_org_key(b, "node-b@example.org");

  std::mutex mutex;
  std::vector<std::string> failures;
  auto fail = [&](const std::string& what) {
    std::lock_guard lock(mutex);
    failures.push_back(what);
  };
  std::atomic<bool> stop{false};
  std::atomic<int> signatures{0};
  auto sign_on = [&](SmimedProcess& node, const std::string& from) {
    HttpsClient c(node.port());
    while (!stop) {
      HttpResult r = c.request(
          "POST", "/api/v1/messages/outgoing?sign=true&encrypt=false", message_from(from),
          {{"Authorization", "Bearer " + node.admin_secret()}, {"Content-Type", "message/rfc822"}});
      if (r.status != 200) fail(from + ": " + std::to_string(r.status) + " " + r.body);
      ++signatures;
    }
  };
  std::vector<std::thread> threads;
  threads.emplace_back(sign_on, std::ref(a), "node-a@example.org");
  threads.emplace_back(sign_on, std::ref(b), "node-b@example.org");

  // The operator's side, three at once: fresh processes that initialise the module and read
  // the token's store while others write it (the race showed within a few dozen of these).
  auto operator_loop = [&](std::vector<std::string> args, int times, bool numbered_label) {
    for (int i = 0; i < times; ++i) {
      std::vector<std::string> call = args;
      if (numbered_label) call.push_back("operator-" + std::to_string(i));
      ProcessResult r = smimectl(call);
      if (r.exit_code != 0) fail("smimectl " + args[0] + " " + args[1] + ": " + r.err);
    }
  };
  std::vector<std::thread> operators;
  operators.emplace_back(
      operator_loop,
      std::vector<std::string>{"key", "generate", "--algorithm", "ec-p256", "--label"}, 10, true);
  operators.emplace_back(operator_loop, std::vector<std::string>{"token", "status"}, 25, false);
  operators.emplace_back(operator_loop, std::vector<std::string>{"key", "list"}, 25, false);
  for (auto& t : operators) t.join();
  stop = true;
  for (auto& t : threads) t.join();

  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();
  EXPECT_GT(signatures, 0);
  EXPECT_TRUE(a.running());
  EXPECT_TRUE(b.running());
}

}  // namespace
}  // namespace smime::test
