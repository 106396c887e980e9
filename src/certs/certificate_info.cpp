// What the store records about a certificate (SPEC §5): fingerprints, names, serial, key
// identifiers, SAN emails, validity, key type and usages.
#include "smime/certs/certificate_info.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <algorithm>
#include <cctype>
#include <unordered_set>
#include <utility>

#include "smime/common/error.hpp"
#include "smime/common/hex.hpp"
#include "smime/common/text.hpp"

namespace smime::certs {
namespace {

std::string digest_hex(const X509* certificate, const EVP_MD* md) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(certificate, md, digest, &length) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot compute the certificate fingerprint");
  }
  return to_hex({digest, length});
}

std::string octets_hex(const ASN1_OCTET_STRING* octets) {
  if (octets == nullptr) return {};
  return to_hex(
      {ASN1_STRING_get0_data(octets), static_cast<std::size_t>(ASN1_STRING_length(octets))});
}

// rfc822Name entries only: SPEC §6 counts the SAN, never the subject's emailAddress.
std::vector<std::string> san_emails(const X509* certificate) {
  std::vector<std::string> emails;
  std::unordered_set<std::string> seen;  // linear: a SAN may hold 100,000 entries
  for (const std::string& raw : rfc822_names(certificate)) {
    std::string email = ascii_lower(raw);
    if (!email.empty() && seen.insert(email).second) emails.push_back(std::move(email));
  }
  return emails;
}

struct KeyDescription {
  std::string algorithm;
  int bits = 0;
  std::string curve;
};

std::string curve_name(const EVP_PKEY* key) {
  char group[80] = {};
  std::size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                     &length) != 1) {
    ERR_clear_error();
    return {};
  }
  // "prime256v1" -> "P-256"; curves without a NIST name keep OpenSSL's name.
  const int nid = OBJ_txt2nid(group);
  const char* nist = nid == NID_undef ? nullptr : EC_curve_nid2nist(nid);
  return nist != nullptr ? nist : group;
}

KeyDescription describe_key(const X509* certificate) {
  KeyDescription out;
  const EVP_PKEY* key = X509_get0_pubkey(certificate);
  if (key == nullptr) {
    // An algorithm OpenSSL cannot load: name it by its OID.
    ERR_clear_error();
    ASN1_OBJECT* algorithm = nullptr;
    X509_PUBKEY_get0_param(&algorithm, nullptr, nullptr, nullptr,
                           X509_get_X509_PUBKEY(certificate));
    char text[128] = "unknown";
    if (algorithm != nullptr) OBJ_obj2txt(text, sizeof text, algorithm, 0);
    out.algorithm = text;
    return out;
  }
  out.bits = EVP_PKEY_get_bits(key);
  if (EVP_PKEY_is_a(key, "RSA")) {
    out.algorithm = "RSA";
  } else if (EVP_PKEY_is_a(key, "EC")) {
    out.algorithm = "EC";
    out.curve = curve_name(key);
  } else {
    const char* name = EVP_PKEY_get0_type_name(key);
    out.algorithm = name != nullptr ? name : "unknown";
  }
  return out;
}

constexpr std::pair<std::uint32_t, const char*> kKeyUsageNames[] = {
    {KU_DIGITAL_SIGNATURE, "digitalSignature"},
    {KU_NON_REPUDIATION, "nonRepudiation"},
    {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
    {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
    {KU_KEY_AGREEMENT, "keyAgreement"},
    {KU_KEY_CERT_SIGN, "keyCertSign"},
    {KU_CRL_SIGN, "cRLSign"},
    {KU_ENCIPHER_ONLY, "encipherOnly"},
    {KU_DECIPHER_ONLY, "decipherOnly"},
};

std::vector<std::string> key_usage_names(const X509* certificate) {
  std::vector<std::string> names;
  // X509_get_key_usage reports "everything allowed" when the extension is absent.
  if ((X509_get_extension_flags(const_cast<X509*>(certificate)) & EXFLAG_KUSAGE) == 0) {
    return names;
  }
  const std::uint32_t bits = X509_get_key_usage(const_cast<X509*>(certificate));
  for (const auto& [bit, name] : kKeyUsageNames) {
    if ((bits & bit) != 0) names.emplace_back(name);
  }
  return names;
}

std::string eku_name(const ASN1_OBJECT* object) {
  switch (OBJ_obj2nid(object)) {
    case NID_server_auth:
      return "serverAuth";
    case NID_client_auth:
      return "clientAuth";
    case NID_code_sign:
      return "codeSigning";
    case NID_email_protect:
      return "emailProtection";
    case NID_time_stamp:
      return "timeStamping";
    case NID_OCSP_sign:
      return "OCSPSigning";
    case NID_anyExtendedKeyUsage:
      return "anyExtendedKeyUsage";
    default:
      break;
  }
  char text[128] = {};
  OBJ_obj2txt(text, sizeof text, object, 1);
  return text;
}

std::vector<std::string> extended_key_usage_names(const X509* certificate) {
  std::vector<std::string> names;
  ExtKeyUsagePtr usages(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(certificate, NID_ext_key_usage, nullptr, nullptr)));
  if (!usages) return names;
  for (int i = 0; i < sk_ASN1_OBJECT_num(usages.get()); ++i) {
    names.push_back(eku_name(sk_ASN1_OBJECT_value(usages.get(), i)));
  }
  return names;
}

bool basic_constraints_ca(const X509* certificate) {
  BasicConstraintsPtr constraints(static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(certificate, NID_basic_constraints, nullptr, nullptr)));
  return constraints && constraints->ca != 0;
}

