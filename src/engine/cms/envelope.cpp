#include "envelope.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include <algorithm>

#include "der.hpp"
#include "legacy_ciphers.hpp"
#include "smime/certs/certificate_info.hpp"
#include "smime/common/error.hpp"
#include "smime/common/hex.hpp"
#include "smime/common/release_pages.hpp"

namespace smime::engine::cms {
namespace {

using der::Bytes;
using der::kContext;
using der::kUniversal;

std::vector<unsigned char> copy(Bytes b) {
  return {b.begin(), b.end()};
}

RecipientId issuer_and_serial(const der::Element& sequence) {
  der::Reader r(sequence.content);
  RecipientId id;
  id.issuer_der = copy(r.expect(kUniversal, der::kSequence, "an issuer name").whole);
  id.serial = copy(r.expect(kUniversal, der::kInteger, "a serial number").content);
  return id;
}

KeyRecipient key_transport(const der::Element& ktri) {
  der::Reader r(ktri.content);
  r.expect(kUniversal, der::kInteger, "a version");
  KeyRecipient k;
  k.kind = KeyRecipient::Kind::key_transport;
  if (auto ias = r.next_if(kUniversal, der::kSequence)) {
    k.id = issuer_and_serial(*ias);
  } else {
    k.id.subject_key_id = copy(r.expect(kContext, 0, "a recipient identifier").content);
  }
  k.key_algorithm = copy(r.expect(kUniversal, der::kSequence, "a key algorithm").whole);
  k.encrypted_key = copy(r.expect(kUniversal, der::kOctetString, "an encrypted key").content);
  return k;
}

void check_recipient_count(const std::vector<KeyRecipient>& recipients, std::size_t max) {
  if (recipients.size() > max) {
    throw_limit_exceeded("The number of RecipientInfos in the message", max, "recipient_infos");
  }
}

// One KeyRecipient per RecipientEncryptedKey, each with the shared originator data.
void key_agreement(const der::Element& kari, std::vector<KeyRecipient>& out,
                   std::size_t max_recipients) {
  der::Reader r(kari.content);
  r.expect(kUniversal, der::kInteger, "a version");
  KeyRecipient shared;
  shared.kind = KeyRecipient::Kind::key_agreement;
  der::Reader originator(r.expect(kContext, 0, "an originator").content);
  // Only originatorKey [1] (ephemeral-static, RFC 5753) is in use by S/MIME clients.
  if (auto key = originator.next_if(kContext, 1)) {
    der::Reader pk(key->content);
    shared.originator_algorithm = copy(pk.expect(kUniversal, der::kSequence, "an algorithm").whole);
    Bytes bits = pk.expect(kUniversal, der::kBitString, "a public key").content;
    if (bits.empty() || bits[0] != 0) {
      throw Error(ErrorCode::invalid_input, "The originator public key is malformed");
    }
    shared.originator_point = copy(bits.subspan(1));
  }
  if (auto ukm = r.next_if(kContext, 1)) {
    der::Reader inner(ukm->content);
    shared.ukm = copy(inner.expect(kUniversal, der::kOctetString, "user keying material").content);
    shared.has_ukm = true;
  }
  shared.key_algorithm = copy(r.expect(kUniversal, der::kSequence, "a key algorithm").whole);
  der::Reader keys(r.expect(kUniversal, der::kSequence, "recipient encrypted keys").content);
  while (!keys.empty()) {
    der::Reader rek(keys.expect(kUniversal, der::kSequence, "a recipient encrypted key").content);
    KeyRecipient k = shared;
    if (auto ias = rek.next_if(kUniversal, der::kSequence)) {
      k.id = issuer_and_serial(*ias);
    } else {
      der::Reader rkey(rek.expect(kContext, 0, "a recipient key identifier").content);
      k.id.subject_key_id = copy(rkey.expect(kUniversal, der::kOctetString, "a key id").content);
    }
    k.encrypted_key = copy(rek.expect(kUniversal, der::kOctetString, "an encrypted key").content);
    out.push_back(std::move(k));
    check_recipient_count(out, max_recipients);
  }
}

std::vector<unsigned char> to_der(CMS_ContentInfo* cms) {
  unsigned char* raw = nullptr;
  const int n = i2d_CMS_ContentInfo(cms, &raw);
  if (n <= 0) throw_openssl(ErrorCode::invalid_input, "The CMS structure cannot be encoded");
  OpensslBytesPtr owner(raw);
  return {raw, raw + n};
}

X509AlgorPtr algorithm(const std::vector<unsigned char>& der) {
  const unsigned char* p = der.data();
  X509AlgorPtr alg(d2i_X509_ALGOR(nullptr, &p, static_cast<long>(der.size())));
  if (!alg) throw_openssl(ErrorCode::invalid_input, "An algorithm identifier is malformed");
  return alg;
}

// A SEQUENCE parameter of the content algorithm (its complete DER), e.g. RC2CBCParameter.
Bytes sequence_parameter(const X509_ALGOR* alg) {
  int param_type = 0;
  const void* param = nullptr;
  X509_ALGOR_get0(nullptr, &param_type, &param, alg);
  if (param_type != V_ASN1_SEQUENCE) {
    throw Error(ErrorCode::invalid_input, "The content cipher has no parameters");
  }
  const auto* string = static_cast<const ASN1_STRING*>(param);
  return {ASN1_STRING_get0_data(string), static_cast<std::size_t>(ASN1_STRING_length(string))};
}

// The ciphertext is decrypted (and released) in pieces of this size.
constexpr std::size_t kDecryptPiece = std::size_t{1} << 20;

[[noreturn]] void undecryptable() {
  drain_openssl_errors();
  throw Error(ErrorCode::crypto, "The message could not be decrypted");
}

// Bytes at the end of the ciphertext that are never released: CBC holds its last block back
// until the padding is checked, and a failed layer must be able to put it back.
constexpr std::size_t kKeptTail = 32;

// EVP_DecryptUpdate over `input` in pieces, into `plain`, reserved once and written as it grows
// (a zero-filled 25 MB buffer would be resident before the first byte is decrypted). With
// `release`, each piece of the ciphertext is handed back once decrypted. plain.size() is what
// was decrypted, also when this throws.
void decrypt_pieces(EVP_CIPHER_CTX* ctx, std::span<unsigned char> input, bool release,
                    std::string& plain) {
  plain.reserve(input.size() + 32);
  const std::size_t releasable = input.size() > kKeptTail ? input.size() - kKeptTail : 0;
  for (std::size_t pos = 0; pos < input.size();) {
    const std::size_t piece = std::min(kDecryptPiece, input.size() - pos);
    const std::size_t total = plain.size();
    plain.resize(total + piece + 32);
    int n = 0;
    if (EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(plain.data()) + total, &n,
                          input.data() + pos, static_cast<int>(piece)) != 1) {
      plain.resize(total);
      undecryptable();
    }
    plain.resize(total + static_cast<std::size_t>(n));
    pos += piece;
    if (release) release_pages(reinterpret_cast<char*>(input.data()), std::min(pos, releasable));
  }
}

struct ContentCipher {
  const EVP_CIPHER* cipher = nullptr;
  bool gcm = false;
  std::vector<unsigned char> iv;
  std::size_t tag_length = 12;
};

// A context set up with the content cipher, key and IV, to decrypt or to encrypt.
EvpCipherCtxPtr cipher_context(const ContentCipher& c, const SecureBytes& key, bool encrypt) {
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  const int enc = encrypt ? 1 : 0;
  if (!ctx || EVP_CipherInit_ex2(ctx.get(), c.cipher, nullptr, nullptr, enc, nullptr) != 1) {
    undecryptable();
  }
  if (c.gcm) {
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(c.iv.size()),
                            nullptr) != 1) {
      undecryptable();
    }
  } else if (c.iv.size() != static_cast<std::size_t>(EVP_CIPHER_get_iv_length(c.cipher))) {
    undecryptable();
  }
  if (EVP_CipherInit_ex2(ctx.get(), nullptr, key.data(), c.iv.data(), enc, nullptr) != 1) {
    undecryptable();
  }
  return ctx;
}

