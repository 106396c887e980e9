#include "recipient_key.hpp"

#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "der.hpp"
#include "smime/common/error.hpp"
#include "smime/common/x963_kdf.hpp"

namespace smime::engine::cms {
namespace {

X509AlgorPtr parse_algorithm(const std::vector<unsigned char>& der) {
  const unsigned char* p = der.data();
  X509AlgorPtr alg(d2i_X509_ALGOR(nullptr, &p, static_cast<long>(der.size())));
  if (!alg) throw_openssl(ErrorCode::invalid_input, "A key algorithm identifier is malformed");
  return alg;
}

int algorithm_nid(const X509_ALGOR* alg) {
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, alg);
  return OBJ_obj2nid(oid);
}

[[noreturn]] void undecryptable() {
  drain_openssl_errors();
  // The token's own error (parked by the key's callbacks): the caller tells an absent token
  // from a bad ciphertext (is_token_unavailable).
  if (std::optional<Error> token = take_callback_error()) {
    throw Error(token->code(), std::string("The token could not decrypt: ") + token->what(),
                token->ckr());
  }
  throw Error(ErrorCode::crypto, "The message could not be decrypted");
}

// PKCS#1 v1.5 through the key's EVP_PKEY (CKM_RSA_PKCS for a token key).
SecureBytes pkcs1_decrypt(EVP_PKEY* key, std::span<const unsigned char> in) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0) {
    undecryptable();
  }
  std::size_t length = 0;
  if (EVP_PKEY_decrypt(ctx.get(), nullptr, &length, in.data(), in.size()) <= 0) undecryptable();
  SecureBytes out(length);
  if (EVP_PKEY_decrypt(ctx.get(), out.data(), &length, in.data(), in.size()) <= 0) {
    undecryptable();
  }
  out.resize(length);
  return out;
}

// RSAES-OAEP-params (RFC 4055): hash (default SHA-1), MGF1 hash (default SHA-1), label.
struct OaepParameters {
  const EVP_MD* md = EVP_sha1();
  const EVP_MD* mgf1 = EVP_sha1();
  std::vector<unsigned char> label;
};

const EVP_MD* digest_of(const X509_ALGOR* alg) {
  const EVP_MD* md = EVP_get_digestbynid(algorithm_nid(alg));
  if (md == nullptr) throw Error(ErrorCode::unsupported, "Unsupported RSA-OAEP hash");
  return md;
}

OaepParameters oaep_parameters(const X509_ALGOR* alg) {
  OaepParameters out;
  int type = 0;
  const void* value = nullptr;
  X509_ALGOR_get0(nullptr, &type, &value, alg);
  if (type != V_ASN1_SEQUENCE) return out;  // absent: all defaults
  const auto* seq = static_cast<const ASN1_STRING*>(value);
  const unsigned char* p = ASN1_STRING_get0_data(seq);
  RsaOaepParamsPtr params(d2i_RSA_OAEP_PARAMS(nullptr, &p, ASN1_STRING_length(seq)));
  if (!params) throw_openssl(ErrorCode::invalid_input, "The RSA-OAEP parameters are malformed");
  if (params->hashFunc != nullptr) out.md = digest_of(params->hashFunc);
  if (params->maskGenFunc != nullptr) {
    if (algorithm_nid(params->maskGenFunc) != NID_mgf1) {
      throw Error(ErrorCode::unsupported, "Unsupported RSA-OAEP mask generation function");
    }
    int mgf_type = 0;
    const void* mgf_value = nullptr;
    X509_ALGOR_get0(nullptr, &mgf_type, &mgf_value, params->maskGenFunc);
    if (mgf_type != V_ASN1_SEQUENCE) {
      throw Error(ErrorCode::invalid_input, "The RSA-OAEP MGF1 hash is missing");
    }
    const auto* mgf_seq = static_cast<const ASN1_STRING*>(mgf_value);
    const unsigned char* q = ASN1_STRING_get0_data(mgf_seq);
    X509AlgorPtr mgf_hash(d2i_X509_ALGOR(nullptr, &q, ASN1_STRING_length(mgf_seq)));
    if (!mgf_hash) throw_openssl(ErrorCode::invalid_input, "The RSA-OAEP MGF1 hash is malformed");
    out.mgf1 = digest_of(mgf_hash.get());
  }
  if (params->pSourceFunc != nullptr) {
    if (algorithm_nid(params->pSourceFunc) != NID_pSpecified) {
      throw Error(ErrorCode::unsupported, "Unsupported RSA-OAEP label source");
    }
    int label_type = 0;
    const void* label_value = nullptr;
    X509_ALGOR_get0(nullptr, &label_type, &label_value, params->pSourceFunc);
    if (label_type == V_ASN1_OCTET_STRING) {
      const auto* label = static_cast<const ASN1_STRING*>(label_value);
      out.label.assign(ASN1_STRING_get0_data(label),
                       ASN1_STRING_get0_data(label) + ASN1_STRING_length(label));
    }
  }
  return out;
}

