// Decoding of private key files with OSSL_DECODER. The work around the decoder exists to
// give a user a precise reason when a file is rejected: OpenSSL reports every failure as
// "unsupported" from its last decoder attempt, which says nothing useful.
#include "smime/common/private_key_decoder.hpp"

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <climits>
#include <string>
#include <string_view>
#include <vector>

#include "smime/common/error.hpp"
#include "smime/common/pem.hpp"

namespace smime {
namespace {

constexpr const char* kNotAKey =
    "Not a private key. Accepted formats: PEM or DER PKCS#1 (RSA PRIVATE KEY), PKCS#8 "
    "(PRIVATE KEY), SEC1 (EC PRIVATE KEY) or encrypted PKCS#8 (ENCRYPTED PRIVATE KEY)";
constexpr const char* kPassphraseRequired =
    "The private key is encrypted; a passphrase is required";
constexpr const char* kPassphraseWrong = "The passphrase for the private key is wrong";

// Decoders and encoders come from OpenSSL's built-in providers only: the result must be a
// software key we can read the components of, never an object of pkcs11-provider (which is
// loaded into the same library context).
constexpr const char* kSoftwareProviders = "provider=default";

std::string_view as_text(std::span<const unsigned char> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Where the key is inside the input and whether it is encrypted.
struct KeySource {
  std::span<const unsigned char> der;  // DER input as it was given
  bool encrypted = false;
  SecureText pem;  // or the key's PEM block, put back together by the scanner

  std::span<const unsigned char> bytes() const {
    return pem.empty() ? der
                       : std::span<const unsigned char>(
                             reinterpret_cast<const unsigned char*>(pem.data()), pem.size());
  }
};

bool ends_with_private_key(std::string_view label) {
  return label.ends_with("PRIVATE KEY");
}

// True when der is exactly one EncryptedPrivateKeyInfo whose algorithm is a PBE scheme
// (PBES2 or a PKCS#12/PKCS#5 v1 PBE). X509_SIG has the same shape as the PKCS#8 structure.
bool is_encrypted_pkcs8_der(std::span<const unsigned char> der) {
  if (der.empty() || der.size() > static_cast<std::size_t>(LONG_MAX)) {
    return false;
  }
  const unsigned char* p = der.data();
  ERR_set_mark();  // a failed parse is an answer here, not an error to report
  X509SigPtr sig(d2i_X509_SIG(nullptr, &p, static_cast<long>(der.size())));
  ERR_pop_to_mark();
  if (!sig || p != der.data() + der.size()) {
    return false;
  }
  const X509_ALGOR* algorithm = nullptr;
  const ASN1_OCTET_STRING* ciphertext = nullptr;
  X509_SIG_get0(sig.get(), &algorithm, &ciphertext);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, algorithm);
  const int nid = OBJ_obj2nid(oid);
  return nid == NID_pbes2 || EVP_PBE_find(EVP_PBE_TYPE_OUTER, nid, nullptr, nullptr, nullptr) == 1;
}

// Checks the armour and structure of an encrypted PEM block, so that a damaged file is
// reported as such and not as a wrong passphrase: an "ENCRYPTED PRIVATE KEY" body must be an
// EncryptedPrivateKeyInfo; a traditional "Proc-Type: 4,ENCRYPTED" body must name a known
// cipher and fill whole cipher blocks.
bool encrypted_pem_block_is_intact(std::string_view block, bool traditional) {
  BioPtr bio(BIO_new_mem_buf(block.data(), static_cast<int>(block.size())));
  if (!bio) {
    throw_openssl(ErrorCode::internal, "Cannot allocate a memory BIO");
  }
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;
  ERR_set_mark();  // a damaged block is an answer here, not an error to report
  const int ok = PEM_read_bio(bio.get(), &name, &header, &data, &length);
  // Ciphertext only: nothing here needs wiping.
  OpensslCharsPtr name_owner(name);
  OpensslCharsPtr header_owner(header);
  OpensslBytesPtr data_owner(data);
  bool intact = ok == 1 && length > 0;
  if (intact && traditional) {
    EVP_CIPHER_INFO cipher{};
    intact = PEM_get_EVP_CIPHER_INFO(header, &cipher) == 1 && cipher.cipher != nullptr &&
             length % EVP_CIPHER_get_block_size(cipher.cipher) == 0;
  } else if (intact) {
    intact = is_encrypted_pkcs8_der({data, static_cast<std::size_t>(length)});
  }
  ERR_pop_to_mark();
  return intact;
}

KeySource locate_key(std::span<const unsigned char> input) {
  const std::string_view text = as_text(input);
  if (text.find("-----BEGIN ") == std::string_view::npos) {
    return {input, is_encrypted_pkcs8_der(input), {}};
  }
  // A PEM file may carry certificates or "EC PARAMETERS" next to the key; the decoder only
  // looks at the first block, so hand it just the key block (a complete one).
  const PemBlock* key_block = nullptr;
  const std::vector<PemBlock> blocks = scan_pem(text);
  for (const PemBlock& block : blocks) {
    if (!block.complete || !ends_with_private_key(block.label)) {
      continue;
    }
    if (key_block != nullptr) {
      // Importing one of several keys at random would be worse than refusing.
      throw Error(ErrorCode::invalid_input,
                  "The input contains more than one private key; supply exactly one");
    }
    key_block = &block;
  }
  if (key_block == nullptr) {
    throw Error(ErrorCode::invalid_input, kNotAKey);
  }
  KeySource source;
  source.pem = key_block->text();
  const std::string_view pem(source.pem.data(), source.pem.size());
  // Traditional OpenSSL encryption ("openssl genrsa -aes256") exists in PEM only.
  const bool traditional = pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos;
  source.encrypted = traditional || key_block->label == "ENCRYPTED PRIVATE KEY";
  if (source.encrypted && !encrypted_pem_block_is_intact(pem, traditional)) {
    throw Error(ErrorCode::invalid_input, kNotAKey);
  }
  return source;
}

// Refuses any request for a passphrase, so that OpenSSL never falls back to prompting.
int no_passphrase(char* /*buf*/, size_t /*size*/, size_t* /*len*/, const OSSL_PARAM* /*params*/,
                  void* /*arg*/) {
  return 0;
}

// Returns null when the decoder found no key; the reasons stay in the error queue.
EvpPkeyPtr run_decoder(std::span<const unsigned char> bytes, const SecretString* passphrase) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return nullptr;
  }
  EVP_PKEY* raw = nullptr;
  OsslDecoderCtxPtr ctx(OSSL_DECODER_CTX_new_for_pkey(
      &raw, nullptr, nullptr, nullptr, EVP_PKEY_KEYPAIR, nullptr, kSoftwareProviders));
  if (!ctx) {
    throw_openssl(ErrorCode::internal, "Cannot create an OpenSSL key decoder");
  }
  const bool passphrase_set =
      passphrase != nullptr
          ? OSSL_DECODER_CTX_set_passphrase(
                ctx.get(), reinterpret_cast<const unsigned char*>(passphrase->data()),
                passphrase->size()) == 1
          : OSSL_DECODER_CTX_set_passphrase_cb(ctx.get(), no_passphrase, nullptr) == 1;
  if (!passphrase_set) {
    throw_openssl(ErrorCode::internal, "Cannot configure the key decoder");
  }

  BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  if (!bio) {
    throw_openssl(ErrorCode::internal, "Cannot allocate a memory BIO");
  }
  const bool decoded = OSSL_DECODER_from_bio(ctx.get(), bio.get()) == 1;
  EvpPkeyPtr key(raw);
  if (!decoded) {
    return nullptr;
  }
  return key;
}

// The decoder selection is a request, not a guarantee (OpenSSL 3.0 honours it, but nothing
// promises that): make sure the private half is really there before it goes to a token.
bool has_private_component(const EVP_PKEY* key) {
  ERR_set_mark();
  bool found = false;
  BIGNUM* component = nullptr;
  const char* name = EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS")
                         ? OSSL_PKEY_PARAM_RSA_D
                         : OSSL_PKEY_PARAM_PRIV_KEY;
  if (EVP_PKEY_get_bn_param(key, name, &component) == 1) {
    SecretBignumPtr owner(component);
    found = true;
  } else {
    // Ed25519/X25519 and friends keep the private key as an octet string; asking for its size
    // is enough.
    std::size_t length = 0;
    found =
        EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PRIV_KEY, nullptr, 0, &length) == 1 &&
        length > 0;
  }
  ERR_pop_to_mark();
  return found;
}

void require_supported(const EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    return;
  }
  if (!EVP_PKEY_is_a(key, "EC")) {
    const char* name = EVP_PKEY_get0_type_name(key);
    throw Error(ErrorCode::unsupported, std::string("Unsupported private key type ") +
                                            (name != nullptr ? name : "(unknown)") +
                                            ": only RSA and EC keys are accepted");
  }
  char group[80] = {};
  std::size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                     &length) != 1) {
    throw_openssl(ErrorCode::unsupported,
                  "Unsupported EC private key with explicit curve parameters: only the named "
                  "curves P-256, P-384 and P-521 are accepted");
  }
  const int nid = OBJ_txt2nid(group);
  if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1 && nid != NID_secp521r1) {
    throw Error(ErrorCode::unsupported, std::string("Unsupported EC curve ") + group +
                                            ": only P-256, P-384 and P-521 are accepted");
  }
}

}  // namespace

