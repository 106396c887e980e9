#include "smime/provisioning/certificate_builder.hpp"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "smime/common/error.hpp"
#include "smime/common/pem.hpp"

namespace smime::provisioning {
namespace {

namespace fs = std::filesystem;

enum class Kind { rsa2048, p256, p384 };

EvpPkeyPtr generate(Kind kind) {
  EvpPkeyPtr key;
  switch (kind) {
    case Kind::rsa2048:
      key.reset(EVP_RSA_gen(2048));
      break;
    case Kind::p256:
      key.reset(EVP_EC_gen("P-256"));
      break;
    case Kind::p384:
      key.reset(EVP_EC_gen("P-384"));
      break;
  }
  if (!key) {
    throw std::runtime_error("key generation failed");
  }
  return key;
}

// Keys are slow to make (RSA); every test shares one of each kind.
EVP_PKEY* shared_key(Kind kind) {
  static EvpPkeyPtr keys[] = {generate(Kind::rsa2048), generate(Kind::p256), generate(Kind::p384)};
  return keys[static_cast<int>(kind)].get();
}

// The public half alone, as a separate object: the shape the builder gets with a token key.
EvpPkeyPtr public_only(const EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key, &der);
  OpensslBytesPtr owned(der);
  if (length <= 0) {
    throw std::runtime_error("i2d_PUBKEY failed");
  }
  const unsigned char* p = owned.get();
  EvpPkeyPtr pub(d2i_PUBKEY(nullptr, &p, length));
  if (!pub) {
    throw std::runtime_error("d2i_PUBKEY failed");
  }
  return pub;
}

struct Pair {
  EvpPkeyPtr public_key;
  EVP_PKEY* signing_key;
};

Pair pair_of(Kind kind) {
  return {public_only(shared_key(kind)), shared_key(kind)};
}

const SmimeIdentity kAlice{"CN=Alice Example,O=Example\\, Inc.,C=DE",
                           {"alice@example.com", "alice.smith+smime@mail.example.org"}};

// What an S/MIME profile check cares about in a set of extensions.
struct Profile {
  int count = 0;
  std::vector<std::string> emails;
  int other_names = 0;
  bool san_critical = true;
  bool ku_critical = false;
  std::set<int> ku_bits;
  bool eku_critical = true;
  std::vector<int> eku;
};

Profile profile_of(const STACK_OF(X509_EXTENSION) * extensions) {
  Profile p;
  p.count = sk_X509_EXTENSION_num(extensions);
  int critical = -1;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509V3_get_d2i(extensions, NID_subject_alt_name, &critical, nullptr)));
  p.san_critical = critical == 1;
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_EMAIL) {
      ++p.other_names;
      continue;
    }
    const ASN1_IA5STRING* email = name->d.rfc822Name;
    p.emails.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(email)),
                          static_cast<std::size_t>(ASN1_STRING_length(email)));
  }
  Asn1BitStringPtr usage(
      static_cast<ASN1_BIT_STRING*>(X509V3_get_d2i(extensions, NID_key_usage, &critical, nullptr)));
  p.ku_critical = critical == 1;
  for (int bit = 0; usage && bit < 9; ++bit) {
    if (ASN1_BIT_STRING_get_bit(usage.get(), bit) == 1) {
      p.ku_bits.insert(bit);
    }
  }
  ExtKeyUsagePtr eku(static_cast<EXTENDED_KEY_USAGE*>(
      X509V3_get_d2i(extensions, NID_ext_key_usage, &critical, nullptr)));
  p.eku_critical = critical == 1;
  for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    p.eku.push_back(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i)));
  }
  return p;
}

constexpr int kDigitalSignature = 0;
constexpr int kKeyEncipherment = 2;
constexpr int kKeyAgreement = 4;

void expect_smime_profile(const Profile& p, const SmimeIdentity& identity,
                          const std::set<int>& ku_bits) {
  EXPECT_EQ(p.emails, identity.emails);
  EXPECT_EQ(p.other_names, 0);
  EXPECT_FALSE(p.san_critical);
  EXPECT_TRUE(p.ku_critical);
  EXPECT_EQ(p.ku_bits, ku_bits);
  EXPECT_FALSE(p.eku_critical);
  EXPECT_EQ(p.eku, std::vector<int>{NID_email_protect});
}

X509ExtensionsPtr extensions_of(const X509_REQ* request) {
  return X509ExtensionsPtr(X509_REQ_get_extensions(const_cast<X509_REQ*>(request)));
}

ErrorCode error_code_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no smime::Error was thrown";
  return ErrorCode::internal;
}

