// Issue 11 item 6: content that costs far more than its size. Each count that drives work is
// capped (engine::Limits) with an error naming the limit: outgoing throws
// Error(limit_exceeded), incoming reports it in its result; each org key is tried once.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "engine_fixture.hpp"
#include "smime/common/error.hpp"
#include "support/hostile_mail.hpp"

namespace smime::test {
namespace {

class EngineLimitsTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    org_ = imported_identity("support@example.org", "rsa-2048");
  }

  std::unique_ptr<engine::Engine> engine_with(const engine::Limits& limits) {
    return std::make_unique<engine::Engine>(
        *store_, *certificates_, [this]() -> KeyStore& { return key_store(); }, engine::Policy{},
        limits);
  }

  // Outgoing must refuse with limit_exceeded and a message naming `limit_name`.
  void expect_outgoing_limit(engine::Engine& engine, const std::string& wire,
                             const std::string& limit_name) {
    engine::OutgoingRequest request;
    request.message = wire;
    request.sign = true;
    request.encrypt = false;
    try {
      engine.outgoing(request);
      ADD_FAILURE() << "no error for " << limit_name;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::limit_exceeded) << e.what();
      EXPECT_NE(std::string(e.what()).find(limit_name), std::string::npos) << e.what();
    }
  }

  static void expect_incoming_limit(const engine::IncomingResult& in,
                                    const std::string& limit_name) {
    ASSERT_FALSE(in.errors.empty()) << "no error for " << limit_name;
    EXPECT_EQ(in.errors.back().code, "limit_exceeded") << in.errors.back().message;
    EXPECT_NE(in.errors.back().message.find(limit_name), std::string::npos)
        << in.errors.back().message;
    EXPECT_FALSE(in.ok());
  }

  Identity org_;
};

TEST_F(EngineLimitsTest, TooManyMimePartsAreRefusedBeforeGmimeBuildsThem) {
  // 200,000 parts in 2 MB: GMime alone would build about 270 MB of objects for them.
  const std::string wire = many_parts_message(200'000);
  expect_outgoing_limit(*engine_, wire, "mime_parts");
  const auto in = engine_->incoming(wire);
  expect_incoming_limit(in, "mime_parts");
  EXPECT_EQ(in.message, wire);  // the original is never lost
}

TEST_F(EngineLimitsTest, PartsJustOverTheLimitAreCountedExactly) {
  engine::Limits limits;
  limits.mime_parts = 50;
  auto limited = engine_with(limits);
  // 49 body parts + the multipart itself = 50: accepted; one more is refused.
  EXPECT_TRUE(outgoing(many_parts_message(49), true, false).signed_);
  const std::string accepted = many_parts_message(49);
  engine::OutgoingRequest request;
  request.message = accepted;
  request.sign = true;
  request.encrypt = false;
  EXPECT_TRUE(limited->outgoing(request).signed_);
  expect_outgoing_limit(*limited, many_parts_message(50), "mime_parts");
  expect_incoming_limit(limited->incoming(many_parts_message(50)), "mime_parts");
}

TEST_F(EngineLimitsTest, DeepNestingIsRefused) {
  const std::string wire = deeply_nested_message(engine::Limits{}.mime_depth + 1);
  expect_outgoing_limit(*engine_, wire, "mime_depth");
  expect_incoming_limit(engine_->incoming(wire), "mime_depth");
  // The deepest nesting allowed still signs.
  EXPECT_TRUE(
      outgoing(deeply_nested_message(engine::Limits{}.mime_depth - 1), true, false).signed_);
}

TEST_F(EngineLimitsTest, TooManyAddressesOutgoingIncomingAndPreflight) {
  const std::size_t over = engine::Limits{}.addresses + 1;
  const std::string wire = many_addresses_message(over);
  expect_outgoing_limit(*engine_, wire, "addresses");
  expect_incoming_limit(engine_->incoming(wire), "addresses");

  engine::PreflightRequest preflight;
  preflight.from = "support@example.org";
  for (std::size_t i = 0; i < over; ++i)
    preflight.to.push_back("r" + std::to_string(i) + "@x.example");
  try {
    engine_->preflight(preflight);
    ADD_FAILURE() << "preflight accepted " << over << " addresses";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::limit_exceeded);
    EXPECT_NE(std::string(e.what()).find("addresses"), std::string::npos) << e.what();
  }
  // The request's own Bcc list counts as well.
  const std::string small = message();
  engine::OutgoingRequest request;
  request.message = small;
  request.sign = true;
  request.encrypt = false;
  request.bcc.assign(over, "bcc@example.com");
  try {
    engine_->outgoing(request);
    ADD_FAILURE() << "request Bcc over the limit accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::limit_exceeded) << e.what();
  }
}

