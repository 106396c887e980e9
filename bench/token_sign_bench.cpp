// Signature throughput with token keys (our own key method over the token's sessions), against
// the same algorithm with a software key in the same process: the ratio shows what the token
// path costs.
// Run by scripts/bench on a fresh SoftHSM2 token in a temp directory.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>

#include "smime/common/handles.hpp"
#include "smime/pkcs11/token_key_store.hpp"
#include "smime/provisioning/dev_token.hpp"
#include "support/softhsm_fixture.hpp"
#include "support/test_keys.hpp"

namespace {

using smime::EvpPkeyPtr;
using smime::KeyAlgorithm;

// Process-lifetime objects are deliberately never destroyed: SoftHSM2 may crash closing
// sessions while the process ends.
smime::pkcs11::TokenKeyStore& keys() {
  static auto* store = [] {
    const auto& home = smime::test::softhsm_home();
    smime::pkcs11::TokenConfig config;
    config.module_path = SMIME_TEST_SOFTHSM_MODULE;
    config.label = smime::test::kTestTokenLabel;
    config.pin = smime::pkcs11::PinSource::from_file((home / "user.pin").string());
    return std::make_unique<smime::pkcs11::TokenKeyStore>(smime::pkcs11::Token::open(config))
        .release();
  }();
  return *store;
}

void sign_loop(benchmark::State& state, EVP_PKEY* key) {
  unsigned char digest[32] = {1, 2, 3};
  unsigned char sig[1024];
  smime::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  EVP_PKEY_sign_init(ctx.get());
  EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256());
  for (auto _ : state) {
    std::size_t len = sizeof sig;
    if (EVP_PKEY_sign(ctx.get(), sig, &len, digest, sizeof digest) != 1) {
      state.SkipWithError("sign failed");
      break;
    }
    benchmark::DoNotOptimize(len);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_TokenSign(benchmark::State& state, KeyAlgorithm algorithm) {
  static auto* handles = std::make_unique<std::map<KeyAlgorithm, EvpPkeyPtr>>().release();
  auto& handle = (*handles)[algorithm];
  if (!handle) handle = keys().private_key(keys().generate(algorithm, "bench").id);
  sign_loop(state, handle.get());
}

void BM_SoftwareSign(benchmark::State& state, const char* kind) {
  EvpPkeyPtr key = smime::test::generate_software_key(kind);
  sign_loop(state, key.get());
}

BENCHMARK_CAPTURE(BM_TokenSign, rsa_2048, KeyAlgorithm::rsa_2048)->UseRealTime();
BENCHMARK_CAPTURE(BM_SoftwareSign, rsa_2048, "rsa-2048")->UseRealTime();
BENCHMARK_CAPTURE(BM_TokenSign, ec_p256, KeyAlgorithm::ec_p256)->UseRealTime();
BENCHMARK_CAPTURE(BM_SoftwareSign, ec_p256, "ec-p256")->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
