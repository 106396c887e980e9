// Format detection for certificate imports (SPEC §6). A bundle imports every certificate it
// can read and reports each unreadable block; input without any certificate is refused with a
// message naming the accepted formats, never with OpenSSL's own text.
#include "smime/certs/certificate_input.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "smime/common/error.hpp"
#include "smime/common/pem.hpp"

namespace smime::certs {
namespace {

constexpr std::string_view kBeginMarker = "-----BEGIN ";

[[noreturn]] void refuse(const std::string& reason) {
  // The queue may hold traces of tentative decodes: keep them for logs, not for the message.
  throw Error(ErrorCode::invalid_input,
              reason + ". Accepted formats: " + kAcceptedCertificateFormats, 0,
              drain_openssl_errors());
}

std::string_view as_text(std::span<const unsigned char> input) {
  return {reinterpret_cast<const char*>(input.data()), input.size()};
}

// Offset of the first byte that is not UTF-8 text (invalid sequences, overlong forms,
// surrogates, NUL and other control characters except whitespace), or nullopt.
std::optional<std::size_t> first_non_text_byte(std::span<const unsigned char> input) {
  const auto continuation = [&](std::size_t at, unsigned char low, unsigned char high) {
    return at < input.size() && input[at] >= low && input[at] <= high;
  };
  std::size_t i = 0;
  while (i < input.size()) {
    const unsigned char c = input[i];
    std::size_t length = 0;
    bool ok = false;
    if (c < 0x80) {
      ok = c >= 0x20 || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
      ok = ok && c != 0x7f;
      length = 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
      ok = continuation(i + 1, 0x80, 0xbf);
      length = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      const unsigned char low = c == 0xe0 ? 0xa0 : 0x80;   // no overlong forms
      const unsigned char high = c == 0xed ? 0x9f : 0xbf;  // no surrogates
      ok = continuation(i + 1, low, high) && continuation(i + 2, 0x80, 0xbf);
      length = 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      const unsigned char low = c == 0xf0 ? 0x90 : 0x80;
      const unsigned char high = c == 0xf4 ? 0x8f : 0xbf;  // nothing above U+10FFFF
      ok = continuation(i + 1, low, high) && continuation(i + 2, 0x80, 0xbf) &&
           continuation(i + 3, 0x80, 0xbf);
      length = 4;
    }
    if (!ok) return i;
    i += length;
  }
  return std::nullopt;
}

// ---- PKCS#7 and PKCS#12 ------------------------------------------------------------------

// Appends the certificates of a SignedData; false when p7 is another content type.
bool take_pkcs7_certificates(const PKCS7* p7, std::vector<X509Ptr>& out) {
  if (OBJ_obj2nid(p7->type) != NID_pkcs7_signed || p7->d.sign == nullptr) return false;
  const STACK_OF(X509)* certs = p7->d.sign->cert;
  for (int i = 0; i < sk_X509_num(certs); ++i) {
    X509* cert = sk_X509_value(certs, i);
    X509_up_ref(cert);
    out.emplace_back(cert);
  }
  return true;
}

// What a PKCS#12 file holds: its first private key and its certificates, each with the
// localKeyID attribute that ties a certificate to the key.
struct Pkcs12Contents {
  EvpPkeyPtr key;
  std::string key_id;
  std::vector<std::pair<X509Ptr, std::string>> certs;
};

int pass_length(const char* pass) {
  return pass == nullptr ? 0 : static_cast<int>(std::strlen(pass));
}

std::string local_key_id(const PKCS12_SAFEBAG* bag) {
  const ASN1_TYPE* attribute = PKCS12_SAFEBAG_get0_attr(bag, NID_localKeyID);
  if (attribute == nullptr || attribute->type != V_ASN1_OCTET_STRING) return {};
  const ASN1_OCTET_STRING* id = attribute->value.octet_string;
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(id)),
          static_cast<std::size_t>(ASN1_STRING_length(id))};
}

