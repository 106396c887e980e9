// Subject names typed by an operator: RFC 4514 ("CN=a,O=b") or OpenSSL's slash form
// ("/CN=a/O=b"), turned into an X509_NAME.
//
// Order: attributes go into the name in the order they are written, for both forms, so
// "CN=a,O=b" and "/CN=a/O=b" give the same name, with CN as its first RDN. This is the order
// of `openssl req -subj` and of `openssl x509 -noout -subject`; it is NOT the reversed order
// of a strict RFC 4514 string (as printed by `-nameopt RFC2253`).
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "smime/common/error.hpp"
#include "smime/common/hex.hpp"
#include "smime/common/text.hpp"
#include "smime/provisioning/certificate_builder.hpp"

namespace smime::provisioning {
namespace {

struct Attribute {
  std::string type;
  std::string value;
  bool same_rdn = false;  // joined to the previous attribute with '+' (multi-valued RDN)
};

// Attribute types a subject may name. Matched case-insensitively against OpenSSL's short and
// long names (CN / commonName), as RFC 4514 says type names are case-insensitive. Anything
// else OpenSSL knows (sha256, rsaEncryption, ...) is not a name attribute and is refused.
constexpr int kNameAttributes[] = {
    NID_commonName,
    NID_surname,
    NID_givenName,
    NID_initials,
    NID_generationQualifier,
    NID_pseudonym,
    NID_title,
    NID_serialNumber,
    NID_countryName,
    NID_localityName,
    NID_stateOrProvinceName,
    NID_streetAddress,
    NID_postalCode,
    NID_organizationName,
    NID_organizationalUnitName,
    NID_organizationIdentifier,
    NID_businessCategory,
    NID_dnQualifier,
    NID_domainComponent,
    NID_userId,
    NID_pkcs9_emailAddress,
};

[[noreturn]] void reject(const std::string& why, const std::string& text) {
  throw Error(ErrorCode::invalid_input, why + " in subject '" + text + "'");
}

bool iequals(const std::string& a, const char* b) {
  return b != nullptr && ascii_iequals(a, b);
}

bool is_dotted_oid(const std::string& type) {
  if (type.empty() || !std::isdigit(static_cast<unsigned char>(type.front())) ||
      !std::isdigit(static_cast<unsigned char>(type.back()))) {
    return false;
  }
  bool dot = false;
  for (char c : type) {
    if (c == '.') {
      if (dot) {
        return false;  // ".." is an empty arc
      }
      dot = true;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      dot = false;
    } else {
      return false;
    }
  }
  return type.find('.') != std::string::npos;
}

// A named attribute resolves to OpenSSL's static object; a dotted OID needs one of its own.
struct AttributeType {
  Asn1ObjectPtr owned;
  const ASN1_OBJECT* object = nullptr;
};

AttributeType resolve_type(const std::string& type, const std::string& text) {
  AttributeType resolved;
  for (int nid : kNameAttributes) {
    if (iequals(type, OBJ_nid2sn(nid)) || iequals(type, OBJ_nid2ln(nid))) {
      resolved.object = OBJ_nid2obj(nid);
      return resolved;
    }
  }
  if (is_dotted_oid(type)) {
    resolved.owned.reset(OBJ_txt2obj(type.c_str(), 1));
    resolved.object = resolved.owned.get();
  }
  if (resolved.object == nullptr) {
    ERR_clear_error();
    reject("Unknown attribute '" + type + "'", text);
  }
  return resolved;
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) {
    return {};
  }
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// RFC 4514: RDNs separated by ',', multi-valued RDNs by '+'. In values a backslash escapes one
// special character or gives a byte as two hex digits (UTF-8, "\C3\A9"). Unescaped spaces
// around types and values are dropped, so "CN=a, O=b" works; escaped ones are kept.
std::vector<Attribute> split_rfc4514(const std::string& text) {
  std::vector<Attribute> out;
  std::size_t i = 0;
  bool same_rdn = false;
  while (true) {
    Attribute attr;
    attr.same_rdn = same_rdn;
    const std::size_t eq = text.find('=', i);
    const std::size_t comma = text.find_first_of(",+", i);
    if (eq == std::string::npos || (comma != std::string::npos && comma < eq)) {
      const std::string piece =
          trim(text.substr(i, comma == std::string::npos ? comma : comma - i));
      if (piece.empty()) {
        reject("Empty RDN", text);
      }
      reject("Attribute '" + piece + "' has no '='", text);
    }
    attr.type = trim(text.substr(i, eq - i));
    if (attr.type.empty()) {
      reject("Missing attribute name", text);
    }
    i = eq + 1;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
      ++i;
    }
    if (i < text.size() && text[i] == '#') {
      reject("Hex-encoded value of '" + attr.type + "' (#...) is not supported", text);
    }
    std::size_t keep = 0;  // value length up to the last escaped or non-space character
    bool ended_by_separator = false;
    while (i < text.size()) {
      const char c = text[i];
      if (c == ',' || c == '+') {
        same_rdn = c == '+';
        ended_by_separator = true;
        ++i;
        break;
      }
      if (c == '\\') {
        if (i + 1 >= text.size()) {
          reject("Dangling backslash", text);
        }
        const int hi = hex_digit_value(text[i + 1]);
        const int lo = i + 2 < text.size() ? hex_digit_value(text[i + 2]) : -1;
        if (hi >= 0 && lo >= 0) {
          attr.value.push_back(static_cast<char>(hi * 16 + lo));
          i += 3;
        } else if (std::string_view("\"+,;<>\\ #=").find(text[i + 1]) != std::string_view::npos) {
          attr.value.push_back(text[i + 1]);
          i += 2;
        } else {
          reject("Invalid escape '\\" + std::string(1, text[i + 1]) + "'", text);
        }
        keep = attr.value.size();
        continue;
      }
      if (c == '"' || c == ';' || c == '<' || c == '>') {
        reject("Character '" + std::string(1, c) + "' in the value of '" + attr.type +
                   "' must be escaped with a backslash",
               text);
      }
      attr.value.push_back(c);
      if (c != ' ' && c != '\t') {
        keep = attr.value.size();
      }
      ++i;
    }
    attr.value.resize(keep);
    out.push_back(std::move(attr));
    if (!ended_by_separator) {
      break;
    }
    if (i >= text.size() || trim(text.substr(i)).empty()) {
      reject("Empty RDN at the end", text);
    }
  }
  return out;
}

// OpenSSL's slash form: "/type=value/type=value", a backslash takes the next character
// literally ("/O=A\/B"). '+' has no special meaning here, as with `openssl req -subj`.
std::vector<Attribute> split_slash(const std::string& text) {
  std::vector<Attribute> out;
  std::size_t i = 1;  // past the leading '/'
  while (true) {
    std::string piece;
    std::optional<std::size_t> eq;
    while (i < text.size() && text[i] != '/') {
      if (text[i] == '\\') {
        if (i + 1 >= text.size()) {
          reject("Dangling backslash", text);
        }
        ++i;
      } else if (text[i] == '=' && !eq) {
        eq = piece.size();
      }
      piece.push_back(text[i]);
      ++i;
    }
    if (piece.empty()) {
      reject("Empty RDN", text);
    }
    if (!eq) {
      reject("Attribute '" + piece + "' has no '='", text);
    }
    Attribute attr;
    attr.type = piece.substr(0, *eq);
    attr.value = piece.substr(*eq + 1);
    if (attr.type.empty()) {
      reject("Missing attribute name", text);
    }
    out.push_back(std::move(attr));
    if (i >= text.size()) {
      break;
    }
    ++i;  // the '/'
  }
  return out;
}

}  // namespace

