// EC decryption must not grow memory: SoftHSM2 keeps every object derived in a session (the
// ECDH secret of each EC decryption) until C_Finalize, even after C_DestroyObject, about 230
// bytes each. The token layer re-initialises the module after recycle_after_derivations
// derivations; this soak test shows the leak with recycling off and flat memory with it on,
// measured on this process's resident set (where SoftHSM2 lives in local mode).
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "smime/pkcs11/token_key_store.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/token_server.hpp"

namespace smime::test {
namespace {

long resident_kib() {
  std::ifstream statm("/proc/self/statm");
  long size = 0;
  long resident = 0;
  statm >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

class DerivedObjectsTest : public SoftHsmTest {
 protected:
  // The key's own public point: a valid peer point on its curve.
  static std::vector<unsigned char> own_point(pkcs11::TokenKeyStore& keys, const KeyInfo& key) {
    EvpPkeyPtr pub = keys.public_key(key.id);
    std::size_t length = 0;
    EVP_PKEY_get_octet_string_param(pub.get(), OSSL_PKEY_PARAM_PUB_KEY, nullptr, 0, &length);
    std::vector<unsigned char> point(length);
    EVP_PKEY_get_octet_string_param(pub.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), length,
                                    &length);
    return point;
  }

  // RSS growth over `count` derivations, after `warmup` that settle the allocator.
  static long growth_kib(pkcs11::TokenKeyStore& keys, const KeyInfo& key, int warmup, int count) {
    const std::vector<unsigned char> point = own_point(keys, key);
    for (int i = 0; i < warmup; ++i) keys.derive_ecdh_raw(key.id, point);
    const long before = resident_kib();
    for (int i = 0; i < count; ++i) keys.derive_ecdh_raw(key.id, point);
    return resident_kib() - before;
  }
};

TEST_F(DerivedObjectsTest, EcDerivationsLeakWithoutRecyclingAndStayFlatWithIt) {
  if (remote_token_mode()) GTEST_SKIP() << "SoftHSM2 runs in the p11-kit server's process";
  constexpr int kCount = 6000;  // about 1.3 MiB of derived objects if nothing frees them

  pkcs11::TokenConfig leaking = token_config();
  leaking.recycle_after_derivations = 0;
  auto token = pkcs11::Token::open(leaking);
  pkcs11::TokenKeyStore keys(token);
  const KeyInfo key = keys.generate(KeyAlgorithm::ec_p256, "derived-objects");
  const long leaked = growth_kib(keys, key, 1000, kCount);
  EXPECT_GT(leaked, 800) << "the measurement must see SoftHSM2's leak, or it proves nothing";
  std::cout << "RSS growth over " << kCount << " derivations: " << leaked
            << " KiB without recycling" << std::endl;
  EXPECT_EQ(token->recycles(), 0u);

  pkcs11::TokenConfig recycling = token_config();
  recycling.recycle_after_derivations = 500;
  auto recycled_token = pkcs11::Token::open(recycling);
  pkcs11::TokenKeyStore recycled_keys(recycled_token);
  const long flat = growth_kib(recycled_keys, key, 1000, kCount);
  EXPECT_LT(flat, 300) << "RSS grew by " << flat << " KiB over " << kCount << " derivations";
  std::cout << "with recycling: " << flat << " KiB" << std::endl;
  EXPECT_GE(recycled_token->recycles(), static_cast<std::uint64_t>((1000 + kCount) / 500 - 1));
}

}  // namespace
}  // namespace smime::test
