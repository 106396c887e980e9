#include "cms_reference.hpp"

#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/store.h>
#include <openssl/x509.h>

#include <functional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "support/process.hpp"
#include "threaded_rate.hpp"

namespace smime::bench {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, Deleter<T, Free>>;
using Bio = Owned<BIO, BIO_free_all>;
using Cms = Owned<CMS_ContentInfo, CMS_ContentInfo_free>;
using Cert = Owned<X509, X509_free>;
using Key = Owned<EVP_PKEY, EVP_PKEY_free>;
using Ctx = Owned<OSSL_LIB_CTX, OSSL_LIB_CTX_free>;
using Store = Owned<X509_STORE, X509_STORE_free>;

// The whole error queue, newest last.
[[noreturn]] void fail(const std::string& what) {
  std::string text = what;
  const char* file = nullptr;
  const char* data = nullptr;
  int line = 0;
  int flags = 0;
  while (const unsigned long e = ERR_get_error_all(&file, &line, nullptr, &data, &flags)) {
    char reason[256];
    ERR_error_string_n(e, reason, sizeof reason);
    text +=
        std::string("; ") + reason + ((flags & ERR_TXT_STRING) != 0 ? std::string(" ") + data : "");
  }
  throw std::runtime_error(text);
}

Cert certificate(const std::string& pem) {
  Bio in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Cert cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  if (!cert) fail("cannot read a certificate");
  return cert;
}

Key token_key(OSSL_LIB_CTX* ctx, const std::string& uri) {
  auto* store =
      OSSL_STORE_open_ex(uri.c_str(), ctx, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  if (store == nullptr) fail("cannot open " + uri);
  Key key;
  while (!key && OSSL_STORE_eof(store) == 0) {
    OSSL_STORE_INFO* info = OSSL_STORE_load(store);
    if (info != nullptr && OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY) {
      key.reset(OSSL_STORE_INFO_get1_PKEY(info));
    }
    OSSL_STORE_INFO_free(info);
  }
  OSSL_STORE_close(store);
  if (!key) fail("no private key at " + uri);
  return key;
}

std::string to_der(CMS_ContentInfo* cms) {
  unsigned char* der = nullptr;
  const int n = i2d_CMS_ContentInfo(cms, &der);
  if (n <= 0) fail("cannot encode CMS");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

// A P-256 key in software with a self-signed certificate for it.
std::pair<Key, Cert> software_ec_recipient() {
  Key key(EVP_EC_gen("P-256"));
  Cert cert(X509_new());
  if (!key || !cert) fail("cannot make a software EC key");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("reference"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key.get());
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) fail("cannot sign a certificate");
  return {std::move(key), std::move(cert)};
}

}  // namespace

struct CmsReference::State {
  Ctx ctx;
  Cert signer;
  Key signer_key;
  Cert recipient;
  Key recipient_key;
  Store anchors;
  // EC only: pkcs11-provider cannot decrypt a kari recipient on SoftHSM2 (SPEC §12), so the
  // EC reference is the token's raw ECDH through the provider plus CMS_decrypt for a software
  // key of the same curve (one software ECDH more than the token path needs).
  Cert software_recipient;
  Key software_key;
  Key ecdh_peer;

  bool ec_recipient() const { return EVP_PKEY_get_base_id(recipient_key.get()) == EVP_PKEY_EC; }
  const Cert& decrypting_certificate() const {
    return ec_recipient() ? software_recipient : recipient;
  }
  const Key& decrypting_key() const { return ec_recipient() ? software_key : recipient_key; }

  void token_ecdh() const {
    Owned<EVP_PKEY_CTX, EVP_PKEY_CTX_free> pctx(
        EVP_PKEY_CTX_new_from_pkey(ctx.get(), recipient_key.get(), nullptr));
    unsigned char secret[66];
    std::size_t length = sizeof secret;
    if (!pctx) fail("EVP_PKEY_CTX_new_from_pkey");
    if (EVP_PKEY_derive_init(pctx.get()) <= 0) fail("EVP_PKEY_derive_init");
    if (EVP_PKEY_derive_set_peer(pctx.get(), ecdh_peer.get()) <= 0)
      fail("EVP_PKEY_derive_set_peer");
    if (EVP_PKEY_derive(pctx.get(), nullptr, &length) <= 0 || length > sizeof secret) {
      fail("EVP_PKEY_derive (size)");
    }
    if (EVP_PKEY_derive(pctx.get(), secret, &length) <= 0) fail("EVP_PKEY_derive (token ECDH)");
  }

  std::string sign(const std::string& content) const {
    Bio in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
    Cms cms(CMS_sign_ex(signer.get(), signer_key.get(), nullptr, in.get(),
                        CMS_DETACHED | CMS_BINARY, ctx.get(), nullptr));
    if (!cms) fail("CMS_sign");
    return to_der(cms.get());
  }

  std::string encrypt(const std::string& content) const {
    Bio in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
    STACK_OF(X509)* recipients = sk_X509_new_null();
    sk_X509_push(recipients, decrypting_certificate().get());
    Cms cms(
        CMS_encrypt_ex(recipients, in.get(), EVP_aes_256_cbc(), CMS_BINARY, ctx.get(), nullptr));
    sk_X509_free(recipients);
    if (!cms) fail("CMS_encrypt");
    return to_der(cms.get());
  }

