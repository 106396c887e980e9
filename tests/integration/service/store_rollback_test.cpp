// A token that fails in the middle of a certificate/key change leaves the database as it
// was: no certificate claims a key the token does not hold, and no key is orphaned.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include "smime/common/error.hpp"
#include "smime/common/pem.hpp"
#include "smime/provisioning/certificate_builder.hpp"
#include "smime/service/certificate_service.hpp"
#include "support/faulty_pkcs11_control.h"
#include "support/softhsm_fixture.hpp"
#include "support/store_backends.hpp"
#include "support/test_keys.hpp"

namespace smime::test {
namespace {

class StoreRollbackTest : public SoftHsmTest, public ::testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override {
    home();
    void* module = dlopen(SMIME_TEST_FAULTY_MODULE, RTLD_NOW);
    ASSERT_NE(module, nullptr);
    inject_on_ = reinterpret_cast<decltype(&faulty_inject_on)>(dlsym(module, "faulty_inject_on"));
    pkcs11::TokenConfig config = token_config();
    config.module_path = SMIME_TEST_FAULTY_MODULE;
    token_ = pkcs11::Token::open(config);
    keys_ = std::make_unique<pkcs11::TokenKeyStore>(token_);
    database_ = std::make_unique<BackendDatabase>(GetParam());
    store_ = &database_->store();
    service_ = std::make_unique<service::CertificateService>(*store_, *keys_);

    key_ = generate_software_key("ec-p256");
    auto cert =
        provisioning::build_self_signed({"", {"rollback@example.org"}}, key_.get(), key_.get(), 30);
    std::string pem = certificate_pem(cert.get());
    fingerprint_ = service_->import_certificates(as_bytes(pem)).imported.at(0).record.sha256;
    key_pem_ = pem_pkcs8(key_.get());
    key_bytes_ = as_bytes(key_pem_);
  }
  service::KeyImportRequest request() {
    service::KeyImportRequest r;
    r.key_file = key_bytes_;
    return r;
  }

  decltype(&faulty_inject_on) inject_on_ = nullptr;
  std::shared_ptr<pkcs11::Token> token_;
  std::unique_ptr<pkcs11::TokenKeyStore> keys_;
  std::unique_ptr<BackendDatabase> database_;
  store::Store* store_ = nullptr;
  std::unique_ptr<service::CertificateService> service_;
  EvpPkeyPtr key_;
  std::string fingerprint_;
  std::string key_pem_;
  std::vector<unsigned char> key_bytes_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreRollbackTest, kAllBackends, backend_test_name);

TEST_P(StoreRollbackTest, TokenWriteFailureDuringKeyImportRollsTheDatabaseBack) {
  inject_on_("C_CreateObject", CKR_DEVICE_MEMORY, 1);
  try {
    service_->import_private_key(request());
    FAIL() << "import succeeded although the token refused the write";
  } catch (const Error& e) {
    EXPECT_EQ(e.ckr(), CKR_DEVICE_MEMORY);
  }
  EXPECT_FALSE(store_->certificate(fingerprint_)->token_key_id.has_value())
      << "the certificate must not claim a key that is not in the token";
  EXPECT_FALSE(keys_->find(to_hex(key_id_for(key_.get()))).has_value());

  // Once the token works again the same import succeeds.
  auto owners = service_->import_private_key(request());
  EXPECT_TRUE(store_->certificate(fingerprint_)->token_key_id.has_value());
  EXPECT_EQ(owners.size(), 1u);
}

TEST_P(StoreRollbackTest, TokenFailureDuringDeleteWithKeyKeepsCertificateAndKey) {
  service_->import_private_key(request());
  const std::string key_id = *store_->certificate(fingerprint_)->token_key_id;
  inject_on_("C_DestroyObject", CKR_DEVICE_MEMORY, 1);
  EXPECT_THROW(service_->delete_certificate(fingerprint_, true), Error);
  auto still = store_->certificate(fingerprint_);
  ASSERT_TRUE(still.has_value()) << "the certificate row came back with the rollback";
  EXPECT_EQ(still->token_key_id, key_id);
  EXPECT_TRUE(keys_->find(key_id).has_value());
}

}  // namespace
}  // namespace smime::test
