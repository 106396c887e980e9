// Reads key object attributes straight from the token with C_GetAttributeValue, so tests
// check what the token says rather than what our layer reports.
#pragma once

#include <string>

#include "smime/pkcs11/token.hpp"

namespace smime::test {

struct ObjectAttributes {
  std::size_t count = 0;  // objects of that class with that CKA_ID
  std::string id_hex;
  bool token = false;
  bool is_private = false;
  bool sensitive = false;
  bool extractable = true;
  bool always_sensitive = false;
  bool never_extractable = false;
  // C_GetAttributeValue of the secret component (CKA_PRIVATE_EXPONENT or CKA_VALUE).
  CK_RV secret_read_rv = CKR_OK;
};

ObjectAttributes read_key_object(pkcs11::Token& token, const std::string& id_hex,
                                 CK_OBJECT_CLASS object_class);

}  // namespace smime::test