TEST_F(EngineLimitsTest, HundredThousandAddressesAreDeduplicatedInOnePass) {
  // With the limit raised, 100,000 addresses (half of them repeated in Cc) go through the
  // de-duplication of outgoing, incoming and preflight; the quadratic one took minutes.
  engine::Limits limits;
  limits.addresses = 300'000;
  auto large = engine_with(limits);
  std::string wire = many_addresses_message(100'000);
  std::string cc = "Cc: ";
  for (std::size_t i = 0; i < 50'000; ++i)
    cc += (i ? ", " : "") + ("RCPT" + std::to_string(i) + "@EXAMPLE.COM");
  wire.insert(wire.find("Subject:"), cc + "\r\n");
  engine::OutgoingRequest request;
  request.message = wire;
  request.sign = true;
  request.encrypt = false;
  const auto out = large->outgoing(request);
  EXPECT_TRUE(out.signed_);
  EXPECT_EQ(out.addresses.size(), 1 + 100'000 + 50'000);  // From, To, Cc (each list unique)
  const auto in = large->incoming(out.message);
  EXPECT_EQ(in.signature, engine::SignatureStatus::valid) << in.signature_reason;

  engine::PreflightRequest preflight;
  preflight.from = "support@example.org";
  for (std::size_t i = 0; i < 100'000; ++i)
    preflight.to.push_back("rcpt" + std::to_string(i) + "@example.com");
  preflight.cc = std::vector<std::string>(preflight.to.begin(), preflight.to.begin() + 50'000);
  const auto p = large->preflight(preflight);
  EXPECT_EQ(p.encrypt.missing.size(), 100'000u);  // each recipient once, no certificate
}

TEST_F(EngineLimitsTest, TooManyRecipientInfosAreRefused) {
  engine::Limits limits;
  limits.recipient_infos = 10;
  auto limited = engine_with(limits);
  const auto der = envelope_with_copies(message(), org_.issued.cert.get(), 11, false);
  const std::string wire = with_headers(outer_headers("alice@example.com", "support@example.org"),
                                        pkcs7_mime_entity(der, "authEnveloped-data"));
  const auto in = limited->incoming(wire);
  expect_incoming_limit(in, "recipient_infos");
  EXPECT_FALSE(in.decrypted);
  // Within the limit the same construction decrypts.
  const auto ten = envelope_with_copies(message(), org_.issued.cert.get(), 10, false);
  EXPECT_TRUE(limited
                  ->incoming(with_headers(outer_headers("alice@example.com", org_.email),
                                          pkcs7_mime_entity(ten, "authEnveloped-data")))
                  .decrypted);
}

// Counts the engine's "decryption with <key> failed" log lines: one per token attempt.
class DecryptionAttempts {
 public:
  DecryptionAttempts() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(lines_)) {
    spdlog::default_logger()->sinks().push_back(sink_);
    level_ = spdlog::default_logger()->level();
    spdlog::set_level(spdlog::level::debug);
  }
  ~DecryptionAttempts() {
    spdlog::set_level(level_);
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  std::size_t count() const {
    const std::string text = lines_.str();
    std::size_t n = 0;
    for (std::size_t at = text.find("decryption with"); at != std::string::npos;
         at = text.find("decryption with", at + 1)) {
      ++n;
    }
    return n;
  }

 private:
  std::ostringstream lines_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
  spdlog::level::level_enum level_;
};

TEST_F(EngineLimitsTest, EachOrgKeyIsTriedOncePerMessage) {
  // 1,000 RecipientInfos that all name the org certificate, and a GCM tag that never
  // verifies: every one of them unwraps a content key with the token key.
  const auto der = envelope_with_copies(message(), org_.issued.cert.get(), 1'000, true);
  const std::string wire = with_headers(outer_headers("alice@example.com", org_.email),
                                        pkcs7_mime_entity(der, "authEnveloped-data"));
  DecryptionAttempts attempts;
  const auto in = engine_->incoming(wire);
  ASSERT_EQ(in.errors.size(), 1u);
  EXPECT_EQ(in.errors[0].code, "decrypt_failed");
  EXPECT_FALSE(in.decrypted);
  EXPECT_EQ(attempts.count(), 1u) << "the org key was tried more than once";
}

}  // namespace
}  // namespace smime::test
