#include "support/hostile_mail.hpp"

#include <openssl/cms.h>

#include <stdexcept>

#include "smime/common/handles.hpp"

namespace smime::test {
namespace {

std::vector<unsigned char> to_der(CMS_ContentInfo* cms) {
  unsigned char* raw = nullptr;
  const int n = i2d_CMS_ContentInfo(cms, &raw);
  if (n <= 0) throw std::runtime_error("test: i2d_CMS_ContentInfo");
  OpensslBytesPtr owner(raw);
  return {raw, raw + n};
}

std::string base64_lines(const std::vector<unsigned char>& der) {
  std::string out;
  for (std::size_t pos = 0; pos < der.size(); pos += 57) {
    const std::size_t n = std::min<std::size_t>(57, der.size() - pos);
    std::string line(4 * ((n + 2) / 3) + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(line.data()),
                                        der.data() + pos, static_cast<int>(n));
    line.resize(static_cast<std::size_t>(written));
    out += line + "\r\n";
  }
  return out;
}

CmsPtr encrypt(const std::string& entity, const X509* recipient, std::size_t copies,
               const EVP_CIPHER* cipher) {
  X509StackPtr certs(sk_X509_new_null());
  for (std::size_t i = 0; i < copies; ++i) {
    X509* cert = const_cast<X509*>(recipient);
    X509_up_ref(cert);
    sk_X509_push(certs.get(), cert);
  }
  BioPtr in(BIO_new_mem_buf(entity.data(), static_cast<int>(entity.size())));
  CmsPtr cms(CMS_encrypt(certs.get(), in.get(), cipher, CMS_BINARY));
  if (!cms) throw std::runtime_error("test: CMS_encrypt");
  return cms;
}

}  // namespace

std::string outer_headers(const std::string& from, const std::string& to) {
  return "From: " + from + "\r\nTo: " + to +
         "\r\nSubject: hostile\r\nMessage-ID: <hostile@example.org>\r\n";
}

std::string with_headers(const std::string& headers, const std::string& entity) {
  return headers + "MIME-Version: 1.0\r\n" + entity;
}

std::string many_parts_message(std::size_t parts, const std::string& from) {
  std::string body;
  body.reserve(parts * 12 + 64);
  for (std::size_t i = 0; i < parts; ++i) body += "--b\r\n\r\nx\r\n";
  body += "--b--\r\n";
  return with_headers(outer_headers(from, "alice@example.com"),
                      "Content-Type: multipart/mixed; boundary=b\r\n\r\n" + body);
}

std::string deeply_nested_message(std::size_t depth, const std::string& from) {
  std::string open;
  std::string close;
  for (std::size_t i = 0; i < depth; ++i) {
    const std::string b = "n" + std::to_string(i);
    open += "Content-Type: multipart/mixed; boundary=" + b + "\r\n\r\n--" + b + "\r\n";
    close = "\r\n--" + b + "--\r\n" + close;
  }
  return with_headers(outer_headers(from, "alice@example.com"),
                      open + "Content-Type: text/plain\r\n\r\ninnermost" + close);
}

std::string many_addresses_message(std::size_t count, const std::string& from) {
  std::string to;
  to.reserve(count * 26);
  for (std::size_t i = 0; i < count; ++i) {
    to += (i == 0 ? "" : ",\r\n ") + std::string("rcpt") + std::to_string(i) + "@example.com";
  }
  return with_headers(outer_headers(from, to),
                      "Content-Type: text/plain; charset=us-ascii\r\n\r\nhello\r\n");
}

std::string pkcs7_mime_entity(const std::vector<unsigned char>& der, const std::string& smime_type,
                              bool binary) {
  std::string out =
      "Content-Type: application/pkcs7-mime; smime-type=" + smime_type +
      "; name=smime.p7m\r\nContent-Transfer-Encoding: " + (binary ? "binary" : "base64") +
      "\r\n\r\n";
  if (binary) {
    out.append(der.begin(), der.end());
  } else {
    out += base64_lines(der);
  }
  return out;
}

std::vector<unsigned char> opaque_signed(const std::string& entity, X509* signer, EVP_PKEY* key) {
  BioPtr in(BIO_new_mem_buf(entity.data(), static_cast<int>(entity.size())));
  CmsPtr cms(CMS_sign(signer, key, nullptr, in.get(), CMS_BINARY));
  if (!cms) throw std::runtime_error("test: CMS_sign");
  return to_der(cms.get());
}

std::string signed_layers(const std::string& entity, X509* signer, EVP_PKEY* key,
                          std::size_t layers) {
  std::string current = entity;
  for (std::size_t i = 0; i < layers; ++i) {
    current = pkcs7_mime_entity(opaque_signed(current, signer, key), "signed-data");
  }
  return current;
}

std::vector<unsigned char> envelope_with_copies(const std::string& entity, const X509* recipient,
                                                std::size_t copies, bool break_tag) {
  CmsPtr cms = encrypt(entity, recipient, copies, EVP_aes_256_gcm());
  std::vector<unsigned char> der = to_der(cms.get());
  // The MAC is the last field of AuthEnvelopedData (no unauthAttrs are written).
  if (break_tag) der.back() ^= 0x01;
  return der;
}

std::vector<unsigned char> enveloped(const std::string& entity, const X509* recipient) {
  return to_der(encrypt(entity, recipient, 1, EVP_aes_256_cbc()).get());
}

std::size_t longest_header_line(const std::string& message) {
  const std::size_t end = message.find("\r\n\r\n");
  const std::string_view headers(message.data(), end == std::string::npos ? message.size() : end);
  std::size_t longest = 0;
  for (std::size_t pos = 0; pos <= headers.size();) {
    const std::size_t lf = std::min(headers.find("\r\n", pos), headers.size());
    longest = std::max(longest, lf - pos);
    pos = lf + 2;
  }
  return longest;
}

}  // namespace smime::test
