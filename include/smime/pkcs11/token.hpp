// One PKCS#11 token used by the whole process: module loading, token selection by label or
// serial (never by slot number: SoftHSM renumbers slots), one login, a pool of sessions and
// recovery from a lost device or session without a restart.
#pragma once

#include <p11-kit/pkcs11.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "smime/common/error.hpp"
#include "smime/pkcs11/pin_source.hpp"

namespace smime::pkcs11 {

class Module;

struct TokenConfig {
  std::string module_path;
  std::string label;             // select the token by label ...
  std::string serial;            // ... or by serial; neither: the only initialised token
  std::optional<PinSource> pin;  // none: public objects and status only
  std::chrono::milliseconds reinit_interval{1000};  // at most one re-initialisation per interval
  std::size_t max_idle_sessions = 8;
  // At most this many pool sessions are open at once, and fewer than the token's
  // ulMaxSessionCount (one is the login session). A borrower waits up to session_wait for a
  // free one, then fails with CKR_SESSION_COUNT (503).
  std::size_t max_sessions = 32;
  std::chrono::milliseconds session_wait{10000};
  // Some modules (SoftHSM2) keep every object derived in a session until C_Finalize, even
  // after C_DestroyObject: after this many derivations the module is finalised and
  // initialised again once no session is in use (0: never).
  std::size_t recycle_after_derivations = 5000;
};

struct TokenDescription {
  std::string label;
  std::string serial;
  std::string manufacturer;
  std::string model;
  bool initialized = false;
  bool login_required = false;
  bool user_pin_initialized = false;
  bool user_pin_count_low = false;
  bool user_pin_final_try = false;
  bool user_pin_locked = false;
  unsigned long session_count = 0;
  unsigned long max_session_count = 0;
  std::size_t pool_limit = 0;      // the session pool's bound (config and token together)
  std::string module_description;  // CK_INFO manufacturer and library description
  std::string module_version;
};

class Token;

// A session borrowed from the pool; returned on destruction. Move-only.
class Session {
 public:
  Session(Session&& other) noexcept;
  Session& operator=(Session&& other) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  CK_SESSION_HANDLE handle() const noexcept { return handle_; }
  CK_FUNCTION_LIST* fn() const noexcept;
  // The session failed in a way that makes it unusable: close it instead of pooling it.
  void invalidate() noexcept { healthy_ = false; }

 private:
  friend class Token;
  Session(Token* token, CK_SESSION_HANDLE handle, std::uint64_t generation, std::uint64_t epoch)
      : token_(token), handle_(handle), generation_(generation), epoch_(epoch) {}
  void release() noexcept;

  Token* token_ = nullptr;
  CK_SESSION_HANDLE handle_ = CK_INVALID_HANDLE;
  std::uint64_t generation_ = 0;
  std::uint64_t epoch_ = 0;
  bool healthy_ = true;
};

class Token {
 public:
  // Loads the module, initialises it and selects the token. Does not log in.
  // Throws module_load, token_not_found or token_not_initialized with a clear message.
  static std::shared_ptr<Token> open(TokenConfig config);
  ~Token();
  Token(const Token&) = delete;
  Token& operator=(const Token&) = delete;

  // Logs in once for the process (all sessions, and pkcs11-provider's, share it). A rejected
  // PIN is remembered: later calls fail with the same error without trying the token again.
  void login();
  bool logged_in() const;

  // Borrows a session from the pool (opening one when none is idle and the bound allows).
  Session session();
  std::size_t pool_limit() const;

  // Runs op(Session&) and, when it fails with a recoverable CK_RV (device error or removal,
  // token not present, session closed or invalid, module not initialised, login lost),
  // recovers and runs it once more. Device errors and a vanished slot re-initialise the module
  // (a network HSM's client reconnects in C_Initialize), after the sessions in use have ended.
  template <class Op>
  auto run(Op&& op) -> std::invoke_result_t<Op&, Session&>;

  TokenDescription describe();
  CK_FUNCTION_LIST* fn() const noexcept;
  CK_SLOT_ID slot() const;
  const TokenConfig& config() const noexcept { return config_; }
  std::string label() const;
  std::string serial() const;
  std::uint64_t reinitializations() const;
  // Bumped whenever the module is re-initialised: object handles from before are void.
  std::uint64_t epoch() const;

  static bool is_recoverable(CK_RV rv) noexcept;

