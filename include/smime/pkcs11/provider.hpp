// pkcs11-provider inside this process: loaded into OpenSSL's default library context with
// our module path and the no-deinit quirk, without any system-wide openssl.cnf edit. It
// shares the module instance (and so the login) of smime::pkcs11::Token, so it never needs
// the PIN itself.
#pragma once

#include <string>

#include "smime/common/handles.hpp"

namespace smime::pkcs11 {

class ProviderBridge {
 public:
  // Loads the provider once per process. A second call with the same module is a no-op; with
  // another module it throws Error(conflict): one process talks to one PKCS#11 module.
  static void activate(const std::string& module_path);
  static bool active();

  // Loads a key by PKCS#11 URI ("type=private" or "type=public"). The private key material
  // stays in the token; OpenSSL operations on the EVP_PKEY run through the provider.
  static EvpPkeyPtr load_private_key(const std::string& uri);
  static EvpPkeyPtr load_public_key(const std::string& uri);
};

}  // namespace smime::pkcs11
