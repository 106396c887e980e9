#include "smime/pkcs11/provider.hpp"

#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>

#include "smime/common/error.hpp"
#include "smime/pkcs11/uri.hpp"

namespace smime::pkcs11 {
namespace {

std::mutex g_mutex;
std::string g_module;  // empty until activated

struct TempFile {
  std::string path;
  ~TempFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

std::string provider_config(const std::string& module_path) {
  // no-deinit: without it SoftHSM segfaults at exit inside C_CloseSession (SPEC §12).
  return "openssl_conf = smime_openssl_init\n"
         "[smime_openssl_init]\n"
         "providers = smime_provider_sect\n"
         "[smime_provider_sect]\n"
         "default = smime_default_sect\n"
         "pkcs11 = smime_pkcs11_sect\n"
         "[smime_default_sect]\n"
         "activate = 1\n"
         "[smime_pkcs11_sect]\n"
         "module = " SMIME_PROVIDER_PATH
         "\n"
         "pkcs11-module-path = " +
         module_path +
         "\n"
         "pkcs11-module-quirks = no-deinit\n"
         "pkcs11-module-load-behavior = early\n"
         "activate = 1\n";
}

EvpPkeyPtr load(const std::string& uri, int wanted) {
  if (!ProviderBridge::active()) {
    throw Error(ErrorCode::internal, "pkcs11-provider is not active");
  }
  OsslStoreCtxPtr store(OSSL_STORE_open_ex(uri.c_str(), nullptr, "provider=pkcs11", nullptr,
                                           nullptr, nullptr, nullptr, nullptr));
  if (!store) {
    throw_openssl(ErrorCode::not_found, "Cannot open " + redact_uri(uri) + " in the token");
  }
  OSSL_STORE_expect(store.get(), wanted);
  while (OSSL_STORE_eof(store.get()) == 0) {
    OsslStoreInfoPtr info(OSSL_STORE_load(store.get()));
    if (!info) break;
    if (OSSL_STORE_INFO_get_type(info.get()) == OSSL_STORE_INFO_PKEY) {
      return EvpPkeyPtr(OSSL_STORE_INFO_get1_PKEY(info.get()));
    }
    if (OSSL_STORE_INFO_get_type(info.get()) == OSSL_STORE_INFO_PUBKEY) {
      return EvpPkeyPtr(OSSL_STORE_INFO_get1_PUBKEY(info.get()));
    }
  }
  throw_openssl(ErrorCode::not_found, "No key at " + redact_uri(uri));
}

}  // namespace

void ProviderBridge::activate(const std::string& module_path) {
  std::lock_guard lock(g_mutex);
  if (!g_module.empty()) {
    if (g_module == module_path) return;
    throw Error(ErrorCode::conflict, "pkcs11-provider already serves module " + g_module);
  }
  if (module_path.find_first_of("\n\r$") != std::string::npos) {
    throw Error(ErrorCode::invalid_input, "Invalid PKCS#11 module path");
  }
  // OpenSSL 3.0 takes provider parameters only from a configuration file; this one is private
  // to the process (0600 temp file, removed right after loading) and holds no secret.
  const char* tmpdir = std::getenv("TMPDIR");
  TempFile file{std::string(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") +
                "/smime-provider-XXXXXX"};
  int fd = ::mkstemp(file.path.data());
  if (fd < 0) {
    file.path.clear();
    throw Error(ErrorCode::io, "Cannot create the provider configuration file");
  }
  const std::string text = provider_config(module_path);
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!written) throw Error(ErrorCode::io, "Cannot write the provider configuration file");

  ERR_clear_error();
  if (OSSL_LIB_CTX_load_config(nullptr, file.path.c_str()) != 1 ||
      OSSL_PROVIDER_available(nullptr, "pkcs11") != 1) {
    throw_openssl(ErrorCode::module_load,
                  "Cannot load pkcs11-provider (" SMIME_PROVIDER_PATH ") for " + module_path);
  }
  // The machine-wide openssl.cnf may name engines that are absent; that noise is not ours.
  ERR_clear_error();
  g_module = module_path;
  spdlog::debug("pkcs11-provider active for {}", module_path);
}

bool ProviderBridge::active() {
  std::lock_guard lock(g_mutex);
  return !g_module.empty();
}

EvpPkeyPtr ProviderBridge::load_private_key(const std::string& uri) {
  return load(uri, OSSL_STORE_INFO_PKEY);
}

EvpPkeyPtr ProviderBridge::load_public_key(const std::string& uri) {
  return load(uri, OSSL_STORE_INFO_PUBKEY);
}

}  // namespace smime::pkcs11