bool contains(const std::vector<std::string>& list, const char* value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

std::vector<std::string> rfc822_names(const X509* certificate) {
  std::vector<std::string> out;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_EMAIL) continue;
    const ASN1_IA5STRING* value = name->d.rfc822Name;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                     static_cast<std::size_t>(ASN1_STRING_length(value)));
  }
  return out;
}

std::string one_line_name(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // Without ESC_MSB, UTF-8 characters print as themselves instead of \C3\A9 escapes.
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    throw_openssl(ErrorCode::crypto, "Cannot print a distinguished name");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(length)};
}

std::string serial_hex(const ASN1_INTEGER* serial) {
  BignumPtr number(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!number) throw_openssl(ErrorCode::invalid_input, "The serial number cannot be read");
  OpensslCharsPtr hex(BN_bn2hex(number.get()));
  if (!hex) throw_openssl(ErrorCode::crypto, "Cannot print a serial number");
  return ascii_lower(hex.get());
}

std::int64_t unix_time(const ASN1_TIME* time) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) {
    throw_openssl(ErrorCode::invalid_input, "A certificate time field cannot be read");
  }
  return static_cast<std::int64_t>(timegm(&parts));
}

std::string sha256_fingerprint(const X509* certificate) {
  return digest_hex(certificate, EVP_sha256());
}

CertificateDescription describe_certificate(const X509* certificate) {
  CertificateDescription record;
  unsigned char* der = nullptr;
  const int der_length = i2d_X509(certificate, &der);
  if (der_length <= 0) throw_openssl(ErrorCode::crypto, "Cannot encode the certificate");
  OpensslBytesPtr der_owner(der);
  record.der.assign(der, der + der_length);

  record.sha256 = digest_hex(certificate, EVP_sha256());
  record.sha1 = digest_hex(certificate, EVP_sha1());
  record.subject = one_line_name(X509_get_subject_name(certificate));
  record.issuer = one_line_name(X509_get_issuer_name(certificate));
  record.serial = serial_hex(X509_get0_serialNumber(certificate));
  record.subject_key_id = octets_hex(X509_get0_subject_key_id(const_cast<X509*>(certificate)));
  record.authority_key_id = octets_hex(X509_get0_authority_key_id(const_cast<X509*>(certificate)));
  record.emails = san_emails(certificate);
  record.not_before = unix_time(X509_get0_notBefore(certificate));
  record.not_after = unix_time(X509_get0_notAfter(certificate));

  KeyDescription key = describe_key(certificate);
  record.key_algorithm = std::move(key.algorithm);
  record.key_bits = key.bits;
  record.curve = std::move(key.curve);

  record.key_usages = key_usage_names(certificate);
  record.extended_key_usages = extended_key_usage_names(certificate);
  record.is_ca = basic_constraints_ca(certificate);

  const bool has_key_usage =
      (X509_get_extension_flags(const_cast<X509*>(certificate)) & EXFLAG_KUSAGE) != 0;
  if (has_key_usage) {
    record.can_sign = contains(record.key_usages, "digitalSignature") ||
                      contains(record.key_usages, "nonRepudiation");
  } else {
    record.can_sign = record.is_ca;  // a CA without Key Usage is not restricted
  }
  record.can_encrypt =
      (record.key_algorithm == "RSA" && contains(record.key_usages, "keyEncipherment")) ||
      (record.key_algorithm == "EC" && contains(record.key_usages, "keyAgreement"));
  return record;
}

Validity validity_at(std::int64_t not_before, std::int64_t not_after, std::time_t now) {
  const auto at = static_cast<std::int64_t>(now);
  if (at < not_before) return Validity::not_yet_valid;
  if (at > not_after) return Validity::expired;
  return Validity::valid;
}

const char* to_string(Validity validity) {
  switch (validity) {
    case Validity::valid:
      return "valid";
    case Validity::expired:
      return "expired";
    case Validity::not_yet_valid:
      return "not_yet_valid";
  }
  return "valid";
}

X509Ptr parse_der_certificate(const std::vector<unsigned char>& der) {
  const unsigned char* cursor = der.data();
  X509Ptr certificate(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
  if (!certificate) throw_openssl(ErrorCode::invalid_input, "The data is not a DER certificate");
  if (cursor != der.data() + der.size()) {
    throw Error(ErrorCode::invalid_input, "The DER certificate is followed by extra bytes");
  }
  return certificate;
}

}  // namespace smime::certs
