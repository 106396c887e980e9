// CSRs and self-signed certificates for S/MIME keys, and self-signed TLS server certificates,
// for keys whose private half may live in a token.
// Only the signature is made with signing_key; everything that goes into the request or
// certificate about the key comes from the software public_key, and the result is checked
// against public_key before it is handed out.
#include "smime/provisioning/certificate_builder.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <initializer_list>
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

// rfc822Name and dNSName are IA5Strings; these names need printable ASCII without spaces.
bool printable_ascii(const std::string& text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) return false;
  }
  return true;
}

// One '@', no empty domain labels.
void validate_email(const std::string& email) {
  if (!printable_ascii(email)) {
    reject_email(email, "spaces, control and non-ASCII characters not allowed");
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

struct AltName {
  int type;  // GEN_EMAIL, GEN_DNS, GEN_IPADD
  std::string value;
};

X509ExtensionPtr subject_alt_name(const std::vector<AltName>& alt_names) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) {
    throw_openssl(ErrorCode::crypto, "Cannot allocate subjectAltName");
  }
  for (const AltName& alt : alt_names) {
    GeneralNamePtr name(
        a2i_GENERAL_NAME(nullptr, nullptr, nullptr, alt.type, alt.value.c_str(), 0));
    if (!name || sk_GENERAL_NAME_push(names.get(), name.get()) == 0) {
      throw_openssl(ErrorCode::crypto, "Cannot add '" + alt.value + "' to subjectAltName");
    }
    static_cast<void>(name.release());  // the stack owns it now
  }
  return encode(NID_subject_alt_name, false, names.get(), "subjectAltName");
}

std::vector<AltName> email_names(const std::vector<std::string>& emails) {
  std::vector<AltName> names;
  names.reserve(emails.size());
  for (const std::string& email : emails) names.push_back({GEN_EMAIL, email});
  return names;
}

bool is_ip_address(const std::string& name) {
  ERR_set_mark();  // not an address is an answer here, not an error
  Asn1OctetStringPtr address(a2i_IPADDRESS(name.c_str()));
  ERR_pop_to_mark();
  return address != nullptr;
}

// dNSName for a host name, iPAddress for IPv4 or IPv6 text.
std::vector<AltName> server_names(const std::vector<std::string>& hosts) {
  std::vector<AltName> names;
  for (const std::string& host : hosts) {
    if (host.empty() || !printable_ascii(host)) {
      throw Error(ErrorCode::invalid_input,
                  "Invalid TLS server name '" + host +
                      "': a host name or IP address in printable ASCII without spaces");
    }
    names.push_back({is_ip_address(host) ? GEN_IPADD : GEN_DNS, host});
  }
  return names;
}

constexpr int kDigitalSignature = 0;
constexpr int kKeyEncipherment = 2;
constexpr int kKeyAgreement = 4;

X509ExtensionPtr key_usage(std::initializer_list<int> usage_bits) {
  Asn1BitStringPtr bits(ASN1_BIT_STRING_new());
  if (!bits) {
    throw_openssl(ErrorCode::crypto, "Cannot build keyUsage");
  }
  for (int bit : usage_bits) {
    if (ASN1_BIT_STRING_set_bit(bits.get(), bit, 1) != 1) {
      throw_openssl(ErrorCode::crypto, "Cannot build keyUsage");
    }
  }
  return encode(NID_key_usage, true, bits.get(), "keyUsage");
}

// S/MIME: RSA keys wrap content-encryption keys (keyEncipherment); EC keys agree on them (ECDH).
X509ExtensionPtr smime_key_usage(KeyKind kind) {
  return key_usage({kDigitalSignature, kind == KeyKind::rsa ? kKeyEncipherment : kKeyAgreement});
}

// TLS: the handshake signature (ECDHE); an RSA key may also be used for RSA key exchange.
X509ExtensionPtr tls_key_usage(KeyKind kind) {
  if (kind == KeyKind::rsa) return key_usage({kDigitalSignature, kKeyEncipherment});
  return key_usage({kDigitalSignature});
}

