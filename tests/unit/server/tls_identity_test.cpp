// smimed's TLS identity: created once (key in the key store, or in a 0600 file), reused on
// later starts, refused when half of it is missing; the certificate is a TLS server one.
#include "smime/server/tls_identity.hpp"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include "smime/common/error.hpp"
#include "support/fake_key_store.hpp"
#include "support/process.hpp"
#include "support/softhsm_fixture.hpp"

namespace smime::test {
namespace {

class TlsIdentityTest : public ::testing::Test {
 protected:
  TlsIdentityTest() {
    settings_.tls_certificate = dir_.path() / "tls.pem";
    settings_.tls_key_file = dir_.path() / "tls.key";
    settings_.tls_names = {"mail.example.org", "127.0.0.1"};
  }
  std::function<KeyStore&()> keys() {
    return [this]() -> KeyStore& { return keys_; };
  }
  TempDir dir_;
  server::ServerSettings settings_;
  FakeKeyStore keys_;
};

TEST_F(TlsIdentityTest, TokenKeyIsCreatedOnceAndReused) {
  server::TlsIdentity first = server::load_or_create_tls_identity(settings_, keys());
  EXPECT_TRUE(first.created);
  ASSERT_EQ(keys_.list().size(), 1u);
  EXPECT_EQ(keys_.list()[0].label, "smimed-tls");
  EXPECT_TRUE(keys_.list()[0].has_certificate);
  EXPECT_FALSE(std::filesystem::exists(settings_.tls_key_file)) << "no key file for a token key";

  server::TlsIdentity second = server::load_or_create_tls_identity(settings_, keys());
  EXPECT_FALSE(second.created);
  EXPECT_EQ(X509_cmp(first.certificate.get(), second.certificate.get()), 0);
  EXPECT_EQ(keys_.list().size(), 1u);

  keys_.remove(keys_.list()[0].id);
  EXPECT_THROW(server::load_or_create_tls_identity(settings_, keys()), Error);
}

TEST_F(TlsIdentityTest, FileKeyIsPrivateAndReused) {
  settings_.tls_key = "file";
  server::TlsIdentity first = server::load_or_create_tls_identity(settings_, keys());
  EXPECT_TRUE(first.created);
  EXPECT_TRUE(keys_.list().empty());
  const auto perms = std::filesystem::status(settings_.tls_key_file).permissions();
  EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
  server::TlsIdentity second = server::load_or_create_tls_identity(settings_, keys());
  EXPECT_FALSE(second.created);
  EXPECT_EQ(EVP_PKEY_eq(first.key.get(), second.key.get()), 1);

  std::filesystem::remove(settings_.tls_key_file);
  EXPECT_THROW(server::load_or_create_tls_identity(settings_, keys()), Error);
}

TEST_F(TlsIdentityTest, KeyFileReadableByOthersIsRefused) {
  settings_.tls_key = "file";
  server::load_or_create_tls_identity(settings_, keys());
  std::filesystem::permissions(settings_.tls_key_file, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  EXPECT_THROW(server::load_or_create_tls_identity(settings_, keys()), Error);
}

TEST_F(TlsIdentityTest, CertificateIsForTlsServers) {
  settings_.tls_key = "file";
  server::TlsIdentity id = server::load_or_create_tls_identity(settings_, keys());
  X509* cert = id.certificate.get();
  EXPECT_EQ(X509_check_host(cert, "mail.example.org", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  EXPECT_NE(X509_get_extended_key_usage(cert) & XKU_SSL_SERVER, 0u);
  EXPECT_EQ(X509_check_ca(cert), 0);
  EXPECT_EQ(X509_verify(cert, id.key.get()), 1) << "self-signed by its key";
}

}  // namespace
}  // namespace smime::test
