// Path validation as PKIX says (issue 16): only trust anchors end a chain, an expired CA breaks
// it and is named, CRLs of intermediates count when they chain to an anchor, revocation of every
// certificate in the chain, CRL freshness, per-check results per signature layer, and the
// signature algorithm (DSA and unknown OIDs unsupported, SHA-1 weak or refused by policy).
#include <gtest/gtest.h>
#include <openssl/err.h>

#include <algorithm>

#include "engine_fixture.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"
#include "support/correspondent_mail.hpp"
#include "support/test_keys.hpp"

namespace smime::test {
namespace {

using engine::SignatureStatus;

// A correspondent's client: detached signature by `signer` with the given digest, embedding the
// signer's certificate (or `embed_instead`) and `chain`.
std::string signed_with(const IssuedCertificate& signer, const std::vector<const X509*>& chain,
                        const std::string& message, const EVP_MD* md = EVP_sha256(),
                        const char* signature_oid = nullptr, const X509* embed_instead = nullptr) {
  return correspondent_signed(signer, message,
                              {.chain = chain,
                               .digest = md,
                               .embed_instead = embed_instead,
                               .signature_oid = signature_oid});
}

class EnginePkixTest : public EngineTest {
 protected:
  std::string from_alice() {
    return message({.from = "alice@example.com", .to = {"support@example.org"}});
  }

  // Stores a certificate as path-building material only (not an anchor); its fingerprint.
  std::string store_untrusted(const X509* cert) {
    auto report = certificates_->import_certificates(as_bytes(pem(cert)), nullptr, false, false);
    if (report.imported.size() != 1 || report.imported[0].record.trusted) {
      throw Error(ErrorCode::internal, "test: not stored untrusted");
    }
    return report.imported[0].record.sha256;
  }

  static IssuedCertificate intermediate(const IssuedCertificate& issuer, const std::string& name,
                                        int not_before_days = -30, int not_after_days = 3650) {
    CertificateSpec spec = CertificateSpec::authority(name);
    spec.not_before_days = not_before_days;
    spec.not_after_days = not_after_days;
    spec.issued_by(issuer);
    return issue_certificate(spec);
  }

