// Messages a hostile sender writes (issue 11): many or deeply nested MIME parts, long address
// lists, many RecipientInfos, deep S/MIME nesting, binary inner entities, huge header lines.
// Built with OpenSSL and plain strings, independently of the engine under test.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstddef>
#include <string>
#include <vector>

namespace smime::test {

// "From: <from>\r\nTo: <to>\r\nSubject: ...\r\nMessage-ID: ...\r\n" (no empty line).
std::string outer_headers(const std::string& from, const std::string& to);

// A message whose content is multipart/mixed with `parts` tiny text parts (10 bytes each).
std::string many_parts_message(std::size_t parts, const std::string& from = "support@example.org");
// A message whose content is `depth` multiparts, each inside the previous one.
std::string deeply_nested_message(std::size_t depth,
                                  const std::string& from = "support@example.org");
// A message with `count` distinct To addresses (rcpt<N>@example.com).
std::string many_addresses_message(std::size_t count,
                                   const std::string& from = "support@example.org");

// application/pkcs7-mime entity for DER; base64 unless `binary` (Content-Transfer-Encoding:
// binary, the DER as it is).
std::string pkcs7_mime_entity(const std::vector<unsigned char>& der, const std::string& smime_type,
                              bool binary = false);
// Opaque SignedData of `entity` (CMS_BINARY) by a software key, as DER.
std::vector<unsigned char> opaque_signed(const std::string& entity, X509* signer, EVP_PKEY* key);
// `entity` wrapped in `layers` opaque signed-data layers, each signed by signer.
std::string signed_layers(const std::string& entity, X509* signer, EVP_PKEY* key,
                          std::size_t layers);
// AuthEnvelopedData (AES-256-GCM) of `entity` with `copies` RecipientInfos for `recipient`;
// with break_tag the authentication tag is altered, so every recipient's key decrypts the
// content key but the content never authenticates.
std::vector<unsigned char> envelope_with_copies(const std::string& entity, const X509* recipient,
                                                std::size_t copies, bool break_tag);
// EnvelopedData (AES-256-CBC) of `entity` for `recipient`, as DER.
std::vector<unsigned char> enveloped(const std::string& entity, const X509* recipient);

// A complete message: headers, "MIME-Version: 1.0", entity.
std::string with_headers(const std::string& headers, const std::string& entity);

// The longest line (without its CRLF) of the header block of `message`.
std::size_t longest_header_line(const std::string& message);

}  // namespace smime::test