// False when a shrouded key does not decrypt with `pass`.
bool read_bags(const STACK_OF(PKCS12_SAFEBAG) * bags, const char* pass, Pkcs12Contents& out,
               int depth) {
  for (int i = 0; i < sk_PKCS12_SAFEBAG_num(bags); ++i) {
    const PKCS12_SAFEBAG* bag = sk_PKCS12_SAFEBAG_value(bags, i);
    const int nid = PKCS12_SAFEBAG_get_nid(bag);
    if ((nid == NID_keyBag || nid == NID_pkcs8ShroudedKeyBag) && !out.key) {
      Pkcs8PrivKeyInfoPtr decrypted;
      const PKCS8_PRIV_KEY_INFO* info = nullptr;
      if (nid == NID_keyBag) {
        info = PKCS12_SAFEBAG_get0_p8inf(bag);
      } else {
        decrypted.reset(PKCS12_decrypt_skey(bag, pass, pass_length(pass)));
        if (!decrypted) return false;
        info = decrypted.get();
      }
      out.key.reset(info != nullptr ? EVP_PKCS82PKEY(info) : nullptr);
      if (!out.key) {
        throw_openssl(ErrorCode::unsupported, "The private key in the PKCS#12 file cannot be read");
      }
      out.key_id = local_key_id(bag);
    } else if (nid == NID_certBag && PKCS12_SAFEBAG_get_bag_nid(bag) == NID_x509Certificate) {
      X509Ptr cert(PKCS12_SAFEBAG_get1_cert(bag));
      if (!cert) refuse("The PKCS#12 file holds a certificate that cannot be read");
      out.certs.emplace_back(std::move(cert), local_key_id(bag));
    } else if (nid == NID_safeContentsBag && depth < 8) {
      if (!read_bags(PKCS12_SAFEBAG_get0_safes(bag), pass, out, depth + 1)) return false;
    }
    // CRL and secret bags, and any further keys, are not part of a certificate import.
  }
  return true;
}

// nullopt when an encrypted part does not decrypt with `pass`.
std::optional<Pkcs12Contents> open_pkcs12(PKCS12* p12, const char* pass) {
  Pkcs7StackPtr safes(PKCS12_unpack_authsafes(p12));
  if (!safes) refuse("The PKCS#12 file is corrupt");
  Pkcs12Contents out;
  for (int i = 0; i < sk_PKCS7_num(safes.get()); ++i) {
    PKCS7* safe = sk_PKCS7_value(safes.get(), i);
    Pkcs12SafeBagStackPtr bags;
    switch (OBJ_obj2nid(safe->type)) {
      case NID_pkcs7_data:
        bags.reset(PKCS12_unpack_p7data(safe));
        break;
      case NID_pkcs7_encrypted:
        bags.reset(PKCS12_unpack_p7encdata(safe, pass, pass_length(pass)));
        break;
      default:
        continue;  // public-key privacy mode (enveloped safes) is not supported
    }
    if (!bags || !read_bags(bags.get(), pass, out, 0)) return std::nullopt;
  }
  return out;
}

// The key's certificate first (by localKeyID, else by public key), then the others in order.
CertificateInput arrange(Pkcs12Contents contents) {
  CertificateInput result;
  result.private_key = std::move(contents.key);
  auto& certs = contents.certs;
  auto owner = certs.end();
  if (result.private_key) {
    owner = std::find_if(certs.begin(), certs.end(), [&](const auto& entry) {
      return !contents.key_id.empty() && entry.second == contents.key_id;
    });
    ERR_set_mark();
    if (owner == certs.end()) {
      owner = std::find_if(certs.begin(), certs.end(), [&](const auto& entry) {
        return X509_check_private_key(entry.first.get(), result.private_key.get()) == 1;
      });
    }
    ERR_pop_to_mark();
  }
  if (owner != certs.end()) result.certificates.push_back(std::move(owner->first));
  for (auto it = certs.begin(); it != certs.end(); ++it) {
    if (it != owner) result.certificates.push_back(std::move(it->first));
  }
  if (result.certificates.empty()) refuse("The PKCS#12 file contains no certificate");
  return result;
}