  // Calls f() (returning a CK_RV) again, a few times with a growing pause (at most ~0.3 s), while
  // it answers what SoftHSM2 can answer while another process writes its file store
  // (CKR_GENERAL_ERROR, CKR_USER_PIN_NOT_INITIALIZED). Only for calls that reveal nothing
  // about secret data (login, token information), never for decryption.
  template <class F>
  static CK_RV retry_store_race(F&& f);

  // A query of the token's slot (token or mechanism information): f(CK_FUNCTION_LIST*,
  // CK_SLOT_ID) returns a CK_RV. Retried through the store race, and on a recoverable answer
  // (a slot renumbered by a network HSM or a SoftHSM2 store re-read: CKR_SLOT_ID_INVALID) the
  // token recovers and f runs once more with the slot selected anew; other answers are f's.
  template <class F>
  CK_RV query_slot(F&& f);

  // Called after every C_DeriveKey; may schedule a recycle of the module (see TokenConfig).
  void note_derived_object();
  std::uint64_t recycles() const;

 private:
  explicit Token(TokenConfig config);
  friend class Session;
  void select_token();  // requires state_mutex_
  // Waits (bounded) until a pool session may be opened or an idle one is back. Requires
  // state_mutex_ (held by lock).
  void wait_for_session_locked(std::unique_lock<std::mutex>& lock);
  void login_locked();  // requires state_mutex_
  void open_login_session_locked();
  void release(CK_SESSION_HANDLE handle, std::uint64_t generation, std::uint64_t epoch,
               bool healthy) noexcept;
  void recover(CK_RV rv);
  void recycle_locked() noexcept;  // requires state_mutex_, no session in use
  // C_Finalize + C_Initialize once no session is in use (bounded wait). Requires state_mutex_.
  void restart_module_locked(std::unique_lock<std::mutex>& lock, bool finalize);

  TokenConfig config_;
  std::unique_ptr<Module> module_;

  mutable std::mutex state_mutex_;
  CK_SLOT_ID slot_ = 0;
  std::string label_;
  std::string serial_;
  CK_SESSION_HANDLE login_session_ = CK_INVALID_HANDLE;  // kept open so the login persists
  bool logged_in_ = false;
  bool login_wanted_ = false;  // logged in once: every recovery logs in again
  std::optional<Error> login_failure_;
  std::vector<CK_SESSION_HANDLE> idle_;
  std::uint64_t generation_ = 1;  // bumped whenever pooled sessions are dropped
  std::uint64_t epoch_ = 1;       // bumped when the module itself is re-initialised
  std::uint64_t reinitializations_ = 0;
  std::optional<std::chrono::steady_clock::time_point> last_reinit_;
  std::size_t in_use_ = 0;      // sessions borrowed now
  std::size_t pool_limit_ = 1;  // open pool sessions at most (set by select_token)
  std::size_t derived_objects_ = 0;
  bool recycle_requested_ = false;
  std::uint64_t recycles_ = 0;
  bool draining_ = false;  // a module restart waits for the sessions in use
  std::condition_variable sessions_changed_;
  std::mutex recovery_mutex_;
};

template <class F>
CK_RV Token::retry_store_race(F&& f) {
  CK_RV rv = f();
  for (int attempt = 1; attempt < 4; ++attempt) {
    if (rv != CKR_GENERAL_ERROR && rv != CKR_USER_PIN_NOT_INITIALIZED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20 << attempt));
    rv = f();
  }
  return rv;
}

template <class F>
CK_RV Token::query_slot(F&& f) {
  CK_RV rv = retry_store_race([&] { return f(fn(), slot()); });
  // CKR_GENERAL_ERROR: SoftHSM2's store read half-written by this process (another wrote).
  if (rv == CKR_OK || (!is_recoverable(rv) && rv != CKR_GENERAL_ERROR)) return rv;
  recover(rv);
  return retry_store_race([&] { return f(fn(), slot()); });
}

template <class Op>
auto Token::run(Op&& op) -> std::invoke_result_t<Op&, Session&> {
  for (int attempt = 0;; ++attempt) {
    CK_RV failed = CKR_OK;
    try {
      Session s = session();
      try {
        return op(s);
      } catch (const Error& e) {
        if (is_recoverable(e.ckr())) s.invalidate();
        throw;
      }
    } catch (const Error& e) {
      if (attempt > 0 || !is_recoverable(e.ckr())) throw;
      failed = e.ckr();
    }
    recover(failed);
  }
}

}  // namespace smime::pkcs11
