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

// Software copy of an extractable private key object: unwrapped from C_WrapKey when the
// object is sensitive (as every key we import is), or, for keys imported as non-sensitive by
// older versions, from its components (the public object supplies the EC point). Throws
// Error(forbidden) when the token holds it as not extractable.
EvpPkeyPtr read_private_key(Session& session, CK_OBJECT_HANDLE private_object,
                            CK_OBJECT_HANDLE public_object);

// A sensitive, extractable private key wrapped under a one-time AES session key and
// unwrapped in software (key_wrap.cpp).
EvpPkeyPtr unwrap_extractable_key(Session& session, CK_OBJECT_HANDLE private_object);

// The point inside CKA_EC_POINT (a DER OCTET STRING; some tokens give the raw point).
std::vector<unsigned char> unwrap_ec_point(const std::vector<unsigned char>& value);

// EVP_PKEY_fromdata with the default provider: always a plain software key.
EvpPkeyPtr key_from_params(const char* type, OSSL_PARAM_BLD* bld, int selection);

// DER of the named curve OID (CKA_EC_PARAMS), and back.
std::vector<unsigned char> ec_params_for_curve(int nid);
int curve_from_ec_params(std::span<const unsigned char> der);

// "P-256", "P-384", "P-521" or the OpenSSL short name.
std::string curve_display_name(int nid);

}  // namespace smime::pkcs11