X509NamePtr parse_distinguished_name(const std::string& text) {
  // No trimming here: a trailing space may be escaped ("O=a\ "); the parsers know.
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string::npos) {
    throw Error(ErrorCode::invalid_input, "The subject is empty");
  }
  const std::vector<Attribute> attributes =
      text[first] == '/' ? split_slash(text.substr(first)) : split_rfc4514(text);

  X509NamePtr name(X509_NAME_new());
  if (!name) {
    throw_openssl(ErrorCode::crypto, "Cannot allocate a name");
  }
  for (const Attribute& attr : attributes) {
    const AttributeType type = resolve_type(attr.type, text);
    if (attr.value.empty()) {
      reject("Empty value for '" + attr.type + "'", text);
    }
    // A NUL would let "CN=good\00evil" be shown as one name and compared as another.
    if (attr.value.find('\0') != std::string::npos) {
      reject("NUL byte in the value of '" + attr.type + "'", text);
    }
    // set -1 joins the RDN of the entry before; 0 opens a new RDN at the end.
    const int set = attr.same_rdn ? -1 : 0;
    if (X509_NAME_add_entry_by_OBJ(name.get(), type.object, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(attr.value.data()),
                                   static_cast<int>(attr.value.size()), -1, set) != 1) {
      // Bad UTF-8, a country that is not two letters, a CN over 64 characters, ...
      throw_openssl(ErrorCode::invalid_input,
                    "Invalid value for '" + attr.type + "' in subject '" + text + "'");
    }
  }
  return name;
}

X509NamePtr subject_name_for(const SmimeIdentity& identity) {
  if (!identity.subject.empty()) {
    return parse_distinguished_name(identity.subject);
  }
  if (identity.emails.empty()) {
    throw Error(ErrorCode::invalid_input, "A subject or at least one email address is required");
  }
  X509NamePtr name(X509_NAME_new());
  if (!name) {
    throw_openssl(ErrorCode::crypto, "Cannot allocate a name");
  }
  const std::string& email = identity.emails.front();
  if (X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(email.data()),
                                 static_cast<int>(email.size()), -1, 0) != 1) {
    throw_openssl(ErrorCode::invalid_input, "Cannot use '" + email + "' as the common name");
  }
  return name;
}

}  // namespace smime::provisioning
