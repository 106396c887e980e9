#include "support/token_attributes.hpp"

#include <vector>

#include "smime/token/key_store.hpp"

namespace smime::test {

ObjectAttributes read_key_object(pkcs11::Token& token, const std::string& id_hex,
                                 CK_OBJECT_CLASS object_class) {
  ObjectAttributes out;
  std::vector<unsigned char> id = *from_hex(id_hex);
  pkcs11::Session s = token.session();
  CK_FUNCTION_LIST* f = s.fn();
  CK_OBJECT_CLASS cls = object_class;
  CK_ATTRIBUTE match[] = {{CKA_CLASS, &cls, sizeof cls},
                          {CKA_ID, id.data(), static_cast<CK_ULONG>(id.size())}};
  f->C_FindObjectsInit(s.handle(), match, 2);
  CK_OBJECT_HANDLE handles[8];
  CK_ULONG n = 0;
  f->C_FindObjects(s.handle(), handles, 8, &n);
  f->C_FindObjectsFinal(s.handle());
  out.count = n;
  if (n == 0) return out;

  CK_BBOOL token_flag = CK_FALSE, priv = CK_FALSE, sens = CK_FALSE, extr = CK_TRUE,
           asens = CK_FALSE, nextr = CK_FALSE;
  unsigned char id_buf[64];
  CK_ATTRIBUTE attrs[] = {{CKA_TOKEN, &token_flag, sizeof token_flag},
                          {CKA_PRIVATE, &priv, sizeof priv},
                          {CKA_ID, id_buf, sizeof id_buf}};
  if (f->C_GetAttributeValue(s.handle(), handles[0], attrs, 3) == CKR_OK) {
    out.token = token_flag == CK_TRUE;
    out.is_private = priv == CK_TRUE;
    out.id_hex = to_hex(std::span<const unsigned char>(id_buf, attrs[2].ulValueLen));
  }
  if (object_class == CKO_PRIVATE_KEY) {
    CK_ATTRIBUTE flags[] = {{CKA_SENSITIVE, &sens, sizeof sens},
                            {CKA_EXTRACTABLE, &extr, sizeof extr},
                            {CKA_ALWAYS_SENSITIVE, &asens, sizeof asens},
                            {CKA_NEVER_EXTRACTABLE, &nextr, sizeof nextr}};
    f->C_GetAttributeValue(s.handle(), handles[0], flags, 4);
    out.sensitive = sens == CK_TRUE;
    out.extractable = extr == CK_TRUE;
    out.always_sensitive = asens == CK_TRUE;
    out.never_extractable = nextr == CK_TRUE;
    CK_KEY_TYPE type = 0;
    CK_ATTRIBUTE type_attr{CKA_KEY_TYPE, &type, sizeof type};
    f->C_GetAttributeValue(s.handle(), handles[0], &type_attr, 1);
    unsigned char secret[1024];
    CK_ATTRIBUTE secret_attr{type == CKK_RSA ? CKA_PRIVATE_EXPONENT : CKA_VALUE, secret,
                             sizeof secret};
    out.secret_read_rv = f->C_GetAttributeValue(s.handle(), handles[0], &secret_attr, 1);
  }
  return out;
}

}  // namespace smime::test
