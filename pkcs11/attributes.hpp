// Building CK_ATTRIBUTE templates and reading attributes back. Private to pkcs11/.
#pragma once

#include <p11-kit/pkcs11.h>

#include <deque>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "smime/common/secure_buffer.hpp"
#include "smime/pkcs11/token.hpp"

namespace smime::pkcs11 {

// Owns the attribute values so the CK_ATTRIBUTE pointers stay valid; values are wiped on
// release because a template may carry private key components.
class AttributeTemplate {
 public:
  AttributeTemplate& add(CK_ATTRIBUTE_TYPE type, bool value);
  AttributeTemplate& add(CK_ATTRIBUTE_TYPE type, CK_ULONG value);
  AttributeTemplate& add(CK_ATTRIBUTE_TYPE type, std::span<const unsigned char> value);
  AttributeTemplate& add(CK_ATTRIBUTE_TYPE type, std::string_view text);
  template <std::size_t N>
  AttributeTemplate& add(CK_ATTRIBUTE_TYPE type, const unsigned char (&bytes)[N]) {
    return add(type, std::span<const unsigned char>(bytes, N));
  }
  // Pointers would silently pick the bool overload.
  AttributeTemplate& add(CK_ATTRIBUTE_TYPE type, const void* pointer) = delete;

  CK_ATTRIBUTE* data() noexcept { return attributes_.data(); }
  CK_ULONG size() const noexcept { return attributes_.size(); }

 private:
  std::deque<SecureBytes> values_;  // deque: growing it never moves earlier values
  std::vector<CK_ATTRIBUTE> attributes_;
};

std::vector<CK_OBJECT_HANDLE> find_objects(Session& session, AttributeTemplate& match);

// Reads one attribute; nullopt when the token says it is sensitive, invalid or absent.
std::optional<std::vector<unsigned char>> read_attribute(Session& session, CK_OBJECT_HANDLE object,
                                                         CK_ATTRIBUTE_TYPE type);
std::optional<bool> read_bool(Session& session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type);
std::optional<CK_ULONG> read_ulong(Session& session, CK_OBJECT_HANDLE object,
                                   CK_ATTRIBUTE_TYPE type);

}  // namespace smime::pkcs11