// Walks the bags itself rather than calling PKCS12_parse, which in OpenSSL 3.0 cannot open a
// file without a MAC when a passphrase is given.
CertificateInput read_pkcs12(PKCS12* p12, const SecretString* passphrase) {
  // The passphrase as a C string, in memory that is wiped.
  std::vector<char, WipingAllocator<char>> given;
  const bool have_passphrase = passphrase != nullptr && !passphrase->empty();
  if (have_passphrase) {
    given.assign(passphrase->data(), passphrase->data() + passphrase->size());
    given.push_back('\0');
  }
  // The given passphrase, then the two forms of "none": an empty BMPString and no password.
  std::vector<const char*> candidates;
  if (have_passphrase) candidates.push_back(given.data());
  candidates.push_back("");
  candidates.push_back(nullptr);

  if (PKCS12_mac_present(p12) == 1) {
    const auto verified = std::find_if(candidates.begin(), candidates.end(), [&](const char* pass) {
      ERR_set_mark();
      const bool ok = PKCS12_verify_mac(p12, pass, pass_length(pass)) == 1;
      ERR_pop_to_mark();
      return ok;
    });
    if (verified != candidates.end()) {
      ERR_set_mark();
      auto contents = open_pkcs12(p12, *verified);
      if (!contents) {
        ERR_clear_last_mark();
        throw_openssl(ErrorCode::unsupported,
                      "The PKCS#12 file cannot be decrypted: it uses an algorithm that is not "
                      "supported (such as RC2-40); export it again with AES-256");
      }
      ERR_pop_to_mark();
      return arrange(std::move(*contents));
    }
  } else {
    // Without a MAC, a wrong passphrase shows up only as a part that does not decrypt.
    for (const char* pass : candidates) {
      ERR_set_mark();
      auto contents = open_pkcs12(p12, pass);
      ERR_pop_to_mark();
      if (contents) return arrange(std::move(*contents));
    }
  }
  throw Error(ErrorCode::bad_passphrase, have_passphrase
                                             ? "The PKCS#12 passphrase is wrong"
                                             : "The PKCS#12 file requires a passphrase");
}

// ---- DER ---------------------------------------------------------------------------------

// Decodes all of `input` or nothing: trailing bytes mean it is not the structure it claims.
template <class Ptr, class Decode>
Ptr decode_whole(std::span<const unsigned char> input, Decode decode) {
  const unsigned char* cursor = input.data();
  Ptr object(decode(nullptr, &cursor, static_cast<long>(input.size())));
  if (object && cursor != input.data() + input.size()) object.reset();
  return object;
}

// nullopt when the bytes are none of the DER formats; the error queue is left clean.
std::optional<CertificateInput> read_der(std::span<const unsigned char> input,
                                         const SecretString* passphrase) {
  ERR_set_mark();
  if (X509Ptr cert = decode_whole<X509Ptr>(input, d2i_X509)) {
    ERR_pop_to_mark();
    CertificateInput result;
    result.certificates.push_back(std::move(cert));
    return result;
  }
  if (Pkcs7Ptr p7 = decode_whole<Pkcs7Ptr>(input, d2i_PKCS7)) {
    ERR_pop_to_mark();
    CertificateInput result;
    if (!take_pkcs7_certificates(p7.get(), result.certificates)) {
      refuse("The PKCS#7 file is not a certificate bundle (certs-only SignedData)");
    }
    if (result.certificates.empty()) refuse("The PKCS#7 file contains no certificate");
    return result;
  }
  Pkcs12Ptr p12 = decode_whole<Pkcs12Ptr>(input, d2i_PKCS12);
  ERR_pop_to_mark();
  if (p12) return read_pkcs12(p12.get(), passphrase);
  return std::nullopt;
}