X509ExtensionPtr extended_key_usage(int purpose_nid) {
  ExtKeyUsagePtr usages(EXTENDED_KEY_USAGE_new());
  // OBJ_nid2obj hands out a static object; freeing the stack leaves it alone.
  if (!usages || sk_ASN1_OBJECT_push(usages.get(), OBJ_nid2obj(purpose_nid)) == 0) {
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

// Key usage, extended key usage and subjectAltName: what a profile says about the key's use.
X509ExtensionsPtr usage_extensions(X509ExtensionPtr key_usage_extension, int purpose_nid,
                                   const std::vector<AltName>& alt_names) {
  X509ExtensionsPtr extensions(sk_X509_EXTENSION_new_null());
  if (!extensions) {
    throw_openssl(ErrorCode::crypto, "Cannot allocate extensions");
  }
  std::vector<X509ExtensionPtr> usage;
  usage.push_back(std::move(key_usage_extension));
  usage.push_back(extended_key_usage(purpose_nid));
  if (!alt_names.empty()) usage.push_back(subject_alt_name(alt_names));
  for (X509ExtensionPtr& ext : usage) {
    if (sk_X509_EXTENSION_push(extensions.get(), ext.get()) == 0) {
      throw_openssl(ErrorCode::crypto, "Cannot collect extensions");
    }
    static_cast<void>(ext.release());  // the stack owns it now
  }
  return extensions;
}

// Extensions common to the S/MIME CSR and certificate.
X509ExtensionsPtr smime_extensions(const SmimeIdentity& identity, KeyKind kind) {
  return usage_extensions(smime_key_usage(kind), NID_email_protect, email_names(identity.emails));
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

namespace {

void check_days(int days) {
  if (days < 1 || days > kMaxDays) {
    throw Error(ErrorCode::invalid_input, "The validity must be 1 to " + std::to_string(kMaxDays) +
                                              " days, not " + std::to_string(days));
  }
}

void add_extension(X509* certificate, X509_EXTENSION* extension) {
  if (X509_add_ext(certificate, extension, -1) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot add an extension to the certificate");
  }
}

// What every self-signed end-entity certificate has besides its usage extensions: version 3,
// a random serial, issuer = subject, the validity, basicConstraints CA:FALSE and the key
// identifiers; signed with signing_key and checked against public_key.
X509Ptr self_signed(const X509_NAME* subject, EVP_PKEY* public_key, EVP_PKEY* signing_key,
                    const X509_EXTENSIONS* usage, long not_before_seconds, int days, KeyKind kind) {
  Asn1IntegerPtr serial = random_serial();
  X509Ptr certificate(X509_new());
  if (!certificate || X509_set_version(certificate.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(certificate.get(), serial.get()) != 1 ||
      X509_set_subject_name(certificate.get(), subject) != 1 ||
      X509_set_issuer_name(certificate.get(), subject) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(certificate.get()), not_before_seconds) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(certificate.get()), days, 0, nullptr) == nullptr ||
      X509_set_pubkey(certificate.get(), public_key) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot build the certificate");
  }

  Asn1OctetStringPtr key_id = key_identifier(certificate.get());
  add_extension(certificate.get(), basic_constraints_end_entity().get());
  add_extension(
      certificate.get(),
      encode(NID_subject_key_identifier, false, key_id.get(), "subjectKeyIdentifier").get());
  add_extension(certificate.get(), authority_key_identifier(key_id.get()).get());
  for (int i = 0; i < sk_X509_EXTENSION_num(usage); ++i) {
    add_extension(certificate.get(), sk_X509_EXTENSION_value(usage, i));
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

X509NamePtr tls_subject(const TlsServerIdentity& identity) {
  X509NamePtr subject(X509_NAME_new());
  if (!subject) throw_openssl(ErrorCode::crypto, "Cannot allocate the subject");
  const std::string common_name =
      identity.names.empty() ? std::string("smimed") : identity.names.front();
  const auto add = [&](const char* field, const std::string& value) {
    if (X509_NAME_add_entry_by_txt(subject.get(), field, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                   0) != 1) {
      throw_openssl(ErrorCode::invalid_input, std::string("Cannot use ") + field + "=" + value);
    }
  };
  add("CN", common_name);
  if (!identity.organization.empty()) add("O", identity.organization);
  return subject;
}

}  // namespace

X509Ptr build_self_signed(const SmimeIdentity& identity, EVP_PKEY* public_key,
                          EVP_PKEY* signing_key, int days) {
  check_days(days);
  validate(identity, public_key, signing_key);
  const KeyKind kind = kind_of(public_key);
  X509NamePtr subject = subject_name_for(identity);
  X509ExtensionsPtr extensions = smime_extensions(identity, kind);
  return self_signed(subject.get(), public_key, signing_key, extensions.get(), 0, days, kind);
}

X509Ptr build_tls_server_certificate(const TlsServerIdentity& identity, EVP_PKEY* public_key,
                                     EVP_PKEY* signing_key, int days) {
  check_days(days);
  if (public_key == nullptr || signing_key == nullptr) {
    throw Error(ErrorCode::invalid_input, "A public key and a signing key are required");
  }
  const KeyKind kind = kind_of(public_key);
  X509ExtensionsPtr extensions =
      usage_extensions(tls_key_usage(kind), NID_server_auth, server_names(identity.names));
  X509NamePtr subject = tls_subject(identity);
  constexpr long kClockSkewSeconds = -3600;  // valid for clients whose clock is a little behind
  return self_signed(subject.get(), public_key, signing_key, extensions.get(), kClockSkewSeconds,
                     days, kind);
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