// Writes back the ciphertext whose pages decrypt_pieces released: encrypting what was decrypted
// with the same key and IV gives the same bytes, whatever the key was (CBC and GCM are
// permutations under any one key), so a layer that failed can be given back exactly or tried
// with the next key.
void put_back_ciphertext(const ContentCipher& c, const SecureBytes& key, std::string_view plain,
                         std::span<unsigned char> input) {
  EvpCipherCtxPtr ctx = cipher_context(c, key, /*encrypt=*/true);
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);  // only whole blocks were decrypted (CBC)
  int n = 0;
  if (plain.size() > input.size() ||
      EVP_EncryptUpdate(ctx.get(), input.data(), &n,
                        reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) != 1 ||
      static_cast<std::size_t>(n) != plain.size()) {
    drain_openssl_errors();
    throw Error(ErrorCode::internal, "The released ciphertext could not be written back");
  }
}

}  // namespace

bool RecipientId::matches(const X509* certificate) const {
  if (!subject_key_id.empty()) {
    const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(const_cast<X509*>(certificate));
    return ski != nullptr &&
           static_cast<std::size_t>(ASN1_STRING_length(ski)) == subject_key_id.size() &&
           std::equal(subject_key_id.begin(), subject_key_id.end(), ASN1_STRING_get0_data(ski));
  }
  const unsigned char* p = issuer_der.data();
  X509NamePtr issuer(d2i_X509_NAME(nullptr, &p, static_cast<long>(issuer_der.size())));
  if (!issuer || X509_NAME_cmp(issuer.get(), X509_get_issuer_name(certificate)) != 0) return false;
  // `serial` holds the DER content octets (with the leading 00 of a serial whose high bit is
  // set); OpenSSL keeps the magnitude only, so compare as integers.
  const std::vector<unsigned char> encoded = der::encode(0x02, serial);
  const unsigned char* q = encoded.data();
  Asn1IntegerPtr number(d2i_ASN1_INTEGER(nullptr, &q, static_cast<long>(encoded.size())));
  return number && ASN1_INTEGER_cmp(number.get(), X509_get0_serialNumber(certificate)) == 0;
}

