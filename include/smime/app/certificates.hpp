// Certificate administration (SPEC §6): import (bundles, DER, PKCS#7, PKCS#12), list, show,
// download and delete. Changes are audited; reads are not.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smime/app/caller.hpp"
#include "smime/app/dependencies.hpp"
#include "smime/common/secure_buffer.hpp"

namespace smime::app {

struct CertificateImport {
  std::span<const unsigned char> input;
  const SecretString* passphrase = nullptr;  // of a PKCS#12 file
  bool keys_exportable = false;              // a PKCS#12 key may be exported later
  std::string source;                        // where the input came from ("bundle.pem"), if known
  std::optional<bool> trust;  // anchors: all (true), none (false), unset: certs::default_anchors
};

struct CertificateListing {
  store::CertificateRecord record;
  service::CertificateStatus status = service::CertificateStatus::valid;
};

struct CertificateDetails {
  store::CertificateRecord record;
  service::CertificateStatus status = service::CertificateStatus::valid;
  bool chain_trusted = false;
  std::string chain_error;  // why not, when not trusted
};

struct CertificateFile {
  std::string fingerprint;  // the full SHA-256
  std::vector<unsigned char> bytes;
};

struct DeletedCertificate {
  store::CertificateRecord record;
  bool key_deleted = false;
};

class CertificateUseCases {
 public:
  explicit CertificateUseCases(const Dependencies& deps) : deps_(deps) {}

  // Every certificate is judged on its own; the report says which were stored and why the
  // others were not. Recorded as ok when anything was stored, failed otherwise. Throws for an
  // input that holds no certificate at all (invalid_input) or a wrong PKCS#12 passphrase.
  service::ImportReport import_certificates(const Caller& caller, const CertificateImport& request);
  std::vector<CertificateListing> list(const store::CertificateQuery& query);
  // By fingerprint or a unique prefix of at least 8 hex digits; Error(not_found).
  CertificateDetails show(std::string_view fingerprint);
  CertificateFile download(std::string_view fingerprint, bool der);
  // Makes the certificate a trust anchor (trusted) or takes that away; audited as
  // certificate.trust. Error(not_found).
  store::CertificateRecord set_trust(const Caller& caller, std::string_view fingerprint,
                                     bool trusted);
  // with_key: also its key from the token, unless another stored certificate uses it.
  DeletedCertificate remove(const Caller& caller, std::string_view fingerprint, bool with_key);

 private:
  const Dependencies& deps_;
};

}  // namespace smime::app