  static IssuedCertificate leaf(const IssuedCertificate& issuer,
                                const std::string& email = "alice@example.com",
                                const std::string& key_kind = "rsa-2048") {
    CertificateSpec spec = CertificateSpec::smime(email, key_kind);
    spec.issued_by(issuer);
    return issue_certificate(spec);
  }
};

TEST_F(EnginePkixTest, ExpiredIntermediateIsAChainFailureThatNamesTheCa) {
  // Leaf valid until next year, its intermediate expired a year ago.
  auto expired_ca = intermediate(ca_, "Expired Intermediate CA", -3000, -365);
  auto alice = leaf(expired_ca);
  auto in = engine_->incoming(signed_with(alice, {expired_ca.cert.get()}, from_alice()));
  EXPECT_NE(in.signature, SignatureStatus::expired) << in.signature_reason;
  EXPECT_EQ(in.signature, SignatureStatus::invalid) << in.signature_reason;
  EXPECT_EQ(in.signature_reason.find("signer's certificate has expired"), std::string::npos);
  EXPECT_NE(in.signature_reason.find("CN=Expired Intermediate CA"), std::string::npos)
      << in.signature_reason;
  EXPECT_FALSE(in.ok());
  ASSERT_EQ(in.signatures.size(), 1u);
  const auto& checks = in.signatures[0].checks;
  EXPECT_EQ(checks.chain.status, "invalid");
  EXPECT_EQ(checks.chain.certificate, "CN=Expired Intermediate CA");
  EXPECT_EQ(checks.validity.status, "valid");  // the leaf itself is not expired
  EXPECT_EQ(checks.integrity.status, "valid");
}

TEST_F(EnginePkixTest, SenderMismatchDoesNotHideAChainFailure) {
  auto expired_ca = intermediate(ca_, "Expired Intermediate CA", -3000, -365);
  auto alice = leaf(expired_ca);
  const std::string wire =
      signed_with(alice, {expired_ca.cert.get()},
                  message({.from = "mallory@example.com", .to = {"support@example.org"}}));
  auto in = engine_->incoming(wire);
  EXPECT_EQ(in.signature, SignatureStatus::invalid) << in.signature_reason;
  ASSERT_EQ(in.signatures.size(), 1u);
  EXPECT_EQ(in.signatures[0].checks.sender_match.status, "mismatch");
  EXPECT_EQ(in.signatures[0].checks.chain.status, "invalid");
}

TEST_F(EnginePkixTest, AStoredIntermediateIsNotATrustAnchorUntilMadeOne) {
  auto other_root = issue_certificate(CertificateSpec::authority("Other Root"));
  auto issuing = intermediate(other_root, "Other Issuing CA");
  const std::string issuing_fp = store_untrusted(issuing.cert.get());
  auto alice = leaf(issuing);
  const std::string wire = signed_with(alice, {}, from_alice());
  auto first = engine_->incoming(wire);
  EXPECT_EQ(first.signature, SignatureStatus::unknown_signer) << first.signature_reason;
  ASSERT_EQ(first.missing.size(), 1u);
  EXPECT_EQ(first.missing[0].subject, "CN=Other Root");
  ASSERT_EQ(first.signatures.size(), 1u);
  EXPECT_EQ(first.signatures[0].checks.chain.status, "unknown_issuer");

  // The administrator makes the intermediate an anchor: the partial chain ends there.
  const auto record = certificates_->set_trust(issuing_fp, true);
  EXPECT_TRUE(record.trusted);
  auto second = engine_->incoming(wire);
  EXPECT_EQ(second.signature, SignatureStatus::valid) << second.signature_reason;
}

TEST_F(EnginePkixTest, ChainFileMembersAreStoredUntrustedAndTheRootIsAnAnchor) {
  auto root = issue_certificate(CertificateSpec::authority("Chain Root"));
  auto issuing = intermediate(root, "Chain Issuing CA");
  auto bob = leaf(issuing, "bob@example.net");
  const std::string bundle = pem_bundle({bob.cert.get(), issuing.cert.get(), root.cert.get()});
  auto report = certificates_->import_certificates(as_bytes(bundle));
  ASSERT_EQ(report.imported.size(), 3u);
  EXPECT_FALSE(report.imported[0].record.trusted);  // the leaf
  EXPECT_FALSE(report.imported[1].record.trusted);  // the intermediate
  EXPECT_TRUE(report.imported[2].record.trusted);   // the self-signed root

  // A CA certificate imported on its own is an anchor; --trust / --no-trust decide otherwise.
  auto lone = intermediate(root, "Lone Intermediate");
  auto alone = certificates_->import_certificates(as_bytes(pem(lone.cert.get())));
  ASSERT_EQ(alone.imported.size(), 1u);
  EXPECT_TRUE(alone.imported[0].record.trusted);
  auto another = intermediate(root, "Another Intermediate");
  auto forced = certificates_->import_certificates(
      as_bytes(pem_bundle({another.cert.get(), leaf(another, "c@example.net").cert.get()})),
      nullptr, false, true);
  ASSERT_EQ(forced.imported.size(), 2u);
  EXPECT_TRUE(forced.imported[0].record.trusted);
  EXPECT_TRUE(forced.imported[1].record.trusted);
}

TEST_F(EnginePkixTest, CrlOfAnIntermediateIsAcceptedWhenItChainsToAnAnchor) {
  auto issuing = intermediate(ca_, "Issuing CA");
  store_untrusted(issuing.cert.get());
  auto alice = leaf(issuing);
  const std::string wire = signed_with(alice, {}, from_alice());
  EXPECT_EQ(engine_->incoming(wire).signature, SignatureStatus::valid);

  certificates_->import_crl(issue_crl(issuing, {{alice.cert.get(), 1}}, 30, true));
  auto in = engine_->incoming(wire);
  EXPECT_EQ(in.signature, SignatureStatus::revoked) << in.signature_reason;
  ASSERT_EQ(in.signatures.size(), 1u);
  EXPECT_EQ(in.signatures[0].checks.revocation.status, "revoked");
  EXPECT_EQ(in.signatures[0].checks.revocation.source, "crl");
  EXPECT_EQ(in.signatures[0].checks.revocation.certificate, "CN=alice@example.com");
}

TEST_F(EnginePkixTest, CrlOfAnIntermediateWithoutAnchorIsRefused) {
  auto other_root = issue_certificate(CertificateSpec::authority("Unknown Root"));
  auto issuing = intermediate(other_root, "Unanchored CA");
  store_untrusted(issuing.cert.get());
  try {
    certificates_->import_crl(issue_crl(issuing, {}, 30, true));
    FAIL() << "a CRL whose issuer does not chain to an anchor was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not chain to a trust anchor"), std::string::npos)
        << e.what();
  }
}

