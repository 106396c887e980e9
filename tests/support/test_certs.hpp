// Certificates, bundles, PKCS#12 files and CRLs for tests, made on the fly with software keys
// so no certificate or key material is checked into the tree.
//
//   auto root = issue_certificate(CertificateSpec::authority("Test Root"));
//   auto leaf = issue_certificate(CertificateSpec::smime("alice@example.com").issued_by(root));
//   auto p12 = pkcs12(leaf.cert.get(), leaf.key.get(), {root.cert.get()}, "secret");
#pragma once

#include <climits>
#include <cstdint>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "smime/common/handles.hpp"

namespace smime::test {

struct IssuedCertificate {
  X509Ptr cert;
  EvpPkeyPtr key;  // the certified key pair (software), or a reference to CertificateSpec::key
};

// Defaults describe a typical S/MIME end-entity certificate: RSA-2048, one SAN email,
// Key Usage digitalSignature+keyEncipherment, EKU emailProtection, self-signed, valid from
// yesterday for a year. Each test changes only the field it is about.
struct CertificateSpec {
  std::string common_name = "Test User";
  std::string organization;   // O= before CN when not empty
  std::string subject_email;  // emailAddress attribute in the subject (not a SAN) when not empty
  std::vector<std::string> emails = {"user@example.com"};  // SAN rfc822Name entries
  std::vector<std::string> dns_names;                      // SAN dNSName entries
  // "rsa-2048", "ec-p256", "ec-p384", "ed25519", "dsa", ... (see generate_software_key).
  std::string key_kind = "rsa-2048";
  // Certify this existing key instead of generating one (e.g. the public half of a token key).
  EVP_PKEY* key = nullptr;
  // OpenSSL names: digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment,
  // keyAgreement, keyCertSign, cRLSign, encipherOnly, decipherOnly. Empty: no KU extension.
  std::vector<std::string> key_usages = {"digitalSignature", "keyEncipherment"};
  // serverAuth, clientAuth, emailProtection, ... or dotted OIDs. Empty: no EKU extension.
  std::vector<std::string> extended_key_usages = {"emailProtection"};
  bool is_ca = false;             // basicConstraints critical CA:TRUE
  bool basic_constraints = true;  // false: no basicConstraints at all (only if !is_ca)
  int not_before_days = -1;       // relative to base_time
  int not_after_days = 365;
  std::time_t base_time = 0;       // 0: now
  const X509* issuer = nullptr;    // nullptr: self-signed
  EVP_PKEY* issuer_key = nullptr;  // required with issuer; may be a token key
  std::uint64_t serial = 0;        // 0: random 63-bit
  // CRL distribution points (URIs of one distribution point) and AIA OCSP responders.
  std::vector<std::string> crl_urls;
  std::vector<std::string> ocsp_urls;
  // DER of SMIMECapabilities (support/smime_capabilities.hpp): added as the RFC 4262
  // certificate extension when not empty.
  std::vector<unsigned char> smime_capabilities;

  CertificateSpec& issued_by(const IssuedCertificate& ca) {
    issuer = ca.cert.get();
    issuer_key = ca.key.get();
    return *this;
  }

  // An S/MIME end-entity certificate for one address (CN = the address).
  static CertificateSpec smime(const std::string& email, const std::string& key_kind = "rsa-2048");
  // A CA: CA:TRUE, keyCertSign+cRLSign, no SAN, no EKU, valid for ten years.
  static CertificateSpec authority(const std::string& common_name,
                                   const std::string& key_kind = "ec-p256");
};

// Throws Error on anything OpenSSL refuses (unknown usage name, missing issuer key, ...).
IssuedCertificate issue_certificate(const CertificateSpec& spec);

std::string pem(const X509* certificate);
std::vector<unsigned char> der(const X509* certificate);
// PEM blocks of all certificates, concatenated.
std::string pem_bundle(const std::vector<const X509*>& certificates);
// "TRUSTED CERTIFICATE" PEM (with an emailProtection trust setting).
std::string pem_trusted(const X509* certificate);

// A PKCS#7 SignedData with only certificates (.p7b/.p7c), PEM ("PKCS7") or DER.
std::vector<unsigned char> pkcs7_certs_only(const std::vector<const X509*>& certificates, bool pem);

// A PKCS#12 file (AES-256-CBC, SHA-256 MAC) with the certificate, its key and the CA chain.
// A null passphrase makes a file protected by the empty passphrase (like `-passout pass:`).
// with_mac = false is `-nomac`; encrypted = false is `-keypbe NONE -certpbe NONE`.
std::vector<unsigned char> pkcs12(const X509* cert, const EVP_PKEY* key,
                                  const std::vector<const X509*>& ca, const char* passphrase,
                                  bool with_mac = true, bool encrypted = true);

inline constexpr int kNoNextUpdate = INT_MIN;
// A CRL signed by `ca`, revoking each certificate with the given CRLReason code (-1: no
// reason extension). thisUpdate is an hour ago (this_update_minutes_ago); nextUpdate is
// next_update_days from now (kNoNextUpdate: absent). crl_number < 0 leaves the CRL number
// extension out.
std::vector<unsigned char> issue_crl(const IssuedCertificate& ca,
                                     const std::vector<std::pair<const X509*, int>>& revoked,
                                     int next_update_days, bool pem, long crl_number = 1,
                                     int this_update_minutes_ago = 60);

}  // namespace smime::test