struct CommandResult {
  int status = -1;
  std::string output;
};

CommandResult run(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
    result.output += buffer;
  }
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "smime-cert-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  fs::path write(const std::string& name, const std::string& content) const {
    fs::path file = path_ / name;
    std::ofstream(file) << content;
    return file;
  }

 private:
  fs::path path_;
};

TEST(CertificateBuilder, DigestMatchesTheKey) {
  EXPECT_EQ(EVP_MD_get_type(digest_for(shared_key(Kind::rsa2048))), NID_sha256);
  EXPECT_EQ(EVP_MD_get_type(digest_for(shared_key(Kind::p256))), NID_sha256);
  EXPECT_EQ(EVP_MD_get_type(digest_for(shared_key(Kind::p384))), NID_sha384);
  EXPECT_EQ(EVP_MD_get_type(digest_for(public_only(shared_key(Kind::p384)).get())), NID_sha384);
}

TEST(CertificateBuilder, RsaCsrCarriesSubjectSanKeyUsageAndEku) {
  Pair keys = pair_of(Kind::rsa2048);
  X509ReqPtr request = build_csr(kAlice, keys.public_key.get(), keys.signing_key);
  ASSERT_TRUE(request);

  X509NamePtr expected = parse_distinguished_name(kAlice.subject);
  EXPECT_EQ(X509_NAME_cmp(X509_REQ_get_subject_name(request.get()), expected.get()), 0);
  EXPECT_EQ(X509_REQ_get_version(request.get()), X509_REQ_VERSION_1);
  EXPECT_EQ(EVP_PKEY_eq(X509_REQ_get0_pubkey(request.get()), keys.public_key.get()), 1);
  EXPECT_EQ(X509_REQ_get_signature_nid(request.get()), NID_sha256WithRSAEncryption);
  EXPECT_EQ(X509_REQ_verify(request.get(), keys.public_key.get()), 1);

  X509ExtensionsPtr extensions = extensions_of(request.get());
  ASSERT_TRUE(extensions);
  const Profile p = profile_of(extensions.get());
  EXPECT_EQ(p.count, 3);
  expect_smime_profile(p, kAlice, {kDigitalSignature, kKeyEncipherment});
}

TEST(CertificateBuilder, EcCsrUsesKeyAgreement) {
  Pair keys = pair_of(Kind::p256);
  X509ReqPtr request = build_csr(kAlice, keys.public_key.get(), keys.signing_key);
  EXPECT_EQ(X509_REQ_get_signature_nid(request.get()), NID_ecdsa_with_SHA256);
  EXPECT_EQ(X509_REQ_verify(request.get(), keys.public_key.get()), 1);
  X509ExtensionsPtr extensions = extensions_of(request.get());
  ASSERT_TRUE(extensions);
  expect_smime_profile(profile_of(extensions.get()), kAlice, {kDigitalSignature, kKeyAgreement});
}

TEST(CertificateBuilder, P384IsSignedWithSha384) {
  Pair keys = pair_of(Kind::p384);
  X509ReqPtr request = build_csr(kAlice, keys.public_key.get(), keys.signing_key);
  EXPECT_EQ(X509_REQ_get_signature_nid(request.get()), NID_ecdsa_with_SHA384);
  X509Ptr certificate = build_self_signed(kAlice, keys.public_key.get(), keys.signing_key, 30);
  EXPECT_EQ(X509_get_signature_nid(certificate.get()), NID_ecdsa_with_SHA384);
  EXPECT_EQ(X509_verify(certificate.get(), keys.public_key.get()), 1);
}

TEST(CertificateBuilder, SubjectDefaultsToFirstEmail) {
  Pair keys = pair_of(Kind::p256);
  const SmimeIdentity identity{"", {"bob@example.com", "robert@example.com"}};
  X509ReqPtr request = build_csr(identity, keys.public_key.get(), keys.signing_key);
  const X509_NAME* subject = X509_REQ_get_subject_name(request.get());
  ASSERT_EQ(X509_NAME_entry_count(subject), 1);
  char cn[256] = {};
  ASSERT_GT(
      X509_NAME_get_text_by_NID(const_cast<X509_NAME*>(subject), NID_commonName, cn, sizeof cn), 0);
  EXPECT_STREQ(cn, "bob@example.com");
}