// CKM_RSA_PKCS_OAEP in the token where it does this hash (an HSM may refuse raw RSA by
// policy); otherwise raw RSA in the token and the OAEP check in software (labels always).
SecureBytes oaep_key_transport(const OaepParameters& params, const KeyRecipient& recipient,
                               const OrgKey& key, KeyStore& keys) {
  const int hash = EVP_MD_get_type(params.md);
  const KeyStore::NativeSupport native = keys.native_support();
  const bool one_hash = hash == EVP_MD_get_type(params.mgf1) && params.label.empty();
  if (one_hash && ((hash == NID_sha1 && native.rsa_oaep_sha1) ||
                   (hash == NID_sha256 && native.rsa_oaep_sha256))) {
    return keys.decrypt_rsa_oaep_native(key.key_id, recipient.encrypted_key, params.md);
  }
  if (!native.rsa_raw) {
    throw Error(ErrorCode::unsupported,
                std::string("The token offers neither CKM_RSA_PKCS_OAEP with ") +
                    EVP_MD_get0_name(params.md) + (params.label.empty() ? "" : " and a label") +
                    " nor CKM_RSA_X_509 to complete it in software");
  }
  return keys.decrypt_rsa_oaep_completed(key.key_id, recipient.encrypted_key, params.md,
                                         params.mgf1, params.label);
}

SecureBytes key_transport(const Envelope& envelope, const KeyRecipient& recipient,
                          const OrgKey& key, KeyStore& keys) {
  X509AlgorPtr alg = parse_algorithm(recipient.key_algorithm);
  const int nid = algorithm_nid(alg.get());
  if (nid == NID_rsaEncryption) {
    try {
      return pkcs1_decrypt(key.private_key, recipient.encrypted_key);
    } catch (const Error& e) {
      if (is_token_unavailable(e)) throw;  // no answer from the token at all: 503
      // Bleichenbacher countermeasure: continue with a random key of the right size.
      SecureBytes random(content_key_length(envelope));
      if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) undecryptable();
      return random;
    }
  }
  if (nid != NID_rsaesOaep) {
    throw Error(ErrorCode::unsupported,
                std::string("Unsupported key transport algorithm ") + OBJ_nid2sn(nid));
  }
  const OaepParameters params = oaep_parameters(alg.get());
  return oaep_key_transport(params, recipient, key, keys);
}

// dhSinglePass-stdDH-shaXkdf-scheme (and the cofactor variants, equal on prime curves).
const EVP_MD* kdf_digest(int nid) {
  switch (nid) {
    case NID_dhSinglePass_stdDH_sha1kdf_scheme:
    case NID_dhSinglePass_cofactorDH_sha1kdf_scheme:
      return EVP_sha1();
    case NID_dhSinglePass_stdDH_sha224kdf_scheme:
    case NID_dhSinglePass_cofactorDH_sha224kdf_scheme:
      return EVP_sha224();
    case NID_dhSinglePass_stdDH_sha256kdf_scheme:
    case NID_dhSinglePass_cofactorDH_sha256kdf_scheme:
      return EVP_sha256();
    case NID_dhSinglePass_stdDH_sha384kdf_scheme:
    case NID_dhSinglePass_cofactorDH_sha384kdf_scheme:
      return EVP_sha384();
    case NID_dhSinglePass_stdDH_sha512kdf_scheme:
    case NID_dhSinglePass_cofactorDH_sha512kdf_scheme:
      return EVP_sha512();
    default:
      throw Error(ErrorCode::unsupported,
                  std::string("Unsupported key agreement algorithm ") + OBJ_nid2sn(nid));
  }
}

// ECC-CMS-SharedInfo (RFC 5753 §7.2): the KDF's shared info.
std::vector<unsigned char> shared_info(der::Bytes wrap_algorithm, const KeyRecipient& recipient,
                                       std::size_t kek_bytes) {
  std::vector<unsigned char> body(wrap_algorithm.begin(), wrap_algorithm.end());
  if (recipient.has_ukm) {
    auto ukm = der::encode(0x04, recipient.ukm);
    auto tagged = der::encode(0xA0, ukm);
    body.insert(body.end(), tagged.begin(), tagged.end());
  }
  const auto bits = static_cast<std::uint32_t>(kek_bytes * 8);
  const unsigned char length[4] = {
      static_cast<unsigned char>(bits >> 24), static_cast<unsigned char>(bits >> 16),
      static_cast<unsigned char>(bits >> 8), static_cast<unsigned char>(bits)};
  auto supp = der::encode(0xA2, der::encode(0x04, length));
  body.insert(body.end(), supp.begin(), supp.end());
  return der::encode(0x30, body);
}

EvpPkeyPtr peer_key(const X509* certificate, std::span<const unsigned char> point) {
  // The peer's ephemeral key is on the curve of our certificate's key.
  EVP_PKEY* ours = X509_get0_pubkey(certificate);
  char group[64] = {};
  std::size_t group_length = 0;
  if (ours == nullptr ||
      EVP_PKEY_get_utf8_string_param(ours, "group", group, sizeof group, &group_length) != 1) {
    undecryptable();
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("group", group, 0),
                         OSSL_PARAM_construct_octet_string(
                             "pub", const_cast<unsigned char*>(point.data()), point.size()),
                         OSSL_PARAM_construct_end()};
  EVP_PKEY* peer = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &peer, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
    undecryptable();
  }
  return EvpPkeyPtr(peer);
}

