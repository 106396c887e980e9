// Creating and reading key objects in the token. Private to pkcs11/.
#pragma once

#include <p11-kit/pkcs11.h>

#include <span>
#include <string>
#include <vector>

#include "smime/common/handles.hpp"
#include "smime/pkcs11/token.hpp"
#include "smime/token/key_store.hpp"

namespace smime::pkcs11 {

// Generates a key pair in the token (sensitive, not extractable, private) and gives both
// halves the CKA_ID of key_id_for(public key). Returns that id.
std::vector<unsigned char> generate_key_pair(Session& session, KeyAlgorithm algorithm,
                                             const std::string& label);

// Writes a software RSA or EC private key and its public key as token objects with `id`.
// On failure nothing is left behind.
void write_key_objects(Session& session, const EVP_PKEY* key, std::span<const unsigned char> id,
                       const std::string& label, bool exportable);

// Software public key from a token public key object (RSA private objects work too).
EvpPkeyPtr read_public_key(Session& session, CK_OBJECT_HANDLE object);

// DER of the named curve OID (CKA_EC_PARAMS), and back.
std::vector<unsigned char> ec_params_for_curve(int nid);
int curve_from_ec_params(std::span<const unsigned char> der);

// "P-256", "P-384", "P-521" or the OpenSSL short name.
std::string curve_display_name(int nid);

}  // namespace smime::pkcs11
