// CSRs and self-signed certificates for S/MIME keys whose private half may live in a token.
// Only the signature is made with signing_key; everything that goes into the request or
// certificate about the key comes from the software public_key, and the result is checked
// against public_key before it is handed out.
#include "smime/provisioning/certificate_builder.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <string_view>

#include "smime/common/error.hpp"

namespace smime::provisioning {
namespace {

constexpr int kMaxDays = 3650;
constexpr int kSerialBits = 128;

enum class KeyKind { rsa, ec };

KeyKind kind_of(const EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    return KeyKind::rsa;
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    return KeyKind::ec;
  }
  const char* type = EVP_PKEY_get0_type_name(key);
  throw Error(ErrorCode::unsupported,
              std::string("S/MIME certificates need an RSA or EC key, not ") +
                  (type != nullptr ? type : "this key type"));
}

[[noreturn]] void reject_email(const std::string& email, const std::string& why) {
  throw Error(ErrorCode::invalid_input,
              "Invalid email address '" + email + "': " + why + " (expected local@domain)");
}

// rfc822Name is an IA5String: printable ASCII only, one '@', no empty domain labels.
void validate_email(const std::string& email) {
  for (char c : email) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) {
      reject_email(email, "spaces, control and non-ASCII characters not allowed");
    }
  }
  const auto at = email.find('@');
  if (at == std::string::npos || at != email.rfind('@')) {
    reject_email(email, "needs exactly one '@'");
  }
  const std::string_view domain = std::string_view(email).substr(at + 1);
  if (at == 0) {
    reject_email(email, "empty local part");
  }
  if (domain.empty()) {
    reject_email(email, "empty domain");
  }
  if (domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string::npos) {
    reject_email(email, "empty label in the domain");
  }
}

void validate(const SmimeIdentity& identity, const EVP_PKEY* public_key,
              const EVP_PKEY* signing_key) {
  if (public_key == nullptr || signing_key == nullptr) {
    throw Error(ErrorCode::invalid_input, "A public key and a signing key are required");
  }
  if (identity.emails.empty()) {
    throw Error(ErrorCode::invalid_input, "An S/MIME certificate needs at least one email address");
  }
  for (const std::string& email : identity.emails) {
    validate_email(email);
  }
}

X509ExtensionPtr encode(int nid, bool critical, void* value, const char* what) {
  X509ExtensionPtr ext(X509V3_EXT_i2d(nid, critical ? 1 : 0, value));
  if (!ext) {
    throw_openssl(ErrorCode::crypto, std::string("Cannot encode ") + what);
  }
  return ext;
}

X509ExtensionPtr subject_alt_name(const std::vector<std::string>& emails) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) {
    throw_openssl(ErrorCode::crypto, "Cannot allocate subjectAltName");
  }
  for (const std::string& email : emails) {
    GeneralNamePtr name(a2i_GENERAL_NAME(nullptr, nullptr, nullptr, GEN_EMAIL, email.c_str(), 0));
    if (!name || sk_GENERAL_NAME_push(names.get(), name.get()) == 0) {
      throw_openssl(ErrorCode::crypto, "Cannot add '" + email + "' to subjectAltName");
    }
    static_cast<void>(name.release());  // the stack owns it now
  }
  return encode(NID_subject_alt_name, false, names.get(), "subjectAltName");
}

// RSA keys wrap content-encryption keys (keyEncipherment); EC keys agree on them (ECDH).
X509ExtensionPtr key_usage(KeyKind kind) {
  constexpr int kDigitalSignature = 0;
  constexpr int kKeyEncipherment = 2;
  constexpr int kKeyAgreement = 4;
  Asn1BitStringPtr bits(ASN1_BIT_STRING_new());
  if (!bits || ASN1_BIT_STRING_set_bit(bits.get(), kDigitalSignature, 1) != 1 ||
      ASN1_BIT_STRING_set_bit(bits.get(), kind == KeyKind::rsa ? kKeyEncipherment : kKeyAgreement,
                              1) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot build keyUsage");
  }
  return encode(NID_key_usage, true, bits.get(), "keyUsage");
}

X509ExtensionPtr extended_key_usage() {
  ExtKeyUsagePtr usages(EXTENDED_KEY_USAGE_new());
  // OBJ_nid2obj hands out a static object; freeing the stack leaves it alone.
  if (!usages || sk_ASN1_OBJECT_push(usages.get(), OBJ_nid2obj(NID_email_protect)) == 0) {
    throw_openssl(ErrorCode::crypto, "Cannot build extendedKeyUsage");
  }
  return encode(NID_ext_key_usage, false, usages.get(), "extendedKeyUsage");
}

