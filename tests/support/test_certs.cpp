#include "support/test_certs.hpp"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "smime/common/error.hpp"
#include "support/test_keys.hpp"

namespace smime::test {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return {data, static_cast<std::size_t>(length)};
}

BioPtr memory_bio() {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) throw_openssl(ErrorCode::internal, "BIO_new failed");
  return bio;
}

std::vector<unsigned char> bytes_of(const std::string& text) {
  return {text.begin(), text.end()};
}

// EdDSA signs the message itself: no separate digest.
const EVP_MD* digest_for(const EVP_PKEY* signer) {
  return EVP_PKEY_is_a(signer, "ED25519") || EVP_PKEY_is_a(signer, "ED448") ? nullptr
                                                                            : EVP_sha256();
}

void add_name_entry(X509_NAME* name, const char* field, const std::string& value) {
  if (value.empty()) return;
  if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1) {
    throw_openssl(ErrorCode::internal, std::string("Cannot add ") + field + " to the subject");
  }
}

void set_serial(X509* cert, std::uint64_t serial) {
  BignumPtr number(BN_new());
  const bool ok =
      number && (serial != 0 ? BN_set_word(number.get(), serial) == 1
                             : BN_rand(number.get(), 63, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1);
  if (!ok || BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(cert)) == nullptr) {
    throw_openssl(ErrorCode::internal, "Cannot set the serial number");
  }
}

void add_conf_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) {
    throw_openssl(ErrorCode::internal,
                  std::string("Cannot add ") + OBJ_nid2sn(nid) + " = " + value);
  }
}

void add_general_name(GENERAL_NAMES* names, int type, const std::string& value) {
  Asn1StringPtr text(ASN1_IA5STRING_new());
  GeneralNamePtr name(GENERAL_NAME_new());
  if (!text || !name ||
      ASN1_STRING_set(text.get(), value.data(), static_cast<int>(value.size())) != 1) {
    throw_openssl(ErrorCode::internal, "Cannot build a subjectAltName entry");
  }
  GENERAL_NAME_set0_value(name.get(), type, text.release());
  if (sk_GENERAL_NAME_push(names, name.get()) <= 0) {
    throw_openssl(ErrorCode::internal, "Cannot build the subjectAltName");
  }
  name.release();
}

void add_subject_alt_name(X509* cert, const CertificateSpec& spec) {
  if (spec.emails.empty() && spec.dns_names.empty()) return;
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) throw_openssl(ErrorCode::internal, "GENERAL_NAMES_new failed");
  for (const auto& email : spec.emails) add_general_name(names.get(), GEN_EMAIL, email);
  for (const auto& dns : spec.dns_names) add_general_name(names.get(), GEN_DNS, dns);
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    throw_openssl(ErrorCode::internal, "Cannot add the subjectAltName");
  }
}

void add_extensions(X509* cert, const CertificateSpec& spec) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509* issuer = spec.issuer != nullptr ? const_cast<X509*>(spec.issuer) : cert;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  if (spec.is_ca) {
    add_conf_extension(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE");
  } else if (spec.basic_constraints) {
    add_conf_extension(cert, &ctx, NID_basic_constraints, "CA:FALSE");
  }
  if (!spec.key_usages.empty()) {
    add_conf_extension(cert, &ctx, NID_key_usage, "critical," + join(spec.key_usages));
  }
  if (!spec.extended_key_usages.empty()) {
    add_conf_extension(cert, &ctx, NID_ext_key_usage, join(spec.extended_key_usages));
  }
  add_subject_alt_name(cert, spec);
  if (!spec.crl_urls.empty()) {
    std::vector<std::string> uris;
    for (const auto& url : spec.crl_urls) uris.push_back("URI:" + url);
    add_conf_extension(cert, &ctx, NID_crl_distribution_points, join(uris));
  }
  if (!spec.ocsp_urls.empty()) {
    std::vector<std::string> access;
    for (const auto& url : spec.ocsp_urls) access.push_back("OCSP;URI:" + url);
    add_conf_extension(cert, &ctx, NID_info_access, join(access));
  }
  if (!spec.smime_capabilities.empty()) {
    Asn1OctetStringPtr data(ASN1_OCTET_STRING_new());
    X509ExtensionPtr extension(
        data && ASN1_OCTET_STRING_set(data.get(), spec.smime_capabilities.data(),
                                      static_cast<int>(spec.smime_capabilities.size())) == 1
            ? X509_EXTENSION_create_by_NID(nullptr, NID_SMIMECapabilities, 0, data.get())
            : nullptr);
    if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) {
      throw_openssl(ErrorCode::internal, "test: SMIMECapabilities extension");
    }
  }
  // SKI first: a self-signed certificate's AKI is computed from it. OpenSSL 3.0 writes an
  // empty AKI for a self-signed certificate unless told "always", and libksba (gpgsm) rejects
  // an empty AKI as a BER error.
  add_conf_extension(cert, &ctx, NID_subject_key_identifier, "hash");
  add_conf_extension(cert, &ctx, NID_authority_key_identifier,
                     spec.issuer != nullptr ? "keyid" : "keyid:always");
}

}  // namespace

