// RAII owners for every OpenSSL handle the project uses. This is the one place where OpenSSL's
// *_free functions are named; everything else holds these unique_ptrs. (SQLite's owners are in
// smime/sqlite/connection.hpp, GLib's in the MIME library.)
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ocsp.h>
#include <openssl/param_build.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>
#include <openssl/store.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace smime {

template <auto FreeFn>
struct FreeWith {
  template <class T>
  void operator()(T* p) const noexcept {
    FreeFn(p);
  }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, FreeWith<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, FreeWith<EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, FreeWith<EVP_MD_CTX_free>>;
using EvpMdPtr = std::unique_ptr<EVP_MD, FreeWith<EVP_MD_free>>;
using BioPtr = std::unique_ptr<BIO, FreeWith<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, FreeWith<BN_free>>;
// For private key components: the memory is cleared before it is freed.
using SecretBignumPtr = std::unique_ptr<BIGNUM, FreeWith<BN_clear_free>>;
using X509Ptr = std::unique_ptr<X509, FreeWith<X509_free>>;
using X509ReqPtr = std::unique_ptr<X509_REQ, FreeWith<X509_REQ_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, FreeWith<X509_NAME_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, FreeWith<X509_EXTENSION_free>>;
using X509PubkeyPtr = std::unique_ptr<X509_PUBKEY, FreeWith<X509_PUBKEY_free>>;
// An EncryptedPrivateKeyInfo (PKCS#8) as OpenSSL parses it.
using X509SigPtr = std::unique_ptr<X509_SIG, FreeWith<X509_SIG_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, FreeWith<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, FreeWith<X509_STORE_CTX_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, FreeWith<GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, FreeWith<GENERAL_NAME_free>>;
using AuthorityKeyIdPtr = std::unique_ptr<AUTHORITY_KEYID, FreeWith<AUTHORITY_KEYID_free>>;
// A stack of extensions that owns the extensions in it (X509_REQ_add_extensions input).
struct X509ExtensionsFree {
  void operator()(STACK_OF(X509_EXTENSION) * p) const noexcept {
    sk_X509_EXTENSION_pop_free(p, X509_EXTENSION_free);
  }
};
using X509ExtensionsPtr = std::unique_ptr<STACK_OF(X509_EXTENSION), X509ExtensionsFree>;
using ExtKeyUsagePtr = std::unique_ptr<EXTENDED_KEY_USAGE, FreeWith<EXTENDED_KEY_USAGE_free>>;
using BasicConstraintsPtr = std::unique_ptr<BASIC_CONSTRAINTS, FreeWith<BASIC_CONSTRAINTS_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, FreeWith<ASN1_INTEGER_free>>;
using Asn1BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, FreeWith<ASN1_BIT_STRING_free>>;
using Asn1OctetStringPtr = std::unique_ptr<ASN1_OCTET_STRING, FreeWith<ASN1_OCTET_STRING_free>>;
using Asn1ObjectPtr = std::unique_ptr<ASN1_OBJECT, FreeWith<ASN1_OBJECT_free>>;
using OsslStoreCtxPtr = std::unique_ptr<OSSL_STORE_CTX, FreeWith<OSSL_STORE_close>>;
using OsslStoreInfoPtr = std::unique_ptr<OSSL_STORE_INFO, FreeWith<OSSL_STORE_INFO_free>>;
using OsslDecoderCtxPtr = std::unique_ptr<OSSL_DECODER_CTX, FreeWith<OSSL_DECODER_CTX_free>>;
using OsslEncoderCtxPtr = std::unique_ptr<OSSL_ENCODER_CTX, FreeWith<OSSL_ENCODER_CTX_free>>;
using OsslParamPtr = std::unique_ptr<OSSL_PARAM, FreeWith<OSSL_PARAM_free>>;
using OsslParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, FreeWith<OSSL_PARAM_BLD_free>>;
using Pkcs12Ptr = std::unique_ptr<PKCS12, FreeWith<PKCS12_free>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, FreeWith<CMS_ContentInfo_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, FreeWith<X509_CRL_free>>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, FreeWith<PKCS7_free>>;
using X509RevokedPtr = std::unique_ptr<X509_REVOKED, FreeWith<X509_REVOKED_free>>;
// Any ASN1_STRING subtype (IA5String, ENUMERATED, ...): they share ASN1_STRING_free.
using EvpCipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, FreeWith<EVP_CIPHER_CTX_free>>;
// Legacy key objects: only the token key (an RSA or EC key with our own method) builds them.
using RsaPtr = std::unique_ptr<RSA, FreeWith<RSA_free>>;
using EcKeyPtr = std::unique_ptr<EC_KEY, FreeWith<EC_KEY_free>>;
using EvpCipherPtr = std::unique_ptr<EVP_CIPHER, FreeWith<EVP_CIPHER_free>>;
using EvpKdfPtr = std::unique_ptr<EVP_KDF, FreeWith<EVP_KDF_free>>;
using EvpKdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, FreeWith<EVP_KDF_CTX_free>>;
using X509AlgorPtr = std::unique_ptr<X509_ALGOR, FreeWith<X509_ALGOR_free>>;
using RsaOaepParamsPtr = std::unique_ptr<RSA_OAEP_PARAMS, FreeWith<RSA_OAEP_PARAMS_free>>;
using RsaPssParamsPtr = std::unique_ptr<RSA_PSS_PARAMS, FreeWith<RSA_PSS_PARAMS_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, FreeWith<EC_POINT_free>>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, FreeWith<ASN1_STRING_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, FreeWith<ASN1_TIME_free>>;

// A STACK_OF(X509) that owns its certificates.
struct X509StackFree {
  void operator()(STACK_OF(X509) * stack) const noexcept { sk_X509_pop_free(stack, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;

// A STACK_OF(X509_CRL) that owns its CRLs.
struct X509CrlStackFree {
  void operator()(STACK_OF(X509_CRL) * stack) const noexcept {
    sk_X509_CRL_pop_free(stack, X509_CRL_free);
  }
};
using X509CrlStackPtr = std::unique_ptr<STACK_OF(X509_CRL), X509CrlStackFree>;

struct X509AlgorStackFree {
  void operator()(STACK_OF(X509_ALGOR) * stack) const noexcept {
    sk_X509_ALGOR_pop_free(stack, X509_ALGOR_free);
  }
};
using X509AlgorStackPtr = std::unique_ptr<STACK_OF(X509_ALGOR), X509AlgorStackFree>;

// The pieces of a PKCS#12 file: its authenticated safes, their bags and a decrypted key.
struct Pkcs7StackFree {
  void operator()(STACK_OF(PKCS7) * stack) const noexcept { sk_PKCS7_pop_free(stack, PKCS7_free); }
};
using Pkcs7StackPtr = std::unique_ptr<STACK_OF(PKCS7), Pkcs7StackFree>;
struct Pkcs12SafeBagStackFree {
  void operator()(STACK_OF(PKCS12_SAFEBAG) * stack) const noexcept {
    sk_PKCS12_SAFEBAG_pop_free(stack, PKCS12_SAFEBAG_free);
  }
};
using Pkcs12SafeBagStackPtr = std::unique_ptr<STACK_OF(PKCS12_SAFEBAG), Pkcs12SafeBagStackFree>;
using Pkcs8PrivKeyInfoPtr =
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, FreeWith<PKCS8_PRIV_KEY_INFO_free>>;

// Online revocation (issue 16): OCSP messages, CRL distribution points, AIA, URL lists.
using OcspRequestPtr = std::unique_ptr<OCSP_REQUEST, FreeWith<OCSP_REQUEST_free>>;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, FreeWith<OCSP_RESPONSE_free>>;
using OcspBasicRespPtr = std::unique_ptr<OCSP_BASICRESP, FreeWith<OCSP_BASICRESP_free>>;
using OcspCertIdPtr = std::unique_ptr<OCSP_CERTID, FreeWith<OCSP_CERTID_free>>;
struct DistPointsFree {
  void operator()(STACK_OF(DIST_POINT) * stack) const noexcept {
    sk_DIST_POINT_pop_free(stack, DIST_POINT_free);
  }
};
using DistPointsPtr = std::unique_ptr<STACK_OF(DIST_POINT), DistPointsFree>;
struct OpensslStringsFree {
  void operator()(STACK_OF(OPENSSL_STRING) * stack) const noexcept { X509_email_free(stack); }
};
using OpensslStringsPtr = std::unique_ptr<STACK_OF(OPENSSL_STRING), OpensslStringsFree>;

// Buffers that OpenSSL allocated (i2d_* output, BN_bn2hex, ...).
struct OpensslFree {
  void operator()(void* p) const noexcept { OPENSSL_free(p); }
};
using OpensslBytesPtr = std::unique_ptr<unsigned char, OpensslFree>;
using OpensslCharsPtr = std::unique_ptr<char, OpensslFree>;

}  // namespace smime