std::string RecipientId::issuer_text() const {
  if (issuer_der.empty()) return {};
  const unsigned char* p = issuer_der.data();
  X509NamePtr issuer(d2i_X509_NAME(nullptr, &p, static_cast<long>(issuer_der.size())));
  return issuer ? certs::one_line_name(issuer.get()) : std::string{};
}

std::string RecipientId::serial_hex() const {
  if (serial.empty()) return {};
  const std::vector<unsigned char> encoded = der::encode(0x02, serial);
  const unsigned char* p = encoded.data();
  Asn1IntegerPtr number(d2i_ASN1_INTEGER(nullptr, &p, static_cast<long>(encoded.size())));
  return number ? certs::serial_hex(number.get()) : to_hex(serial);
}

namespace {

struct TopLevel {
  int type = NID_undef;
  der::Reader content{{}};  // the [0] EXPLICIT content of the ContentInfo
};

TopLevel read_content_info(Bytes der) {
  der::Reader top(der);
  der::Reader content_info(top.expect(kUniversal, der::kSequence, "a content info").content);
  const der::Element oid = content_info.expect(kUniversal, der::kOid, "a content type");
  const unsigned char* p = oid.whole.data();
  Asn1ObjectPtr object(d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(oid.whole.size())));
  TopLevel out;
  out.type = object ? OBJ_obj2nid(object.get()) : NID_undef;
  out.content = der::Reader(content_info.expect(kContext, 0, "content").content);
  return out;
}

}  // namespace

int der_content_type(std::span<const unsigned char> der) {
  try {
    return read_content_info(der).type;
  } catch (const Error&) {
    return NID_undef;
  }
}

Envelope read_envelope(CMS_ContentInfo* cms, std::size_t max_recipients) {
  const int type = OBJ_obj2nid(CMS_get0_type(cms));
  if (type != NID_pkcs7_enveloped && type != NID_id_smime_ct_authEnvelopedData) {
    throw Error(ErrorCode::invalid_input, "The CMS structure is not enveloped data");
  }
  std::vector<unsigned char> encoded = to_der(cms);
  Envelope out = read_envelope_der(encoded, max_recipients);
  if (out.storage.empty()) {
    // The content still points into `encoded`: keep it (moving a vector keeps its buffer).
    out.storage = std::move(encoded);
  }
  return out;
}