TEST_F(EnginePkixTest, RevokedIntermediateRevokesTheChain) {
  auto issuing = intermediate(ca_, "Revoked Issuing CA");
  auto alice = leaf(issuing);
  certificates_->import_crl(issue_crl(ca_, {{issuing.cert.get(), 2}}, 30, true));
  auto in = engine_->incoming(signed_with(alice, {issuing.cert.get()}, from_alice()));
  EXPECT_EQ(in.signature, SignatureStatus::revoked) << in.signature_reason;
  EXPECT_NE(in.signature_reason.find("CN=Revoked Issuing CA"), std::string::npos)
      << in.signature_reason;
  ASSERT_EQ(in.signatures.size(), 1u);
  EXPECT_EQ(in.signatures[0].checks.revocation.certificate, "CN=Revoked Issuing CA");
}

TEST_F(EnginePkixTest, CrlPastItsNextUpdateMakesRevocationUnknown) {
  auto issuing = intermediate(ca_, "Stale CRL CA");
  store_untrusted(issuing.cert.get());
  auto alice = leaf(issuing);
  certificates_->import_crl(issue_crl(issuing, {}, -1, true));  // nextUpdate passed
  certificates_->import_crl(issue_crl(ca_, {}, 30, true));      // the root's is fresh
  auto in = engine_->incoming(signed_with(alice, {}, from_alice()));
  ASSERT_EQ(in.signatures.size(), 1u);
  const auto& layer = in.signatures[0];
  EXPECT_EQ(layer.checks.revocation.status, "unknown") << layer.checks.revocation.reason;
  EXPECT_EQ(layer.checks.revocation.certificate, "CN=alice@example.com");
  EXPECT_NE(std::find(layer.warnings.begin(), layer.warnings.end(), "revocation_unknown"),
            layer.warnings.end());
  // Soft by default: still valid, with the warning.
  EXPECT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
}

TEST_F(EnginePkixTest, HardRevocationPolicyRefusesAnUnknownStatus) {
  auto issuing = intermediate(ca_, "Hard Policy CA");
  store_untrusted(issuing.cert.get());
  auto alice = leaf(issuing);
  certificates_->import_crl(issue_crl(issuing, {}, -1, true));  // nextUpdate passed
  engine::Policy hard;
  hard.verification.revocation_hard = true;
  engine::Engine strict(
      *store_, *certificates_, [this]() -> KeyStore& { return key_store(); }, hard);
  auto in = strict.incoming(signed_with(alice, {}, from_alice()));
  EXPECT_EQ(in.signature, SignatureStatus::invalid) << in.signature_reason;
  EXPECT_NE(in.signature_reason.find("revocation"), std::string::npos) << in.signature_reason;

  // With fresh CRLs of the whole chain the hard policy is satisfied.
  auto fresh_ca = intermediate(ca_, "Hard Policy Fresh CA");
  store_untrusted(fresh_ca.cert.get());
  auto bob = leaf(fresh_ca);
  certificates_->import_crl(issue_crl(fresh_ca, {}, 30, true));
  certificates_->import_crl(issue_crl(ca_, {}, 30, true));
  auto fresh = strict.incoming(signed_with(bob, {}, from_alice()));
  EXPECT_EQ(fresh.signature, SignatureStatus::valid) << fresh.signature_reason;
}

