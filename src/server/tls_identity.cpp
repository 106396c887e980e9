#include "smime/server/tls_identity.hpp"

#include <openssl/pem.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <vector>

#include "smime/common/error.hpp"
#include "smime/common/files.hpp"
#include "smime/common/hex.hpp"
#include "smime/common/pem.hpp"
#include "smime/common/private_key_decoder.hpp"
#include "smime/provisioning/certificate_builder.hpp"

namespace smime::server {
namespace {

constexpr int kValidityDays = 825;

X509Ptr read_certificate(const std::filesystem::path& path) {
  const std::vector<unsigned char> pem = read_file(path);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) throw_openssl(ErrorCode::invalid_input, path.string() + " is not a PEM certificate");
  return cert;
}

std::string private_key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot encode the server key");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<std::size_t>(len));
  return pem;
}

EvpPkeyPtr read_private_key(const std::filesystem::path& path) {
  std::error_code ec;
  const auto perms = std::filesystem::status(path, ec).permissions();
  if (!ec && (perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) !=
                 std::filesystem::perms::none) {
    throw Error(ErrorCode::forbidden,
                path.string() + " is readable by group or others; chmod 600 it");
  }
  std::vector<unsigned char> pem = read_file(path);
  try {
    EvpPkeyPtr key = decode_private_key(pem);  // RSA or EC; an encrypted key is refused
    OPENSSL_cleanse(pem.data(), pem.size());
    return key;
  } catch (const Error& e) {
    OPENSSL_cleanse(pem.data(), pem.size());
    throw Error(e.code(), path.string() + ": " + e.what(), 0, e.openssl_errors());
  }
}

EvpPkeyPtr software_ec_key() {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, "provider=default", "EC", "P-256"));
  if (!key) throw_openssl(ErrorCode::crypto, "Cannot generate the server key");
  return key;
}

TlsIdentity file_identity(const ServerSettings& s) {
  const bool have_cert = std::filesystem::exists(s.tls_certificate);
  const bool have_key = std::filesystem::exists(s.tls_key_file);
  if (have_cert && have_key) {
    return {read_certificate(s.tls_certificate), read_private_key(s.tls_key_file), false, {}};
  }
  if (have_cert || have_key) {
    throw Error(ErrorCode::not_found,
                "The TLS " +
                    std::string(have_cert ? "key " + s.tls_key_file.string()
                                          : "certificate " + s.tls_certificate.string()) +
                    " is missing; remove the other file to create a new pair");
  }
  EvpPkeyPtr key = software_ec_key();
  X509Ptr cert = provisioning::build_tls_server_certificate({s.tls_names}, key.get(), key.get(),
                                                            kValidityDays);
  std::string pem = private_key_pem(key.get());
  write_new_file(s.tls_key_file, pem, 0600);
  OPENSSL_cleanse(pem.data(), pem.size());
  write_new_file(s.tls_certificate, certificate_pem(cert.get()), 0644);
  spdlog::info("created TLS certificate {} with key file {}", s.tls_certificate.string(),
               s.tls_key_file.string());
  return {std::move(cert), std::move(key), true, {}};
}

TlsIdentity token_identity(const ServerSettings& s, KeyStore& keys) {
  if (std::filesystem::exists(s.tls_certificate)) {
    X509Ptr cert = read_certificate(s.tls_certificate);
    const std::string id = to_hex(key_id_for(X509_get0_pubkey(cert.get())));
    if (!keys.find(id)) {
      throw Error(ErrorCode::not_found, "The token holds no key for the TLS certificate " +
                                            s.tls_certificate.string() + " (key id " + id +
                                            "); remove the certificate to create a new pair");
    }
    return {std::move(cert), keys.private_key(id), false, id};
  }
  const KeyInfo info = keys.generate(KeyAlgorithm::ec_p256, s.tls_key_label);
  try {
    EvpPkeyPtr public_key = keys.public_key(info.id);
    EvpPkeyPtr private_key = keys.private_key(info.id);
    X509Ptr cert = provisioning::build_tls_server_certificate({s.tls_names}, public_key.get(),
                                                              private_key.get(), kValidityDays);
    keys.store_certificate(info.id, s.tls_key_label, provisioning::to_der(cert.get()));
    write_new_file(s.tls_certificate, certificate_pem(cert.get()), 0644);
    spdlog::info("created TLS certificate {} for token key {}", s.tls_certificate.string(),
                 info.id);
    return {std::move(cert), std::move(private_key), true, info.id};
  } catch (...) {
    keys.remove(info.id);
    throw;
  }
}

}  // namespace

TlsIdentity load_or_create_tls_identity(const ServerSettings& settings,
                                        const std::function<KeyStore&()>& keys) {
  if (settings.tls_key == "file") return file_identity(settings);
  return token_identity(settings, keys());
}

}  // namespace smime::server
