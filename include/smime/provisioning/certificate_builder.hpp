// PKCS#10 requests and self-signed certificates for S/MIME keys, and self-signed TLS server
// certificates (smimed's own). The signing key is usually a token key handed over by
// pkcs11-provider; the public key is a software copy of its pair.
#pragma once

#include <string>
#include <vector>

#include "smime/common/handles.hpp"

namespace smime::provisioning {

struct SmimeIdentity {
  std::string subject;  // "CN=Support,O=Example" or "/CN=Support/O=Example"; may be empty
  std::vector<std::string> emails;  // rfc822Name SAN entries; the first is also the default CN
};

// Parses a distinguished name in RFC 4514 ("CN=a,O=b", with backslash escapes) or OpenSSL's
// slash form ("/CN=a/O=b"). Throws Error(invalid_input) naming the bad attribute.
// Both forms keep the order as written: the first attribute becomes the first RDN, as with
// `openssl req -subj` (a strict RFC 4514 reading would reverse the comma form). RFC 4514's
// '+' joins attributes into one multi-valued RDN; "#hex" values are not accepted.
X509NamePtr parse_distinguished_name(const std::string& text);

// Subject from identity.subject, or CN=<first email> when it is empty.
X509NamePtr subject_name_for(const SmimeIdentity& identity);

// Digest that goes with the key: SHA-384 for P-384, SHA-256 otherwise.
const EVP_MD* digest_for(const EVP_PKEY* key);

// A CSR carrying SAN emails, Key Usage (digitalSignature + keyEncipherment for RSA,
// digitalSignature + keyAgreement for EC) and EKU emailProtection, signed by signing_key.
// public_key and signing_key are the two halves of one pair (they may be the same object).
X509ReqPtr build_csr(const SmimeIdentity& identity, EVP_PKEY* public_key, EVP_PKEY* signing_key);

// A self-signed end-entity S/MIME certificate valid for `days` days from now, with the same
// extensions as the CSR plus subject/authority key identifiers and basicConstraints CA:FALSE.
X509Ptr build_self_signed(const SmimeIdentity& identity, EVP_PKEY* public_key,
                          EVP_PKEY* signing_key, int days);

struct TlsServerIdentity {
  // Host names (dNSName) and IPv4/IPv6 addresses (iPAddress) of the subjectAltName; the first
  // is also the CN ("smimed" when there is none).
  std::vector<std::string> names;
  std::string organization = "smimed";  // O of the subject; empty: none
};

// A self-signed TLS server certificate valid for `days` days (1 to 3650, from an hour ago for
// clients whose clock is a little behind): basicConstraints CA:FALSE, Key Usage
// digitalSignature (+ keyEncipherment for RSA), EKU serverAuth, the names as SAN, subject and
// authority key identifiers. Error(invalid_input) for a name with spaces, control or non-ASCII
// characters.
X509Ptr build_tls_server_certificate(const TlsServerIdentity& identity, EVP_PKEY* public_key,
                                     EVP_PKEY* signing_key, int days);

std::string to_pem(const X509_REQ* request);  // certificates: smime::certificate_pem
std::vector<unsigned char> to_der(const X509* certificate);

}  // namespace smime::provisioning
