#include "smime/pkcs11/module.hpp"

#include <dlfcn.h>

#include "smime/common/error.hpp"

namespace smime::pkcs11 {

void DlCloser::operator()(void* handle) const noexcept {
  if (handle != nullptr) dlclose(handle);
}

Module::Module(std::string path) : path_(std::move(path)) {
  // RTLD_NODELETE: the provider may hold function pointers into the module after we let go.
  library_.reset(dlopen(path_.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE));
  if (!library_) {
    const char* why = dlerror();
    throw Error(ErrorCode::module_load, "Cannot load PKCS#11 module " + path_ + ": " +
                                            (why != nullptr ? why : "unknown error"));
  }
  auto get_list =
      reinterpret_cast<CK_C_GetFunctionList>(dlsym(library_.get(), "C_GetFunctionList"));
  if (get_list == nullptr) {
    throw Error(ErrorCode::module_load, "Not a PKCS#11 module (no C_GetFunctionList): " + path_);
  }
  CK_RV rv = get_list(&functions_);
  if (rv != CKR_OK || functions_ == nullptr) {
    throw Error(ErrorCode::module_load, "C_GetFunctionList failed for " + path_, rv);
  }
}

void Module::initialize() {
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  CK_RV rv = functions_->C_Initialize(&args);
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    std::string message = "C_Initialize failed for " + path_ + ": " + ckr_name(rv);
    if (std::string_view meaning = ckr_meaning(rv); !meaning.empty()) {
      message += " (" + std::string(meaning) + ")";
    }
    if (rv == CKR_GENERAL_ERROR || rv == CKR_FUNCTION_FAILED) {
      message +=
          "; for SoftHSM2 check that SOFTHSM2_CONF names a readable configuration whose "
          "directories.tokendir exists";
    }
    throw Error(ErrorCode::module_load, message, rv);
  }
}

void Module::finalize() noexcept {
  functions_->C_Finalize(nullptr);
}

std::vector<CK_SLOT_ID> Module::slots_with_token() {
  CK_ULONG count = 0;
  check_rv(functions_->C_GetSlotList(CK_TRUE, nullptr, &count), "C_GetSlotList");
  std::vector<CK_SLOT_ID> slots(count);
  if (count > 0)
    check_rv(functions_->C_GetSlotList(CK_TRUE, slots.data(), &count), "C_GetSlotList");
  slots.resize(count);
  return slots;
}

void check_rv(CK_RV rv, const char* operation) {
  if (rv == CKR_OK) return;
  ErrorCode code = ErrorCode::token_failure;
  std::string message = std::string(operation) + " failed: " + ckr_name(rv);
  if (std::string_view meaning = ckr_meaning(rv); !meaning.empty()) {
    message += " (" + std::string(meaning) + ")";
  }
  switch (rv) {
    case CKR_PIN_INCORRECT:
      code = ErrorCode::pin_incorrect;
      message = "The token rejected the PIN (wrong PIN); it is not retried automatically";
      break;
    case CKR_MECHANISM_INVALID:
      code = ErrorCode::unsupported;  // retrying cannot help: the module lacks the mechanism
      break;
    case CKR_PIN_LOCKED:
      code = ErrorCode::pin_locked;
      message = "The token's user PIN is locked";
      break;
    default:
      break;
  }
  throw Error(code, message, rv);
}

std::string from_padded(const unsigned char* text, std::size_t size) {
  std::string out(reinterpret_cast<const char*>(text), size);
  while (!out.empty() && (out.back() == ' ' || out.back() == '\0')) out.pop_back();
  return out;
}

}  // namespace smime::pkcs11