// Natively: the token runs ECDH with the X9.63 KDF itself (pkcs11-provider passes it on).
SecureBytes native_agreement(const OrgKey& key, std::span<const unsigned char> point,
                             const EVP_MD* md, std::vector<unsigned char>& info,
                             std::size_t kek_bytes) {
  EvpPkeyPtr peer = peer_key(key.certificate, point);
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.private_key, nullptr));
  std::size_t length = kek_bytes;
  SecureBytes kek(kek_bytes);
  OpensslBytesPtr ukm(static_cast<unsigned char*>(OPENSSL_memdup(info.data(), info.size())));
  if (!ctx || !ukm || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) <= 0 ||
      EVP_PKEY_CTX_set_ecdh_kdf_type(ctx.get(), EVP_PKEY_ECDH_KDF_X9_63) <= 0 ||
      EVP_PKEY_CTX_set_ecdh_kdf_md(ctx.get(), md) <= 0 ||
      EVP_PKEY_CTX_set_ecdh_kdf_outlen(ctx.get(), static_cast<int>(kek_bytes)) <= 0 ||
      EVP_PKEY_CTX_set0_ecdh_kdf_ukm(ctx.get(), ukm.get(), static_cast<int>(info.size())) <= 0) {
    undecryptable();
  }
  (void)ukm.release();  // owned by the context now
  if (EVP_PKEY_derive(ctx.get(), kek.data(), &length) <= 0 || length != kek_bytes) {
    undecryptable();
  }
  return kek;
}

SecureBytes key_agreement(const KeyRecipient& recipient, const OrgKey& key, KeyStore& keys) {
  if (recipient.originator_point.empty()) {
    throw Error(ErrorCode::unsupported, "Only ephemeral-static ECDH key agreement is supported");
  }
  X509AlgorPtr alg = parse_algorithm(recipient.key_algorithm);
  const EVP_MD* md = kdf_digest(algorithm_nid(alg.get()));
  // The parameter of the key agreement algorithm is the key-wrap AlgorithmIdentifier.
  int type = 0;
  const void* value = nullptr;
  X509_ALGOR_get0(nullptr, &type, &value, alg.get());
  if (type != V_ASN1_SEQUENCE) throw Error(ErrorCode::invalid_input, "The key wrap is missing");
  const auto* wrap_seq = static_cast<const ASN1_STRING*>(value);
  // A SEQUENCE parameter holds its complete DER encoding, tag and length included.
  const std::vector<unsigned char> wrap_der(
      ASN1_STRING_get0_data(wrap_seq),
      ASN1_STRING_get0_data(wrap_seq) + ASN1_STRING_length(wrap_seq));
  X509AlgorPtr wrap_alg = parse_algorithm(wrap_der);
  const EVP_CIPHER* wrap = EVP_get_cipherbynid(algorithm_nid(wrap_alg.get()));
  if (wrap == nullptr || EVP_CIPHER_get_mode(wrap) != EVP_CIPH_WRAP_MODE) {
    throw Error(ErrorCode::unsupported, "Unsupported key wrap algorithm");
  }
  const auto kek_bytes = static_cast<std::size_t>(EVP_CIPHER_get_key_length(wrap));
  std::vector<unsigned char> info = shared_info(wrap_der, recipient, kek_bytes);

  SecureBytes kek;
  if (keys.native_support().ecdh_kdf) {
    kek = native_agreement(key, recipient.originator_point, md, info, kek_bytes);
  } else {
    SecureBytes z = keys.derive_ecdh_raw(key.key_id, recipient.originator_point);
    kek = x963_kdf(z, md, info, kek_bytes);
  }

  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) undecryptable();
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  SecureBytes cek(recipient.encrypted_key.size());
  int n = 0;
  int final_n = 0;
  if (EVP_DecryptInit_ex2(ctx.get(), wrap, kek.data(), nullptr, nullptr) != 1 ||
      EVP_DecryptUpdate(ctx.get(), cek.data(), &n, recipient.encrypted_key.data(),
                        static_cast<int>(recipient.encrypted_key.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), cek.data() + n, &final_n) != 1) {
    undecryptable();
  }
  cek.resize(static_cast<std::size_t>(n) + static_cast<std::size_t>(final_n));
  return cek;
}

}  // namespace

SecureBytes recover_content_key(const Envelope& envelope, const KeyRecipient& recipient,
                                const OrgKey& key, KeyStore& keys) {
  switch (recipient.kind) {
    case KeyRecipient::Kind::key_transport:
      return key_transport(envelope, recipient, key, keys);
    case KeyRecipient::Kind::key_agreement:
      return key_agreement(recipient, key, keys);
    case KeyRecipient::Kind::other:
      break;
  }
  throw Error(ErrorCode::unsupported, "Unsupported recipient info type");
}

}  // namespace smime::engine::cms