// Why bytes that start like DER did not decode, in words a user can act on.
std::string der_failure(std::span<const unsigned char> input) {
  const unsigned char* cursor = input.data();
  long length = 0;
  int tag = 0;
  int xclass = 0;
  ERR_set_mark();
  const int flags =
      ASN1_get_object(&cursor, &length, &tag, &xclass, static_cast<long>(input.size()));
  ERR_pop_to_mark();
  // A header that cannot be read leaves the cursor where it was.
  if (cursor == input.data()) return "The file looks like DER but is corrupt";
  const bool definite_length = (flags & 0x01) == 0;
  const auto needed =
      static_cast<std::size_t>(cursor - input.data()) + static_cast<std::size_t>(length);
  if (definite_length && needed > input.size()) {
    return "The DER data is truncated (the structure needs " + std::to_string(needed) +
           " bytes, the file has " + std::to_string(input.size()) + ")";
  }
  if ((flags & 0x80) != 0) return "The file looks like DER but is corrupt";
  if (definite_length && needed < input.size()) {
    return "The DER structure is followed by " + std::to_string(input.size() - needed) +
           " unexpected bytes";
  }
  return "The DER data is not a certificate, PKCS#7 or PKCS#12 structure (a private key or "
         "other data?)";
}

// ---- PEM ---------------------------------------------------------------------------------

enum class BlockKind { certificate, trusted_certificate, pkcs7, other };

BlockKind kind_of(std::string_view label) {
  if (label == "CERTIFICATE" || label == "X509 CERTIFICATE" || label == "X.509 CERTIFICATE") {
    return BlockKind::certificate;
  }
  if (label == "TRUSTED CERTIFICATE") return BlockKind::trusted_certificate;
  if (label == "PKCS7" || label == "PKCS #7 SIGNED DATA" || label == "CMS") {
    return BlockKind::pkcs7;
  }
  return BlockKind::other;
}

// Reads one certificate-kind block into `out`; returns the problem text on failure.
std::optional<std::string> read_block(const PemBlock& block, BlockKind kind,
                                      std::vector<X509Ptr>& out) {
  const char* corrupt = kind == BlockKind::pkcs7
                            ? "not a valid PKCS#7 certificate bundle (truncated or corrupt)"
                            : "not a valid certificate (truncated or corrupt)";
  if (!block.complete) return std::string(corrupt) + ": its END line is missing";
  const auto der = block.der();
  if (!der) return std::string(corrupt);
  const std::span<const unsigned char> bytes(*der);
  X509Ptr cert;
  switch (kind) {
    case BlockKind::certificate:
      cert = decode_whole<X509Ptr>(bytes, d2i_X509);
      break;
    case BlockKind::trusted_certificate:
      cert = decode_whole<X509Ptr>(bytes, d2i_X509_AUX);
      break;
    case BlockKind::pkcs7: {
      Pkcs7Ptr p7 = decode_whole<Pkcs7Ptr>(bytes, d2i_PKCS7);
      if (!p7) return std::string(corrupt);
      const std::size_t before = out.size();
      if (!take_pkcs7_certificates(p7.get(), out)) {
        return std::string("a PKCS#7 structure that is not a certificate bundle");
      }
      if (out.size() == before) return std::string("a PKCS#7 bundle without certificates");
      return std::nullopt;
    }
    case BlockKind::other:
      return std::nullopt;
  }
  if (!cert) return std::string(corrupt);
  out.push_back(std::move(cert));
  return std::nullopt;
}