TEST(CertificateBuilder, SelfSignedCertificateHasTheEndEntityProfile) {
  Pair keys = pair_of(Kind::rsa2048);
  const std::time_t before = std::time(nullptr);
  X509Ptr certificate = build_self_signed(kAlice, keys.public_key.get(), keys.signing_key, 365);
  ASSERT_TRUE(certificate);
  X509* cert = certificate.get();

  EXPECT_EQ(X509_get_version(cert), X509_VERSION_3);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)), 0);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(cert), keys.public_key.get()), 1);
  EXPECT_EQ(X509_get_signature_nid(cert), NID_sha256WithRSAEncryption);
  EXPECT_EQ(X509_verify(cert, keys.public_key.get()), 1);

  // Validity: from now, for exactly the requested number of days.
  std::time_t earliest = before - 5;
  EXPECT_GE(X509_cmp_time(X509_get0_notBefore(cert), &earliest), 0);
  std::time_t latest = std::time(nullptr) + 5;
  EXPECT_LE(X509_cmp_time(X509_get0_notBefore(cert), &latest), 0);
  int days = 0;
  int seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert), X509_get0_notAfter(cert)),
            1);
  EXPECT_EQ(days, 365);
  EXPECT_EQ(seconds, 0);

  // Serial: positive, random, at most 128 bits.
  BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  ASSERT_TRUE(serial);
  EXPECT_FALSE(BN_is_negative(serial.get()));
  EXPECT_FALSE(BN_is_zero(serial.get()));
  EXPECT_LE(BN_num_bits(serial.get()), 128);
  EXPECT_GT(BN_num_bits(serial.get()), 64);  // fails with probability 2^-64
  X509Ptr second = build_self_signed(kAlice, keys.public_key.get(), keys.signing_key, 365);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(cert), X509_get0_serialNumber(second.get())),
            0);

  const Profile p = profile_of(X509_get0_extensions(cert));
  EXPECT_EQ(p.count, 6);
  expect_smime_profile(p, kAlice, {kDigitalSignature, kKeyEncipherment});

  int critical = -1;
  BasicConstraintsPtr constraints(static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(cert, NID_basic_constraints, &critical, nullptr)));
  ASSERT_TRUE(constraints);
  EXPECT_EQ(critical, 1);
  EXPECT_EQ(constraints->ca, 0);
  EXPECT_EQ(X509_check_ca(cert), 0);

  // SKI is the SHA-1 of the public key bits; AKI names the same key by keyid only.
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(cert);
  ASSERT_NE(ski, nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  ASSERT_EQ(X509_pubkey_digest(cert, EVP_sha1(), digest, &length), 1);
  ASSERT_EQ(ASN1_STRING_length(ski), static_cast<int>(length));
  EXPECT_EQ(std::memcmp(ASN1_STRING_get0_data(ski), digest, length), 0);
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(cert);
  ASSERT_NE(aki, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(aki, ski), 0);
  EXPECT_EQ(X509_get0_authority_issuer(cert), nullptr);
  EXPECT_EQ(X509_get0_authority_serial(cert), nullptr);

  EXPECT_EQ(X509_check_purpose(cert, X509_PURPOSE_SMIME_SIGN, 0), 1);
}

TEST(CertificateBuilder, EcCertificateUsesKeyAgreement) {
  Pair keys = pair_of(Kind::p256);
  X509Ptr certificate = build_self_signed(kAlice, keys.public_key.get(), keys.signing_key, 1);
  EXPECT_EQ(X509_get_signature_nid(certificate.get()), NID_ecdsa_with_SHA256);
  expect_smime_profile(profile_of(X509_get0_extensions(certificate.get())), kAlice,
                       {kDigitalSignature, kKeyAgreement});
}

// The external check: the openssl tool accepts what we produce, for every key kind.
TEST(CertificateBuilder, OpensslCliVerifiesCertificateAndCsr) {
  TempDir dir;
  for (Kind kind : {Kind::rsa2048, Kind::p256, Kind::p384}) {
    SCOPED_TRACE(static_cast<int>(kind));
    Pair keys = pair_of(kind);
    X509Ptr certificate = build_self_signed(kAlice, keys.public_key.get(), keys.signing_key, 90);
    X509ReqPtr request = build_csr(kAlice, keys.public_key.get(), keys.signing_key);
    const fs::path cert = dir.write("cert.pem", certificate_pem(certificate.get()));
    const fs::path csr = dir.write("csr.pem", to_pem(request.get()));

    const CommandResult verify = run("openssl verify -purpose smimesign -CAfile '" + cert.string() +
                                     "' '" + cert.string() + "'");
    EXPECT_EQ(verify.status, 0) << verify.output;
    EXPECT_EQ(verify.output, cert.string() + ": OK\n");

    const CommandResult req = run("openssl req -verify -noout -in '" + csr.string() + "'");
    EXPECT_EQ(req.status, 0) << req.output;
    EXPECT_NE(req.output.find("verify OK"), std::string::npos) << req.output;
  }
}