TEST_F(EnginePkixTest, FreshCrlsOfTheWholeChainAreGood) {
  auto issuing = intermediate(ca_, "Good CA");
  store_untrusted(issuing.cert.get());
  auto alice = leaf(issuing);
  certificates_->import_crl(issue_crl(issuing, {}, 30, true));
  certificates_->import_crl(issue_crl(ca_, {}, 30, true));
  auto in = engine_->incoming(signed_with(alice, {}, from_alice()));
  EXPECT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
  ASSERT_EQ(in.signatures.size(), 1u);
  EXPECT_EQ(in.signatures[0].checks.revocation.status, "good")
      << in.signatures[0].checks.revocation.reason;
  EXPECT_TRUE(in.signatures[0].warnings.empty());
}

TEST_F(EnginePkixTest, DsaSignatureIsAnUnsupportedAlgorithm) {
  CertificateSpec spec = CertificateSpec::smime("alice@example.com", "dsa");
  spec.issued_by(ca_);
  auto alice = issue_certificate(spec);
  auto in = engine_->incoming(signed_with(alice, {}, from_alice()));
  EXPECT_EQ(in.signature, SignatureStatus::invalid);
  EXPECT_NE(in.signature_reason.find("Unsupported signature algorithm"), std::string::npos)
      << in.signature_reason;
  EXPECT_EQ(in.signature_reason.find("changed"), std::string::npos) << in.signature_reason;
  ASSERT_EQ(in.signatures.size(), 1u);
  EXPECT_EQ(in.signatures[0].checks.algorithm.status, "unsupported");
}

// A DSA key may inherit its parameters from the issuer (NIST PKITS 4.1.5): OpenSSL cannot decode
// it alone and the certificate has no public key object. Unsupported, not a crash.
TEST_F(EnginePkixTest, SignerKeyThatCannotBeDecodedAloneIsAnUnsupportedAlgorithm) {
  CertificateSpec spec = CertificateSpec::smime("alice@example.com", "dsa");
  spec.issued_by(ca_);
  auto alice = issue_certificate(spec);
  // Alice's certificate with the DSA parameters taken out of its key, signed again by the CA.
  X509Ptr stripped(X509_dup(alice.cert.get()));
  X509_PUBKEY* spki = X509_get_X509_PUBKEY(stripped.get());
  const unsigned char* key_bits = nullptr;
  int key_length = 0;
  ASSERT_EQ(X509_PUBKEY_get0_param(nullptr, &key_bits, &key_length, nullptr, spki), 1);
  auto* copy = static_cast<unsigned char*>(OPENSSL_memdup(key_bits, key_length));
  ASSERT_EQ(
      X509_PUBKEY_set0_param(spki, OBJ_nid2obj(NID_dsa), V_ASN1_UNDEF, nullptr, copy, key_length),
      1);
  ASSERT_GT(X509_sign(stripped.get(), ca_.key.get(), EVP_sha256()), 0);
  unsigned char* der = nullptr;
  const int n = i2d_X509(stripped.get(), &der);
  OpensslBytesPtr der_owner(der);
  const unsigned char* p = der;
  X509Ptr bare(d2i_X509(nullptr, &p, n));
  ASSERT_TRUE(bare);
  ERR_clear_error();
  ASSERT_EQ(X509_get0_pubkey(bare.get()), nullptr);
  ERR_clear_error();

  auto in =
      engine_->incoming(signed_with(alice, {}, from_alice(), EVP_sha256(), nullptr, bare.get()));
  EXPECT_EQ(in.signature, SignatureStatus::invalid) << in.signature_reason;
  ASSERT_EQ(in.signatures.size(), 1u);
  EXPECT_EQ(in.signatures[0].checks.algorithm.status, "unsupported");
}