Envelope read_envelope_der(std::span<unsigned char> der, std::size_t max_recipients) {
  TopLevel top = read_content_info(der);
  if (top.type != NID_pkcs7_enveloped && top.type != NID_id_smime_ct_authEnvelopedData) {
    throw Error(ErrorCode::invalid_input, "The CMS structure is not enveloped data");
  }
  der::Reader env(top.content.expect(kUniversal, der::kSequence, "enveloped data").content);

  Envelope out;
  out.authenticated = top.type == NID_id_smime_ct_authEnvelopedData;
  env.expect(kUniversal, der::kInteger, "a version");
  env.next_if(kContext, 0);  // originatorInfo: certificates we do not need
  der::Reader infos(env.expect(kUniversal, der::kSet, "recipient infos").content);
  while (!infos.empty()) {
    der::Element ri = infos.next();
    if (ri.tag_class == kUniversal && ri.tag == der::kSequence) {
      out.recipients.push_back(key_transport(ri));
    } else if (ri.tag_class == kContext && ri.tag == 1) {
      key_agreement(ri, out.recipients, max_recipients);
    } else {
      out.recipients.push_back(KeyRecipient{});  // KEK, password or other: not ours
    }
    check_recipient_count(out.recipients, max_recipients);
  }
  der::Reader eci(env.expect(kUniversal, der::kSequence, "encrypted content info").content);
  out.content_type = copy(eci.expect(kUniversal, der::kOid, "a content type").whole);
  out.content_algorithm = copy(eci.expect(kUniversal, der::kSequence, "an algorithm").whole);
  if (auto primitive = eci.next_if(kContext, 0)) {
    if (primitive->constructed) {
      // A constructed [0]: concatenated OCTET STRING segments.
      der::Reader segments(primitive->content);
      while (!segments.empty()) {
        Bytes part = segments.expect(kUniversal, der::kOctetString, "content").content;
        out.storage.insert(out.storage.end(), part.begin(), part.end());
      }
      out.encrypted_content = out.storage;
    } else {
      const auto offset = static_cast<std::size_t>(primitive->content.data() - der.data());
      out.encrypted_content = der.subspan(offset, primitive->content.size());
    }
  } else {
    throw Error(ErrorCode::invalid_input, "The encrypted content is detached (not in the message)");
  }
  if (out.authenticated) {
    if (auto attrs = env.next_if(kContext, 1)) {
      // RFC 5083 §2.1: the AAD is the DER of authAttrs with an explicit SET OF tag.
      out.auth_attributes = der::encode(0x31, attrs->content);
    }
    out.mac =
        copy(env.expect(kUniversal, der::kOctetString, "a message authentication code").content);
  }
  return out;
}

std::size_t content_key_length(const Envelope& envelope) {
  X509AlgorPtr alg = algorithm(envelope.content_algorithm);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, alg.get());
  const int nid = OBJ_obj2nid(oid);
  if (is_legacy_content_cipher(nid)) {
    return legacy_content_key_length(nid, sequence_parameter(alg.get()));
  }
  const EVP_CIPHER* cipher = EVP_get_cipherbynid(nid);
  if (cipher == nullptr) {
    throw Error(ErrorCode::unsupported, "The message is encrypted with an unsupported cipher");
  }
  return static_cast<std::size_t>(EVP_CIPHER_get_key_length(cipher));
}

