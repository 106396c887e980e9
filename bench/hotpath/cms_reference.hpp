// The reference the API is measured against: the same token keys used in this process by
// OpenSSL's CMS functions through pkcs11-provider (in a library context of its own), on a
// few threads, with no HTTP, MIME, store or audit log around them.
#pragma once

#include <memory>
#include <string>

namespace smime::bench {

struct ReferenceKeys {
  std::string signer_certificate_pem;
  std::string signer_key_uri;
  std::string recipient_certificate_pem;
  std::string recipient_key_uri;
};

struct ReferenceResult {
  double per_second = 0;
  double cpu_us_per_op = 0;  // this process's CPU (getrusage) per operation
};

enum class ReferenceOperation { sign, sign_encrypt, decrypt_verify };

class CmsReference {
 public:
  // `openssl_conf` loads pkcs11-provider for the token (see write_provider_config).
  CmsReference(const std::string& openssl_conf, const ReferenceKeys& keys);
  ~CmsReference();
  CmsReference(const CmsReference&) = delete;
  CmsReference& operator=(const CmsReference&) = delete;

  // `operation` on `content` back to back on `threads` threads for `seconds`.
  ReferenceResult run(ReferenceOperation operation, const std::string& content, unsigned threads,
                      double seconds);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// An OpenSSL configuration file that loads the default provider and pkcs11-provider for the
// SoftHSM2 module with the PIN file (no-deinit: SPEC §12).
std::string write_provider_config(const std::string& file, const std::string& provider_path,
                                  const std::string& module_path, const std::string& pin_file);

}  // namespace smime::bench