  // The inner signed data is the content itself (opaque), so one decryption yields it whole.
  bool decrypt_verify(const std::string& enveloped) const {
    // Parsed into objects of the provider's library context, where the token key is.
    const auto* p = reinterpret_cast<const unsigned char*>(enveloped.data());
    Cms cms(CMS_ContentInfo_new_ex(ctx.get(), nullptr));
    CMS_ContentInfo* parsed = cms.get();
    if (!cms || d2i_CMS_ContentInfo(&parsed, &p, static_cast<long>(enveloped.size())) == nullptr) {
      fail("d2i enveloped");
    }
    Bio plain(BIO_new(BIO_s_mem()));
    if (ec_recipient()) token_ecdh();
    if (CMS_decrypt(cms.get(), decrypting_key().get(), decrypting_certificate().get(), nullptr,
                    plain.get(), CMS_BINARY) != 1) {
      fail("CMS_decrypt");
    }
    Cms signed_data(CMS_ContentInfo_new_ex(ctx.get(), nullptr));
    parsed = signed_data.get();
    if (!signed_data || d2i_CMS_bio(plain.get(), &parsed) == nullptr) fail("d2i signed");
    Bio out(BIO_new(BIO_s_mem()));
    return CMS_verify(signed_data.get(), nullptr, anchors.get(), nullptr, out.get(), CMS_BINARY) ==
           1;
  }

  std::string opaque_signed(const std::string& content) const {
    Bio in(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
    Cms cms(CMS_sign_ex(signer.get(), signer_key.get(), nullptr, in.get(), CMS_BINARY, ctx.get(),
                        nullptr));
    if (!cms) fail("CMS_sign");
    return to_der(cms.get());
  }
};

CmsReference::CmsReference(const std::string& openssl_conf, const ReferenceKeys& keys)
    : state_(std::make_unique<State>()) {
  state_->ctx.reset(OSSL_LIB_CTX_new());
  if (!state_->ctx || OSSL_LIB_CTX_load_config(state_->ctx.get(), openssl_conf.c_str()) != 1) {
    fail("cannot load pkcs11-provider from " + openssl_conf);
  }
  state_->signer = certificate(keys.signer_certificate_pem);
  state_->signer_key = token_key(state_->ctx.get(), keys.signer_key_uri);
  state_->recipient = certificate(keys.recipient_certificate_pem);
  state_->recipient_key = token_key(state_->ctx.get(), keys.recipient_key_uri);
  if (state_->ec_recipient()) {
    auto [key, cert] = software_ec_recipient();
    state_->software_key = std::move(key);
    state_->software_recipient = std::move(cert);
    // The peer is a public key only, as an originator's key in a message is.
    Key ephemeral(EVP_EC_gen("P-256"));
    unsigned char* der = nullptr;
    const int n = i2d_PUBKEY(ephemeral.get(), &der);
    const unsigned char* p = der;
    state_->ecdh_peer.reset(d2i_PUBKEY_ex(nullptr, &p, n, state_->ctx.get(), "provider=default"));
    OPENSSL_free(der);
    if (!state_->ecdh_peer) fail("cannot make an ECDH peer key");
  }
  state_->anchors.reset(X509_STORE_new());
  X509_STORE_add_cert(state_->anchors.get(), state_->signer.get());
}

CmsReference::~CmsReference() = default;

ReferenceResult CmsReference::run(ReferenceOperation operation, const std::string& content,
                                  unsigned threads, double seconds) {
  const State& s = *state_;
  std::string enveloped;
  if (operation == ReferenceOperation::decrypt_verify) {
    enveloped = s.encrypt(s.opaque_signed(content));
    if (!s.decrypt_verify(enveloped)) fail("the reference message does not verify");
  }
  const std::function<bool()> op = [&]() -> bool {
    switch (operation) {
      case ReferenceOperation::sign:
        return !s.sign(content).empty();
      case ReferenceOperation::sign_encrypt:
        return !s.encrypt(s.opaque_signed(content)).empty();
      case ReferenceOperation::decrypt_verify:
        return s.decrypt_verify(enveloped);
    }
    return false;
  };
  const ThreadedRate rate = run_threads(threads, seconds, op);
  return {rate.per_second, rate.cpu_us_per_op};
}

std::string write_provider_config(const std::string& file, const std::string& provider_path,
                                  const std::string& module_path, const std::string& pin_file) {
  test::write_file(file,
                   "openssl_conf = init\n[init]\nproviders = providers\n"
                   "[providers]\ndefault = default_sect\npkcs11 = pkcs11_sect\n"
                   "[default_sect]\nactivate = 1\n[pkcs11_sect]\nmodule = " +
                       provider_path + "\npkcs11-module-path = " + module_path +
                       "\npkcs11-module-token-pin = file:" + pin_file +
                       "\npkcs11-module-quirks = no-deinit\nactivate = 1\n");
  return file;
}

}  // namespace smime::bench