TEST_F(EnginePkixTest, UnknownSignatureOidIsAnUnsupportedAlgorithm) {
  auto alice = leaf(ca_);
  auto in = engine_->incoming(
      signed_with(alice, {}, from_alice(), EVP_sha256(), "1.3.6.1.4.1.55555.1.2"));
  EXPECT_EQ(in.signature, SignatureStatus::invalid);
  EXPECT_NE(in.signature_reason.find("Unsupported signature algorithm 1.3.6.1.4.1.55555.1.2"),
            std::string::npos)
      << in.signature_reason;
}

TEST_F(EnginePkixTest, Sha1SignatureWarnsAndThePolicyCanRefuseIt) {
  auto alice = leaf(ca_);
  const std::string wire = signed_with(alice, {}, from_alice(), EVP_sha1());
  auto in = engine_->incoming(wire);
  EXPECT_EQ(in.signature, SignatureStatus::valid) << in.signature_reason;
  ASSERT_EQ(in.signatures.size(), 1u);
  EXPECT_EQ(in.signatures[0].checks.algorithm.status, "weak");
  EXPECT_NE(std::find(in.signatures[0].warnings.begin(), in.signatures[0].warnings.end(),
                      "weak_algorithm"),
            in.signatures[0].warnings.end());

  engine::Policy strict;
  strict.verification.reject_sha1 = true;
  engine::Engine refusing(
      *store_, *certificates_, [this]() -> KeyStore& { return key_store(); }, strict);
  auto refused = refusing.incoming(wire);
  EXPECT_EQ(refused.signature, SignatureStatus::invalid);
  EXPECT_NE(refused.signature_reason.find("SHA-1"), std::string::npos) << refused.signature_reason;
}

TEST_F(EnginePkixTest, NestedSignaturesReportEveryLayerOutermostFirst) {
  auto alice = leaf(ca_);
  auto bob = leaf(ca_, "bob@example.net");
  store_certificate(alice.cert.get());
  const std::string inner = signed_with(alice, {}, from_alice());
  const std::string outer = signed_with(bob, {}, inner);
  auto in = engine_->incoming(outer);
  ASSERT_EQ(in.signatures.size(), 2u);
  ASSERT_TRUE(in.signatures[0].signer.has_value());
  ASSERT_TRUE(in.signatures[1].signer.has_value());
  EXPECT_EQ(in.signatures[0].signer->emails, std::vector<std::string>{"bob@example.net"});
  EXPECT_EQ(in.signatures[0].status, SignatureStatus::sender_mismatch);
  EXPECT_EQ(in.signatures[1].signer->emails, std::vector<std::string>{"alice@example.com"});
  EXPECT_EQ(in.signatures[1].status, SignatureStatus::valid) << in.signatures[1].reason;
  EXPECT_EQ(in.signature, SignatureStatus::sender_mismatch);  // the outermost, as before
}

TEST_F(EnginePkixTest, SigningEmbedsTheOrganisationsChainEvenWhenItsCaIsNoAnchor) {
  // The organisation's CA is stored for path building only (--no-trust).
  auto org_ca = issue_certificate(CertificateSpec::authority("Org Issuing CA"));
  store_untrusted(org_ca.cert.get());
  CertificateSpec spec = CertificateSpec::smime("support@example.org");
  spec.issued_by(org_ca);
  auto org = issue_certificate(spec);
  const std::string fingerprint = store_certificate(org.cert.get());
  const std::string key_pem = pem_pkcs8(org.key.get());
  auto key_bytes = as_bytes(key_pem);
  service::KeyImportRequest request;
  request.key_file = key_bytes;
  request.fingerprint = fingerprint;
  certificates_->import_private_key(request);

  auto out = outgoing(message(), true, false);
  ASSERT_TRUE(out.signed_);
  CmsPtr cms = parse_cms(cms_of(out.message));
  X509StackPtr embedded(CMS_get1_certs(cms.get()));
  EXPECT_EQ(sk_X509_num(embedded.get()), 2) << "the signer and its CA";
}

}  // namespace
}  // namespace smime::test
