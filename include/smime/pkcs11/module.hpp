// A loaded PKCS#11 module: dlopen, C_GetFunctionList, C_Initialize. Used by Token and by
// provisioning (token initialisation happens before there is a token to select).
#pragma once

#include <p11-kit/pkcs11.h>

#include <memory>
#include <string>
#include <vector>

namespace smime::pkcs11 {

struct DlCloser {
  void operator()(void* handle) const noexcept;
};
using DlHandle = std::unique_ptr<void, DlCloser>;

class Module {
 public:
  // Loads the library; throws Error(module_load) naming the path when it cannot.
  explicit Module(std::string path);
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  // Never calls C_Finalize at exit: some modules (SoftHSM2) crash in it when other threads
  // still hold sessions while the process ends.
  ~Module() = default;

  // C_Initialize with OS locking; CKR_CRYPTOKI_ALREADY_INITIALIZED counts as success because
  // the provider (or an earlier recovery) may have initialised the module first.
  void initialize();
  // C_Finalize: every session and the login of this process end.
  void finalize() noexcept;

  CK_FUNCTION_LIST* fn() const noexcept { return functions_; }
  const std::string& path() const noexcept { return path_; }
  std::vector<CK_SLOT_ID> slots_with_token();

 private:
  std::string path_;
  DlHandle library_;
  CK_FUNCTION_LIST* functions_ = nullptr;
};

// Throws Error(token_failure or a PIN code) carrying rv when rv != CKR_OK.
void check_rv(CK_RV rv, const char* operation);

// Blank-padded fixed-size PKCS#11 text fields to std::string.
std::string from_padded(const unsigned char* text, std::size_t size);

}  // namespace smime::pkcs11
