// A private key that OpenSSL can use while its material stays in the token. Private to
// pkcs11/.
//
// OpenSSL sees an RSA or EC key with a method of ours (a "foreign" key, handled on OpenSSL's
// legacy path): every private operation (RSA PKCS#1 v1.5 and raw RSA, used for PSS and OAEP;
// ECDSA; ECDH) runs as one C_*Init/C_* pair in a session of our own pool, under our one login
// and with our recovery. So whatever the module (a local SoftHSM, a vendor's network client,
// p11-kit's RPC client), nothing else holds session or login state, nothing can prompt for a
// PIN, and a lost session, login or module is recovered the same way for signing, decryption
// and the TLS handshake. The key object's handle is looked up once and kept until the module
// is re-initialised or the token says the handle is gone.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "key_object.hpp"
#include "smime/common/handles.hpp"

namespace smime::pkcs11 {

// public_key: the software public key of the token key (RSA or EC).
EvpPkeyPtr make_token_private_key(std::shared_ptr<KeyObject> key, const EVP_PKEY* public_key);

}  // namespace smime::pkcs11