X509ExtensionPtr basic_constraints_end_entity() {
  BasicConstraintsPtr constraints(BASIC_CONSTRAINTS_new());
  if (!constraints) {
    throw_openssl(ErrorCode::crypto, "Cannot build basicConstraints");
  }
  constraints->ca = 0;
  return encode(NID_basic_constraints, true, constraints.get(), "basicConstraints");
}

// SHA-1 of the subjectPublicKey bits: RFC 5280 method (1), what OpenSSL calls "hash".
Asn1OctetStringPtr key_identifier(const X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  Asn1OctetStringPtr id(ASN1_OCTET_STRING_new());
  if (!id || X509_pubkey_digest(certificate, EVP_sha1(), digest, &length) != 1 ||
      ASN1_OCTET_STRING_set(id.get(), digest, static_cast<int>(length)) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot compute the key identifier");
  }
  return id;
}

// OpenSSL's "authorityKeyIdentifier=keyid" leaves the extension out of self-signed
// certificates, so the keyid is filled in by hand: issuer and subject key are the same.
X509ExtensionPtr authority_key_identifier(const ASN1_OCTET_STRING* key_id) {
  AuthorityKeyIdPtr authority(AUTHORITY_KEYID_new());
  if (!authority || (authority->keyid = ASN1_OCTET_STRING_dup(key_id)) == nullptr) {
    throw_openssl(ErrorCode::crypto, "Cannot build authorityKeyIdentifier");
  }
  return encode(NID_authority_key_identifier, false, authority.get(), "authorityKeyIdentifier");
}

// Extensions common to the CSR and the certificate.
X509ExtensionsPtr smime_extensions(const SmimeIdentity& identity, KeyKind kind) {
  X509ExtensionsPtr extensions(sk_X509_EXTENSION_new_null());
  if (!extensions) {
    throw_openssl(ErrorCode::crypto, "Cannot allocate extensions");
  }
  X509ExtensionPtr common[] = {key_usage(kind), extended_key_usage(),
                               subject_alt_name(identity.emails)};
  for (X509ExtensionPtr& ext : common) {
    if (sk_X509_EXTENSION_push(extensions.get(), ext.get()) == 0) {
      throw_openssl(ErrorCode::crypto, "Cannot collect extensions");
    }
    static_cast<void>(ext.release());  // the stack owns it now
  }
  return extensions;
}

// Digest-sign context for any key, including a pkcs11-provider one: the provider is found
// through the key, nothing here needs the private half in memory.
EvpMdCtxPtr signing_context(EVP_PKEY* signing_key, const EVP_MD* md, KeyKind kind) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pkey_ctx = nullptr;  // owned by ctx
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), &pkey_ctx, EVP_MD_get0_name(md), nullptr, nullptr,
                                    signing_key, nullptr) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot start signing with the key");
  }
  // PKCS#1 v1.5: what S/MIME clients expect in a certificate signature.
  if (kind == KeyKind::rsa && EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) <= 0) {
    throw_openssl(ErrorCode::crypto, "Cannot select PKCS#1 v1.5 padding");
  }
  return ctx;
}

Asn1IntegerPtr random_serial() {
  BignumPtr value(BN_new());
  if (!value) {
    throw_openssl(ErrorCode::crypto, "Cannot allocate a serial number");
  }
  do {
    if (BN_rand(value.get(), kSerialBits, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
      throw_openssl(ErrorCode::crypto, "No randomness for a serial number");
    }
  } while (BN_is_zero(value.get()));  // serials must be positive
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(value.get(), nullptr));
  if (!serial) {
    throw_openssl(ErrorCode::crypto, "Cannot encode the serial number");
  }
  return serial;
}

bool is_p384(const EVP_PKEY* key) {
  char group[80] = {};
  std::size_t length = 0;
  ERR_set_mark();  // a provider that cannot name the group is not an error here
  const bool named = EVP_PKEY_get_group_name(key, group, sizeof group, &length) == 1;
  ERR_pop_to_mark();
  if (named) {
    const std::string_view name(group, length);
    return name == SN_secp384r1 || name == "P-384";
  }
  return EVP_PKEY_get_bits(key) == 384;
}

}  // namespace

const EVP_MD* digest_for(const EVP_PKEY* key) {
  if (key == nullptr) {
    throw Error(ErrorCode::internal, "digest_for needs a key");
  }
  if (EVP_PKEY_is_a(key, "EC") && is_p384(key)) {
    return EVP_sha384();
  }
  return EVP_sha256();
}

