#include "smime/provisioning/dev_token.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "smime/common/config.hpp"
#include "smime/common/error.hpp"
#include "smime/common/files.hpp"
#include "smime/pkcs11/module.hpp"
#include "smime/pkcs11/token.hpp"

namespace smime::provisioning {
namespace {

std::string padded(const std::string& text, std::size_t size) {
  std::string out = text.substr(0, size);
  out.resize(size, ' ');
  return out;
}

void make_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(ErrorCode::io, "Cannot create " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
}

}  // namespace

SecretString random_pin(std::size_t length) {
  static constexpr char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
  constexpr std::size_t kSize = sizeof kAlphabet - 1;  // 56
  SecretString pin;
  while (pin.size() < length) {
    unsigned char byte = 0;
    if (RAND_bytes(&byte, 1) != 1) throw_openssl(ErrorCode::crypto, "No randomness for a PIN");
    if (byte >= 256 - (256 % kSize)) continue;  // rejection sampling: no modulo bias
    pin.push_back(kAlphabet[byte % kSize]);
  }
  return pin;
}

void write_secret_file(const std::filesystem::path& path, const SecretString& secret) {
  SecureBytes line(secret.data(), secret.data() + secret.size());
  line.push_back('\n');
  write_new_file(path, std::string_view(reinterpret_cast<const char*>(line.data()), line.size()));
}

std::string initialize_token(const std::string& module_path, const std::string& label,
                             const SecretString& so_pin, const SecretString& user_pin) {
  using pkcs11::check_rv;
  pkcs11::Module module(module_path);
  module.initialize();
  CK_FUNCTION_LIST* f = module.fn();

  std::optional<CK_SLOT_ID> free_slot;
  for (CK_SLOT_ID slot : module.slots_with_token()) {
    CK_TOKEN_INFO info{};
    if (f->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
    if ((info.flags & CKF_TOKEN_INITIALIZED) == 0) {
      if (!free_slot) free_slot = slot;
    } else if (pkcs11::from_padded(info.label, sizeof info.label) == label) {
      throw Error(ErrorCode::conflict, "A token labelled '" + label + "' already exists");
    }
  }
  if (!free_slot) {
    throw Error(ErrorCode::token_not_found, "No uninitialised token in " + module_path);
  }
  const std::string label32 = padded(label, 32);
  auto* so = reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(so_pin.data()));
  check_rv(f->C_InitToken(*free_slot, so, so_pin.size(),
                          reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(label32.data()))),
           "C_InitToken");

  // SoftHSM moves a freshly initialised token to a new slot: find it again by label.
  pkcs11::TokenConfig by_label;
  by_label.module_path = module_path;
  by_label.label = label;
  auto token = pkcs11::Token::open(by_label);
  {
    pkcs11::Session s = token->session();
    check_rv(f->C_Login(s.handle(), CKU_SO, so, so_pin.size()), "C_Login(SO)");
    CK_RV rv =
        f->C_InitPIN(s.handle(), reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(user_pin.data())),
                     user_pin.size());
    f->C_Logout(s.handle());  // SO session only; nobody else uses this fresh token yet
    check_rv(rv, "C_InitPIN");
  }
  return token->serial();
}

DevToken init_dev_token(const std::filesystem::path& home, const std::string& label,
                        const std::string& module_path) {
  if (label.empty() || label.size() > 32) {
    throw Error(ErrorCode::usage, "A token label has 1 to 32 characters");
  }
  DevToken dev;
  dev.label = label;
  dev.softhsm_conf = home / "softhsm2.conf";
  dev.user_pin_file = home / "user.pin";
  dev.so_pin_file = home / "so.pin";
  if (std::filesystem::exists(dev.softhsm_conf)) {
    throw Error(ErrorCode::conflict, "A dev token already exists in " + home.string() + " (" +
                                         dev.softhsm_conf.string() + ")");
  }
  make_private_dir(home);
  make_private_dir(home / "tokens");

  SecretString so_pin = random_pin(24);
  SecretString user_pin = random_pin(24);
  write_secret_file(dev.so_pin_file, so_pin);
  write_secret_file(dev.user_pin_file, user_pin);
  write_new_file(dev.softhsm_conf,
                 "# SoftHSM2 dev/demo token of the S/MIME appliance\n"
                 "directories.tokendir = " +
                     (home / "tokens").string() +
                     "\n"
                     "objectstore.backend = file\n"
                     "log.level = ERROR\n"
                     "slots.removable = false\n");
  ::setenv("SOFTHSM2_CONF", dev.softhsm_conf.c_str(), 1);
  dev.serial = initialize_token(module_path, label, so_pin, user_pin);
  // The home remembers which token it made: later commands find it by this label.
  write_new_file(home / kDevTokenLabelFile, label + "\n");
  return dev;
}

}  // namespace smime::provisioning
