#include "attributes.hpp"

#include <cstring>

#include "smime/pkcs11/module.hpp"

namespace smime::pkcs11 {

AttributeTemplate& AttributeTemplate::add(CK_ATTRIBUTE_TYPE type, bool value) {
  const CK_BBOOL b = value ? CK_TRUE : CK_FALSE;
  return add(type, std::span<const unsigned char>(&b, sizeof b));
}

AttributeTemplate& AttributeTemplate::add(CK_ATTRIBUTE_TYPE type, CK_ULONG value) {
  return add(type, std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(&value),
                                                  sizeof value));
}

AttributeTemplate& AttributeTemplate::add(CK_ATTRIBUTE_TYPE type, std::string_view text) {
  return add(type, std::span<const unsigned char>(
                       reinterpret_cast<const unsigned char*>(text.data()), text.size()));
}

AttributeTemplate& AttributeTemplate::add(CK_ATTRIBUTE_TYPE type,
                                          std::span<const unsigned char> value) {
  SecureBytes& stored = values_.emplace_back(value.begin(), value.end());
  attributes_.push_back({type, stored.data(), static_cast<CK_ULONG>(stored.size())});
  return *this;
}

std::vector<CK_OBJECT_HANDLE> find_objects(Session& session, AttributeTemplate& match) {
  CK_FUNCTION_LIST* f = session.fn();
  check_rv(f->C_FindObjectsInit(session.handle(), match.data(), match.size()), "C_FindObjectsInit");
  std::vector<CK_OBJECT_HANDLE> found;
  CK_RV rv = CKR_OK;
  for (;;) {
    CK_OBJECT_HANDLE batch[32];
    CK_ULONG count = 0;
    rv = f->C_FindObjects(session.handle(), batch, 32, &count);
    if (rv != CKR_OK || count == 0) break;
    found.insert(found.end(), batch, batch + count);
  }
  CK_RV final_rv = f->C_FindObjectsFinal(session.handle());
  check_rv(rv, "C_FindObjects");
  check_rv(final_rv, "C_FindObjectsFinal");
  return found;
}

std::optional<std::vector<unsigned char>> read_attribute(Session& session, CK_OBJECT_HANDLE object,
                                                         CK_ATTRIBUTE_TYPE type) {
  CK_ATTRIBUTE attr{type, nullptr, 0};
  CK_RV rv = session.fn()->C_GetAttributeValue(session.handle(), object, &attr, 1);
  if (rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
      attr.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
    return std::nullopt;
  }
  check_rv(rv, "C_GetAttributeValue");
  std::vector<unsigned char> value(attr.ulValueLen);
  attr.pValue = value.data();
  check_rv(session.fn()->C_GetAttributeValue(session.handle(), object, &attr, 1),
           "C_GetAttributeValue");
  value.resize(attr.ulValueLen);
  return value;
}

std::optional<bool> read_bool(Session& session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
  auto value = read_attribute(session, object, type);
  if (!value || value->size() != sizeof(CK_BBOOL)) return std::nullopt;
  return (*value)[0] != CK_FALSE;
}

std::optional<CK_ULONG> read_ulong(Session& session, CK_OBJECT_HANDLE object,
                                   CK_ATTRIBUTE_TYPE type) {
  auto value = read_attribute(session, object, type);
  if (!value || value->size() != sizeof(CK_ULONG)) return std::nullopt;
  CK_ULONG out = 0;
  std::memcpy(&out, value->data(), sizeof out);
  return out;
}

}  // namespace smime::pkcs11