CertificateSpec CertificateSpec::smime(const std::string& email, const std::string& key_kind) {
  CertificateSpec spec;
  spec.common_name = email;
  spec.emails = {email};
  spec.key_kind = key_kind;
  if (key_kind.starts_with("ec-")) spec.key_usages = {"digitalSignature", "keyAgreement"};
  return spec;
}

CertificateSpec CertificateSpec::authority(const std::string& common_name,
                                           const std::string& key_kind) {
  CertificateSpec spec;
  spec.common_name = common_name;
  spec.emails.clear();
  spec.key_kind = key_kind;
  spec.key_usages = {"keyCertSign", "cRLSign"};
  spec.extended_key_usages.clear();
  spec.is_ca = true;
  spec.not_after_days = 3650;
  return spec;
}

IssuedCertificate issue_certificate(const CertificateSpec& spec) {
  if (spec.issuer != nullptr && spec.issuer_key == nullptr) {
    throw std::invalid_argument("issue_certificate: an issuer needs issuer_key");
  }
  IssuedCertificate out;
  if (spec.key != nullptr) {
    EVP_PKEY_up_ref(spec.key);
    out.key.reset(spec.key);
  } else {
    out.key = generate_software_key(spec.key_kind);
  }
  out.cert.reset(X509_new());
  X509* cert = out.cert.get();
  if (cert == nullptr || X509_set_version(cert, X509_VERSION_3) != 1) {
    throw_openssl(ErrorCode::internal, "X509_new failed");
  }
  set_serial(cert, spec.serial);

  X509_NAME* subject = X509_get_subject_name(cert);
  add_name_entry(subject, "O", spec.organization);
  add_name_entry(subject, "CN", spec.common_name);
  add_name_entry(subject, "emailAddress", spec.subject_email);
  const X509_NAME* issuer_name =
      spec.issuer != nullptr ? X509_get_subject_name(spec.issuer) : subject;

  std::time_t base = spec.base_time != 0 ? spec.base_time : std::time(nullptr);
  const bool filled =
      X509_set_issuer_name(cert, issuer_name) == 1 &&
      X509_time_adj_ex(X509_getm_notBefore(cert), spec.not_before_days, 0, &base) != nullptr &&
      X509_time_adj_ex(X509_getm_notAfter(cert), spec.not_after_days, 0, &base) != nullptr &&
      X509_set_pubkey(cert, out.key.get()) == 1;
  if (!filled) throw_openssl(ErrorCode::internal, "Cannot fill in the test certificate");

  add_extensions(cert, spec);
  EVP_PKEY* signer = spec.issuer_key != nullptr ? spec.issuer_key : out.key.get();
  if (X509_sign(cert, signer, digest_for(signer)) <= 0) {
    throw_openssl(ErrorCode::internal, "Cannot sign the test certificate");
  }
  return out;
}

std::string pem(const X509* certificate) {
  return pem_certificate(certificate);
}

std::vector<unsigned char> der(const X509* certificate) {
  return der_certificate(certificate);
}

std::string pem_bundle(const std::vector<const X509*>& certificates) {
  std::string out;
  for (const X509* cert : certificates) out += pem(cert);
  return out;
}

std::string pem_trusted(const X509* certificate) {
  X509Ptr copy(X509_dup(certificate));
  BioPtr bio = memory_bio();
  if (!copy || X509_add1_trust_object(copy.get(), OBJ_nid2obj(NID_email_protect)) != 1 ||
      PEM_write_bio_X509_AUX(bio.get(), copy.get()) != 1) {
    throw_openssl(ErrorCode::internal, "Cannot write a TRUSTED CERTIFICATE");
  }
  return bio_text(bio.get());
}

std::vector<unsigned char> pkcs7_certs_only(const std::vector<const X509*>& certificates,
                                            bool pem) {
  // What `openssl crl2pkcs7 -nocrl` writes: SignedData, no content, no signers.
  Pkcs7Ptr p7(PKCS7_new());
  if (!p7 || PKCS7_set_type(p7.get(), NID_pkcs7_signed) != 1) {
    throw_openssl(ErrorCode::internal, "Cannot create a PKCS#7 structure");
  }
  p7->d.sign->contents->type = OBJ_nid2obj(NID_pkcs7_data);
  for (const X509* cert : certificates) {
    if (PKCS7_add_certificate(p7.get(), const_cast<X509*>(cert)) != 1) {
      throw_openssl(ErrorCode::internal, "Cannot add a certificate to PKCS#7");
    }
  }
  BioPtr bio = memory_bio();
  const int written =
      pem ? PEM_write_bio_PKCS7(bio.get(), p7.get()) : i2d_PKCS7_bio(bio.get(), p7.get());
  if (written != 1) throw_openssl(ErrorCode::internal, "Cannot write PKCS#7");
  return bytes_of(bio_text(bio.get()));
}