TEST(CertificateBuilder, PemAndDerRoundTrip) {
  Pair keys = pair_of(Kind::p256);
  X509Ptr certificate = build_self_signed(kAlice, keys.public_key.get(), keys.signing_key, 10);

  const std::vector<unsigned char> der = to_der(certificate.get());
  const unsigned char* p = der.data();
  X509Ptr from_der(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  ASSERT_TRUE(from_der);
  EXPECT_EQ(p, der.data() + der.size());
  EXPECT_EQ(X509_cmp(from_der.get(), certificate.get()), 0);

  const std::string pem = certificate_pem(certificate.get());
  EXPECT_EQ(pem.rfind("-----BEGIN CERTIFICATE-----\n", 0), 0U);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr from_pem(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(from_pem);
  EXPECT_EQ(X509_cmp(from_pem.get(), certificate.get()), 0);

  X509ReqPtr request = build_csr(kAlice, keys.public_key.get(), keys.signing_key);
  const std::string csr_pem = to_pem(request.get());
  EXPECT_EQ(csr_pem.rfind("-----BEGIN CERTIFICATE REQUEST-----\n", 0), 0U);
  BioPtr csr_bio(BIO_new_mem_buf(csr_pem.data(), static_cast<int>(csr_pem.size())));
  X509ReqPtr parsed(PEM_read_bio_X509_REQ(csr_bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(X509_REQ_verify(parsed.get(), keys.public_key.get()), 1);
}

TEST(CertificateBuilder, RequiresAtLeastOneEmail) {
  Pair keys = pair_of(Kind::p256);
  const SmimeIdentity no_email{"CN=Nobody", {}};
  EXPECT_EQ(error_code_of([&] { build_csr(no_email, keys.public_key.get(), keys.signing_key); }),
            ErrorCode::invalid_input);
  EXPECT_EQ(error_code_of(
                [&] { build_self_signed(no_email, keys.public_key.get(), keys.signing_key, 30); }),
            ErrorCode::invalid_input);
}

TEST(CertificateBuilder, RejectsMalformedEmails) {
  Pair keys = pair_of(Kind::p256);
  const std::vector<std::string> bad_emails = {"no-at-sign",
                                               "a b@example.com",
                                               "alice@example.com ",
                                               "@example.com",
                                               "alice@",
                                               "a@b@example.com",
                                               "alice@.example.com",
                                               "alice@example..com",
                                               "alice@example.com.",
                                               "j\xC3\xBCrgen@example.com",
                                               std::string("alice\0@example.com", 18),
                                               ""};
  for (const std::string& bad : bad_emails) {
    SCOPED_TRACE(bad);
    const SmimeIdentity identity{"CN=Alice", {"ok@example.com", bad}};
    EXPECT_EQ(error_code_of([&] { build_csr(identity, keys.public_key.get(), keys.signing_key); }),
              ErrorCode::invalid_input);
  }
}

TEST(CertificateBuilder, RejectsValidityOutsideOneToTenYears) {
  Pair keys = pair_of(Kind::p256);
  for (int days : {0, -1, 3651, 100000}) {
    SCOPED_TRACE(days);
    EXPECT_EQ(error_code_of([&] {
                build_self_signed(kAlice, keys.public_key.get(), keys.signing_key, days);
              }),
              ErrorCode::invalid_input);
  }
  X509Ptr longest = build_self_signed(kAlice, keys.public_key.get(), keys.signing_key, 3650);
  int days = 0;
  int seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(longest.get()),
                           X509_get0_notAfter(longest.get())),
            1);
  EXPECT_EQ(days, 3650);
}

TEST(CertificateBuilder, InvalidSubjectIsReported) {
  Pair keys = pair_of(Kind::p256);
  const SmimeIdentity identity{"CN=Alice,XYZ=1", {"alice@example.com"}};
  try {
    build_csr(identity, keys.public_key.get(), keys.signing_key);
    FAIL() << "an unknown attribute was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_input);
    EXPECT_NE(std::string(e.what()).find("Unknown attribute 'XYZ'"), std::string::npos);
  }
}

// A signer that does not belong to the public key (a wrong token object, a broken token)
// must not produce a CSR or certificate.
TEST(CertificateBuilder, SignatureThatDoesNotVerifyIsRefused) {
  EvpPkeyPtr other = generate(Kind::p256);
  EvpPkeyPtr public_key = public_only(shared_key(Kind::p256));
  EXPECT_EQ(error_code_of([&] { build_csr(kAlice, public_key.get(), other.get()); }),
            ErrorCode::crypto);
  EXPECT_EQ(error_code_of([&] { build_self_signed(kAlice, public_key.get(), other.get(), 30); }),
            ErrorCode::crypto);
  // Different algorithms altogether.
  EvpPkeyPtr rsa_public = public_only(shared_key(Kind::rsa2048));
  EXPECT_EQ(error_code_of([&] { build_csr(kAlice, rsa_public.get(), shared_key(Kind::p384)); }),
            ErrorCode::crypto);
}

TEST(CertificateBuilder, RejectsKeysThatAreNeitherRsaNorEc) {
  EvpPkeyPtr ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  ASSERT_TRUE(ed25519);
  EXPECT_EQ(error_code_of([&] { build_csr(kAlice, ed25519.get(), ed25519.get()); }),
            ErrorCode::unsupported);
}

TEST(CertificateBuilder, RejectsMissingKeys) {
  EXPECT_EQ(error_code_of([&] { build_csr(kAlice, nullptr, shared_key(Kind::p256)); }),
            ErrorCode::invalid_input);
  EXPECT_EQ(error_code_of([&] { build_self_signed(kAlice, shared_key(Kind::p256), nullptr, 30); }),
            ErrorCode::invalid_input);
}

// smimed's own certificate comes from the same builder, with the TLS server profile.
TEST(CertificateBuilder, TlsServerCertificateNamesItsHostsAndServesOnlyTls) {
  Pair keys = pair_of(Kind::p256);
  const TlsServerIdentity identity{{"mail.example.org", "127.0.0.1", "::1"}};
  const std::time_t before = std::time(nullptr);
  X509Ptr certificate =
      build_tls_server_certificate(identity, keys.public_key.get(), keys.signing_key, 825);
  X509* cert = certificate.get();

  EXPECT_EQ(X509_verify(cert, keys.public_key.get()), 1);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)), 0);
  EXPECT_EQ(X509_check_host(cert, "mail.example.org", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert, "other.example.org", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "::1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "10.0.0.1", 0), 0);
  EXPECT_EQ(X509_check_purpose(cert, X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_EQ(X509_check_purpose(cert, X509_PURPOSE_SMIME_SIGN, 0), 0) << "not for S/MIME";
  EXPECT_EQ(X509_check_ca(cert), 0);
  EXPECT_EQ(X509_get_key_usage(cert), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_NE(X509_get0_subject_key_id(cert), nullptr);

  char common_name[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, common_name,
                            sizeof common_name);
  EXPECT_STREQ(common_name, "mail.example.org");
  // Valid from an hour ago (clients whose clock is behind), for the days asked.
  std::time_t hour_ago = before - 3600 + 5;
  EXPECT_LE(X509_cmp_time(X509_get0_notBefore(cert), &hour_ago), 0);
  int days = 0;
  int seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert), X509_get0_notAfter(cert)),
            1);
  EXPECT_EQ(days, 825);
  EXPECT_EQ(seconds, 3600);
}

TEST(CertificateBuilder, TlsServerCertificateForAnRsaKeyAllowsKeyEncipherment) {
  Pair keys = pair_of(Kind::rsa2048);
  X509Ptr cert = build_tls_server_certificate({}, keys.public_key.get(), keys.signing_key, 30);
  EXPECT_EQ(X509_get_key_usage(cert.get()),
            static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  char common_name[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, common_name,
                            sizeof common_name);
  EXPECT_STREQ(common_name, "smimed") << "no names: a CN of its own";
  EXPECT_EQ(X509_get_ext_by_NID(cert.get(), NID_subject_alt_name, -1), -1);
}

TEST(CertificateBuilder, TlsServerNamesAndValidityAreChecked) {
  Pair keys = pair_of(Kind::p256);
  for (const std::string name : {"", "two words", "bad\nname", "h\xc3\xa9llo.example"}) {
    try {
      build_tls_server_certificate({{name}}, keys.public_key.get(), keys.signing_key, 30);
      ADD_FAILURE() << "accepted '" << name << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_input) << name;
    }
  }
  for (int days : {0, 3651}) {
    EXPECT_THROW(build_tls_server_certificate({{"localhost"}}, keys.public_key.get(),
                                              keys.signing_key, days),
                 Error);
  }
}

}  // namespace
}  // namespace smime::provisioning