// The labels of PEM blocks that are not certificates, for the message that names them: each
// once, at most ten, each cut to 64 characters.
struct OtherLabels {
  static constexpr std::size_t kNamed = 10;
  std::vector<std::string> named;
  std::unordered_map<std::string, bool> seen;
  bool has_key = false;
  void add(const std::string& label) {
    has_key = has_key || label.find("PRIVATE KEY") != std::string::npos;
    if (!seen.try_emplace(label, true).second) return;
    if (named.size() < kNamed) named.push_back(label.substr(0, 64));
  }
  std::string text() const {
    std::string found;
    for (const auto& label : named) found += (found.empty() ? "" : ", ") + label;
    if (seen.size() > named.size()) {
      found += " and " + std::to_string(seen.size() - named.size()) + " other types";
    }
    return found;
  }
};

// Problems with the same message are one entry with a count: 100,000 broken blocks must not
// make a report (and an audit entry) as large as the input.
class ProblemList {
 public:
  explicit ProblemList(std::vector<InputProblem>& out) : out_(out) {}
  void add(std::string item, std::string message) {
    auto [it, inserted] = index_.try_emplace(message, out_.size());
    if (inserted) {
      out_.push_back({std::move(item), std::move(message), 1});
    } else {
      ++out_[it->second].count;
    }
  }

 private:
  std::vector<InputProblem>& out_;
  std::unordered_map<std::string, std::size_t> index_;
};

std::string describe_problems(const std::vector<InputProblem>& problems) {
  std::string detail;
  for (const auto& p : problems) {
    detail += (detail.empty() ? "" : "; ") + p.item;
    if (p.count > 1) detail += " and " + std::to_string(p.count - 1) + " more";
    detail += ": " + p.message;
  }
  return detail;
}

CertificateInput read_pem(std::span<const unsigned char> input) {
  if (const auto at = first_non_text_byte(input)) {
    refuse("The file looks like PEM but contains invalid UTF-8 or binary data (byte " +
           std::to_string(*at + 1) + "); provide PEM text or a DER, PKCS#7 or PKCS#12 file");
  }
  std::string_view text = as_text(input);
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // byte order mark (Notepad)
  const std::vector<PemBlock> blocks = scan_pem(text);
  if (blocks.empty()) refuse("The file looks like PEM but contains no complete PEM block");

  CertificateInput result;
  ProblemList problems(result.problems);
  OtherLabels other_labels;
  bool saw_certificate_block = false;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const BlockKind kind = kind_of(blocks[i].label);
    if (kind == BlockKind::other) {
      other_labels.add(blocks[i].label);
      continue;  // keys and other objects are imported elsewhere (SPEC §6)
    }
    saw_certificate_block = true;
    ERR_set_mark();
    auto problem = read_block(blocks[i], kind, result.certificates);
    ERR_pop_to_mark();
    if (problem) problems.add("PEM block " + std::to_string(i + 1), std::move(*problem));
  }
  if (!saw_certificate_block) {
    refuse("The file contains no certificate, only PEM blocks of type " + other_labels.text() +
           (other_labels.has_key ? " (private keys are imported separately)" : ""));
  }
  if (result.certificates.empty()) {
    refuse("No certificate could be read (" + describe_problems(result.problems) + ")");
  }
  return result;
}

}  // namespace

CertificateInput read_certificate_input(std::span<const unsigned char> input,
                                        const SecretString* passphrase) {
  if (input.empty()) refuse("The file is empty");
  const std::string_view text = as_text(input);
  if (text.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos) {
    refuse("The file contains only whitespace");
  }
  // DER first when the bytes start like an ASN.1 SEQUENCE: binary data may contain anything,
  // including the PEM marker.
  const bool der_like = input[0] == 0x30;
  if (der_like) {
    if (auto result = read_der(input, passphrase)) return std::move(*result);
  }
  if (text.find(kBeginMarker) != std::string_view::npos) return read_pem(input);
  if (der_like) refuse(der_failure(input));
  if (!first_non_text_byte(input)) refuse("The file is text but contains no PEM block");
  refuse("The file is neither PEM text nor a DER certificate, PKCS#7 or PKCS#12 file");
}

}  // namespace smime::certs