std::vector<unsigned char> pkcs12(const X509* cert, const EVP_PKEY* key,
                                  const std::vector<const X509*>& ca, const char* passphrase,
                                  bool with_mac, bool encrypted) {
  X509StackPtr chain(sk_X509_new_null());
  if (!chain) throw_openssl(ErrorCode::internal, "sk_X509_new_null failed");
  for (const X509* extra : ca) {
    X509_up_ref(const_cast<X509*>(extra));
    X509Ptr reference(const_cast<X509*>(extra));
    if (sk_X509_push(chain.get(), reference.get()) <= 0) {
      throw_openssl(ErrorCode::internal, "Cannot build the PKCS#12 CA list");
    }
    reference.release();  // the stack owns it now
  }
  // nid 0 / iter 0: OpenSSL 3's defaults (PBES2 AES-256-CBC, SHA-256 MAC); -1: none.
  const int nid = encrypted ? 0 : -1;
  Pkcs12Ptr p12(PKCS12_create(passphrase != nullptr ? passphrase : "", "test",
                              const_cast<EVP_PKEY*>(key), const_cast<X509*>(cert), chain.get(), nid,
                              nid, 0, with_mac ? 0 : -1, 0));
  BioPtr bio = memory_bio();
  if (!p12 || i2d_PKCS12_bio(bio.get(), p12.get()) != 1) {
    throw_openssl(ErrorCode::internal, "Cannot create the PKCS#12 file");
  }
  return bytes_of(bio_text(bio.get()));
}

std::vector<unsigned char> issue_crl(const IssuedCertificate& ca,
                                     const std::vector<std::pair<const X509*, int>>& revoked,
                                     int next_update_days, bool pem, long crl_number,
                                     int this_update_minutes_ago) {
  const std::time_t now = std::time(nullptr);
  X509CrlPtr crl(X509_CRL_new());
  Asn1TimePtr last_update(ASN1_TIME_adj(nullptr, now, 0, -60L * this_update_minutes_ago));
  if (!crl || !last_update || X509_CRL_set_version(crl.get(), 1) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.cert.get())) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), last_update.get()) != 1) {
    throw_openssl(ErrorCode::internal, "Cannot fill in the CRL");
  }
  if (next_update_days != kNoNextUpdate) {
    Asn1TimePtr next_update(ASN1_TIME_adj(nullptr, now, next_update_days, 0));
    if (!next_update || X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) != 1) {
      throw_openssl(ErrorCode::internal, "Cannot set the CRL nextUpdate");
    }
  }
  for (const auto& [cert, reason] : revoked) {
    X509RevokedPtr entry(X509_REVOKED_new());
    const bool filled =
        entry &&
        X509_REVOKED_set_serialNumber(
            entry.get(), const_cast<ASN1_INTEGER*>(X509_get0_serialNumber(cert))) == 1 &&
        X509_REVOKED_set_revocationDate(entry.get(), last_update.get()) == 1;
    if (!filled) throw_openssl(ErrorCode::internal, "Cannot fill in a revoked entry");
    if (reason >= 0) {
      Asn1StringPtr code(ASN1_ENUMERATED_new());
      if (!code || ASN1_ENUMERATED_set(code.get(), reason) != 1 ||
          X509_REVOKED_add1_ext_i2d(entry.get(), NID_crl_reason, code.get(), 0, 0) != 1) {
        throw_openssl(ErrorCode::internal, "Cannot set the revocation reason");
      }
    }
    if (X509_CRL_add0_revoked(crl.get(), entry.get()) != 1) {
      throw_openssl(ErrorCode::internal, "Cannot add a revoked entry");
    }
    entry.release();  // the CRL owns it now
  }
  if (crl_number >= 0) {
    Asn1IntegerPtr number(ASN1_INTEGER_new());
    if (!number || ASN1_INTEGER_set(number.get(), crl_number) != 1 ||
        X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) != 1) {
      throw_openssl(ErrorCode::internal, "Cannot set the CRL number");
    }
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca.cert.get(), nullptr, nullptr, crl.get(), 0);
  X509ExtensionPtr aki(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid"));
  if (!aki || X509_CRL_add_ext(crl.get(), aki.get(), -1) != 1 || X509_CRL_sort(crl.get()) != 1 ||
      X509_CRL_sign(crl.get(), ca.key.get(), digest_for(ca.key.get())) <= 0) {
    throw_openssl(ErrorCode::internal, "Cannot sign the CRL");
  }
  BioPtr bio = memory_bio();
  const int written =
      pem ? PEM_write_bio_X509_CRL(bio.get(), crl.get()) : i2d_X509_CRL_bio(bio.get(), crl.get());
  if (written != 1) throw_openssl(ErrorCode::internal, "Cannot write the CRL");
  return bytes_of(bio_text(bio.get()));
}

}  // namespace smime::test
