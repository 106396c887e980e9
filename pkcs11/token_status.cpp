#include "smime/pkcs11/module.hpp"
#include "smime/pkcs11/token.hpp"

namespace smime::pkcs11 {

TokenDescription Token::describe() {
  TokenDescription d;
  CK_INFO module_info{};
  if (fn()->C_GetInfo(&module_info) == CKR_OK) {
    d.module_description =
        from_padded(module_info.manufacturerID, sizeof module_info.manufacturerID) + " " +
        from_padded(module_info.libraryDescription, sizeof module_info.libraryDescription);
    d.module_version = std::to_string(module_info.libraryVersion.major) + "." +
                       std::to_string(module_info.libraryVersion.minor);
  }
  CK_TOKEN_INFO info{};
  check_rv(query_slot([&](CK_FUNCTION_LIST* f, CK_SLOT_ID slot) {
             return f->C_GetTokenInfo(slot, &info);
           }),
           "C_GetTokenInfo");
  d.pool_limit = pool_limit();
  d.label = from_padded(info.label, sizeof info.label);
  d.serial = from_padded(info.serialNumber, sizeof info.serialNumber);
  d.manufacturer = from_padded(info.manufacturerID, sizeof info.manufacturerID);
  d.model = from_padded(info.model, sizeof info.model);
  d.initialized = (info.flags & CKF_TOKEN_INITIALIZED) != 0;
  d.login_required = (info.flags & CKF_LOGIN_REQUIRED) != 0;
  d.user_pin_initialized = (info.flags & CKF_USER_PIN_INITIALIZED) != 0;
  d.user_pin_count_low = (info.flags & CKF_USER_PIN_COUNT_LOW) != 0;
  d.user_pin_final_try = (info.flags & CKF_USER_PIN_FINAL_TRY) != 0;
  d.user_pin_locked = (info.flags & CKF_USER_PIN_LOCKED) != 0;
  d.session_count = info.ulSessionCount;
  d.max_session_count = info.ulMaxSessionCount;
  return d;
}

}  // namespace smime::pkcs11