X509ReqPtr build_csr(const SmimeIdentity& identity, EVP_PKEY* public_key, EVP_PKEY* signing_key) {
  validate(identity, public_key, signing_key);
  const KeyKind kind = kind_of(public_key);
  X509NamePtr subject = subject_name_for(identity);
  X509ExtensionsPtr extensions = smime_extensions(identity, kind);

  X509ReqPtr request(X509_REQ_new());
  if (!request || X509_REQ_set_version(request.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(request.get(), subject.get()) != 1 ||
      X509_REQ_set_pubkey(request.get(), public_key) != 1 ||
      X509_REQ_add_extensions(request.get(), extensions.get()) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot build the certificate request");
  }
  EvpMdCtxPtr ctx = signing_context(signing_key, digest_for(public_key), kind);
  if (X509_REQ_sign_ctx(request.get(), ctx.get()) <= 0) {
    throw_openssl(ErrorCode::crypto, "Cannot sign the certificate request");
  }
  // A token that signs with the wrong key or produces garbage must not yield a CSR a CA
  // would reject later (or, worse, accept for a key we do not hold).
  if (X509_REQ_verify(request.get(), public_key) != 1) {
    throw_openssl(ErrorCode::crypto,
                  "The signature on the certificate request does not verify with the public key");
  }
  return request;
}

X509Ptr build_self_signed(const SmimeIdentity& identity, EVP_PKEY* public_key,
                          EVP_PKEY* signing_key, int days) {
  if (days < 1 || days > kMaxDays) {
    throw Error(ErrorCode::invalid_input, "The validity must be 1 to " + std::to_string(kMaxDays) +
                                              " days, not " + std::to_string(days));
  }
  validate(identity, public_key, signing_key);
  const KeyKind kind = kind_of(public_key);
  X509NamePtr subject = subject_name_for(identity);
  X509ExtensionsPtr extensions = smime_extensions(identity, kind);
  Asn1IntegerPtr serial = random_serial();

  X509Ptr certificate(X509_new());
  if (!certificate || X509_set_version(certificate.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(certificate.get(), serial.get()) != 1 ||
      X509_set_subject_name(certificate.get(), subject.get()) != 1 ||
      X509_set_issuer_name(certificate.get(), subject.get()) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(certificate.get()), 0) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(certificate.get()), days, 0, nullptr) == nullptr ||
      X509_set_pubkey(certificate.get(), public_key) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot build the certificate");
  }

  Asn1OctetStringPtr key_id = key_identifier(certificate.get());
  X509ExtensionPtr own[] = {
      basic_constraints_end_entity(),
      encode(NID_subject_key_identifier, false, key_id.get(), "subjectKeyIdentifier"),
      authority_key_identifier(key_id.get()),
  };
  for (const X509ExtensionPtr& ext : own) {
    if (X509_add_ext(certificate.get(), ext.get(), -1) != 1) {
      throw_openssl(ErrorCode::crypto, "Cannot add an extension to the certificate");
    }
  }
  for (int i = 0; i < sk_X509_EXTENSION_num(extensions.get()); ++i) {
    if (X509_add_ext(certificate.get(), sk_X509_EXTENSION_value(extensions.get(), i), -1) != 1) {
      throw_openssl(ErrorCode::crypto, "Cannot add an extension to the certificate");
    }
  }

  EvpMdCtxPtr ctx = signing_context(signing_key, digest_for(public_key), kind);
  if (X509_sign_ctx(certificate.get(), ctx.get()) <= 0) {
    throw_openssl(ErrorCode::crypto, "Cannot sign the certificate");
  }
  if (X509_verify(certificate.get(), public_key) != 1) {
    throw_openssl(ErrorCode::crypto,
                  "The signature on the certificate does not verify with the public key");
  }
  return certificate;
}

std::string to_pem(const X509_REQ* request) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), request) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot write the certificate request as PEM");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

std::string to_pem(const X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot write the certificate as PEM");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

std::vector<unsigned char> to_der(const X509* certificate) {
  const int length = i2d_X509(certificate, nullptr);
  if (length <= 0) {
    throw_openssl(ErrorCode::crypto, "Cannot encode the certificate as DER");
  }
  std::vector<unsigned char> der(static_cast<std::size_t>(length));
  unsigned char* out = der.data();
  if (i2d_X509(certificate, &out) != length) {
    throw_openssl(ErrorCode::crypto, "Cannot encode the certificate as DER");
  }
  return der;
}

}  // namespace smime::provisioning