namespace {

// The content cipher of a non-legacy content algorithm, checked against the content type and
// the key.
ContentCipher content_cipher(const Envelope& envelope, const X509_ALGOR* alg, int nid,
                             const SecureBytes& content_key) {
  ContentCipher c;
  c.cipher = EVP_get_cipherbynid(nid);
  if (c.cipher == nullptr) {
    throw Error(ErrorCode::unsupported, "The message is encrypted with an unsupported cipher");
  }
  c.gcm = EVP_CIPHER_get_mode(c.cipher) == EVP_CIPH_GCM_MODE;
  if (c.gcm != envelope.authenticated) {
    throw Error(ErrorCode::unsupported, "The content cipher does not fit the content type");
  }
  int param_type = 0;
  const void* param = nullptr;
  X509_ALGOR_get0(nullptr, &param_type, &param, alg);
  if (param_type != V_ASN1_SEQUENCE && param_type != V_ASN1_OCTET_STRING) {
    throw Error(ErrorCode::invalid_input, "The content cipher has no parameters");
  }
  const auto* param_string = static_cast<const ASN1_STRING*>(param);
  Bytes param_bytes(ASN1_STRING_get0_data(param_string),
                    static_cast<std::size_t>(ASN1_STRING_length(param_string)));
  if (c.gcm) {
    // GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen INTEGER DEFAULT 12 }
    if (param_type != V_ASN1_SEQUENCE) undecryptable();
    // A SEQUENCE parameter holds its complete DER encoding, tag and length included.
    der::Reader outer(param_bytes);
    der::Reader gcm_params(outer.expect(kUniversal, der::kSequence, "GCM parameters").content);
    c.iv = copy(gcm_params.expect(kUniversal, der::kOctetString, "a GCM nonce").content);
    if (auto icv = gcm_params.next_if(kUniversal, der::kInteger)) {
      if (icv->content.size() != 1) undecryptable();
      c.tag_length = icv->content[0];
    }
    if (c.tag_length < 12 || c.tag_length > 16 || envelope.mac.size() != c.tag_length) {
      undecryptable();
    }
  } else {
    if (param_type != V_ASN1_OCTET_STRING) undecryptable();
    c.iv = copy(param_bytes);  // an OCTET STRING parameter holds just the content octets
  }
  if (content_key.size() != static_cast<std::size_t>(EVP_CIPHER_get_key_length(c.cipher))) {
    undecryptable();
  }
  return c;
}

// The AAD, the ciphertext and the tag or padding, into `plain`.
void run_decryption(EVP_CIPHER_CTX* ctx, const ContentCipher& c, const Envelope& envelope,
                    bool release, std::string& plain) {
  int n = 0;
  if (c.gcm && !envelope.auth_attributes.empty() &&
      EVP_DecryptUpdate(ctx, nullptr, &n, envelope.auth_attributes.data(),
                        static_cast<int>(envelope.auth_attributes.size())) != 1) {
    undecryptable();
  }
  decrypt_pieces(ctx, envelope.encrypted_content, release, plain);
  if (c.gcm && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(c.tag_length),
                                   const_cast<unsigned char*>(envelope.mac.data())) != 1) {
    undecryptable();
  }
  const std::size_t total = plain.size();
  plain.resize(total + 32);
  const int final_ok =
      EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(plain.data()) + total, &n);
  plain.resize(total + (final_ok == 1 ? static_cast<std::size_t>(n) : 0));
  if (final_ok != 1) undecryptable();
}

}  // namespace

std::string decrypt_content(const Envelope& envelope, const SecureBytes& content_key,
                            bool release) {
  X509AlgorPtr alg = algorithm(envelope.content_algorithm);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, alg.get());
  const int nid = OBJ_obj2nid(oid);
  if (is_legacy_content_cipher(nid)) {
    // RC2 (incoming only), in a library context of its own (legacy_ciphers.hpp).
    if (envelope.authenticated) {
      throw Error(ErrorCode::unsupported, "The content cipher does not fit the content type");
    }
    return decrypt_legacy_content(nid, sequence_parameter(alg.get()), content_key,
                                  envelope.encrypted_content);
  }
  const ContentCipher c = content_cipher(envelope, alg.get(), nid, content_key);
  EvpCipherCtxPtr ctx = cipher_context(c, content_key, /*encrypt=*/false);
  std::string plain;
  try {
    run_decryption(ctx.get(), c, envelope, release, plain);
  } catch (const Error&) {
    if (release) put_back_ciphertext(c, content_key, plain, envelope.encrypted_content);
    OPENSSL_cleanse(plain.data(), plain.size());
    throw;
  }
  return plain;
}

}  // namespace smime::engine::cms
