// smimed's TLS certificate and key. On first run a self-signed server certificate is created
// in the home directory: by default for a key generated inside the token (label
// tls_key_label), or with tls_key = "file" for a software key in a 0600 PEM file.
// Later runs load them; an operator may put a CA-issued certificate (and key file) in place.
#pragma once

#include <functional>

#include "smime/common/handles.hpp"
#include "smime/server/server_settings.hpp"
#include "smime/token/key_store.hpp"

namespace smime::server {

struct TlsIdentity {
  X509Ptr certificate;
  EvpPkeyPtr key;            // a pkcs11-provider key when the key is in the token
  bool created = false;      // made by this call
  std::string token_key_id;  // the key's id in the token; empty for a file key
};

// Throws Error naming the file or key when an existing identity is incomplete or unusable.
TlsIdentity load_or_create_tls_identity(const ServerSettings& settings,
                                        const std::function<KeyStore&()>& keys);

}  // namespace smime::server