EvpPkeyPtr decode_private_key(std::span<const unsigned char> input,
                              const SecretString* passphrase) {
  if (input.empty()) {
    throw Error(ErrorCode::invalid_input, kNotAKey);
  }
  const KeySource source = locate_key(input);
  // An empty passphrase is treated as none: encode_encrypted_pkcs8 never produces such keys.
  const bool have_passphrase = passphrase != nullptr && !passphrase->empty();
  if (source.encrypted && !have_passphrase) {
    throw Error(ErrorCode::bad_passphrase, kPassphraseRequired);
  }

  // Decoding tries many decoders and leaves their failures queued even on success.
  ERR_set_mark();
  EvpPkeyPtr key = run_decoder(source.bytes(), have_passphrase ? passphrase : nullptr);
  if (!key) {
    ERR_clear_last_mark();
    // A well-formed encrypted key that does not decrypt: neither PBES2 nor the traditional
    // PEM encryption has an integrity check, so the passphrase is the likely cause. (A
    // traditional body damaged in whole cipher blocks cannot be told apart from it.)
    if (source.encrypted) {
      throw_openssl(ErrorCode::bad_passphrase, kPassphraseWrong);
    }
    throw_openssl(ErrorCode::invalid_input, kNotAKey);
  }
  ERR_pop_to_mark();

  if (!has_private_component(key.get())) {
    throw Error(ErrorCode::invalid_input, kNotAKey);
  }
  require_supported(key.get());
  return key;
}

std::string encode_encrypted_pkcs8(const EVP_PKEY* key, const SecretString& passphrase) {
  if (key == nullptr) {
    throw Error(ErrorCode::internal, "encode_encrypted_pkcs8: no key");
  }
  if (passphrase.empty()) {
    throw Error(ErrorCode::invalid_input, "A non-empty passphrase is required to export a key");
  }
  OsslEncoderCtxPtr ctx(OSSL_ENCODER_CTX_new_for_pkey(
      key, EVP_PKEY_KEYPAIR, "PEM", "EncryptedPrivateKeyInfo", kSoftwareProviders));
  if (!ctx || OSSL_ENCODER_CTX_get_num_encoders(ctx.get()) == 0) {
    throw_openssl(ErrorCode::unsupported, "This key cannot be written as encrypted PKCS#8");
  }
  if (OSSL_ENCODER_CTX_set_cipher(ctx.get(), "AES-256-CBC", nullptr) != 1 ||
      OSSL_ENCODER_CTX_set_passphrase(ctx.get(),
                                      reinterpret_cast<const unsigned char*>(passphrase.data()),
                                      passphrase.size()) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot configure the encrypted PKCS#8 encoder");
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) {
    throw_openssl(ErrorCode::internal, "Cannot allocate a memory BIO");
  }
  if (OSSL_ENCODER_to_bio(ctx.get(), bio.get()) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot write the key as encrypted PKCS#8");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(length)};
}

}  // namespace smime
