#include "smime/pkcs11/token.hpp"

#include <spdlog/spdlog.h>

#include <thread>

#include "smime/pkcs11/module.hpp"

namespace smime::pkcs11 {

// ---- Session ------------------------------------------------------------------------------

Session::Session(Session&& other) noexcept
    : token_(other.token_),
      handle_(other.handle_),
      generation_(other.generation_),
      epoch_(other.epoch_),
      healthy_(other.healthy_) {
  other.token_ = nullptr;
}

Session& Session::operator=(Session&& other) noexcept {
  if (this != &other) {
    release();
    token_ = other.token_;
    handle_ = other.handle_;
    generation_ = other.generation_;
    epoch_ = other.epoch_;
    healthy_ = other.healthy_;
    other.token_ = nullptr;
  }
  return *this;
}

Session::~Session() {
  release();
}

void Session::release() noexcept {
  if (token_ != nullptr) token_->release(handle_, generation_, epoch_, healthy_);
  token_ = nullptr;
}

CK_FUNCTION_LIST* Session::fn() const noexcept {
  return token_->fn();
}

// ---- Token --------------------------------------------------------------------------------

Token::Token(TokenConfig config) : config_(std::move(config)) {}

Token::~Token() {
  // Close only what we own; never C_Logout/C_Finalize: the provider may still use the module.
  std::lock_guard lock(state_mutex_);
  for (CK_SESSION_HANDLE h : idle_) fn()->C_CloseSession(h);
  idle_.clear();
  if (login_session_ != CK_INVALID_HANDLE) fn()->C_CloseSession(login_session_);
}

std::shared_ptr<Token> Token::open(TokenConfig config) {
  if (config.module_path.empty()) {
    throw Error(ErrorCode::module_load, "No PKCS#11 module configured");
  }
  std::shared_ptr<Token> token(new Token(std::move(config)));
  token->module_ = std::make_unique<Module>(token->config_.module_path);
  token->module_->initialize();
  std::lock_guard lock(token->state_mutex_);
  // SoftHSM2's file store, written by another process at this moment, can look uninitialised
  // (or absent) to a process that initialises now: look again with the store read afresh, a
  // few times (at most about 0.6 s) before saying so.
  for (int attempt = 0;; ++attempt) {
    try {
      token->select_token();
      return token;
    } catch (const Error& e) {
      const bool maybe_racing =
          e.code() == ErrorCode::token_not_initialized || e.code() == ErrorCode::token_not_found;
      if (!maybe_racing || attempt == 5) throw;
      spdlog::debug("token selection: {}; reading the module's tokens again", e.what());
      token->module_->finalize();
      std::this_thread::sleep_for(std::chrono::milliseconds(20 << attempt));
      token->module_->initialize();
    }
  }
}

CK_FUNCTION_LIST* Token::fn() const noexcept {
  return module_->fn();
}

CK_SLOT_ID Token::slot() const {
  std::lock_guard lock(state_mutex_);
  return slot_;
}
std::string Token::label() const {
  std::lock_guard lock(state_mutex_);
  return label_;
}
std::string Token::serial() const {
  std::lock_guard lock(state_mutex_);
  return serial_;
}
std::uint64_t Token::reinitializations() const {
  std::lock_guard lock(state_mutex_);
  return reinitializations_;
}
std::uint64_t Token::epoch() const {
  std::lock_guard lock(state_mutex_);
  return epoch_;
}
bool Token::logged_in() const {
  std::lock_guard lock(state_mutex_);
  return logged_in_;
}

void Token::select_token() {
  struct Candidate {
    CK_SLOT_ID slot;
    std::string label;
    std::string serial;
    bool initialized;
  };
  std::vector<Candidate> candidates;
  for (CK_SLOT_ID slot : module_->slots_with_token()) {
    CK_TOKEN_INFO info{};
    if (fn()->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
    candidates.push_back({slot, from_padded(info.label, sizeof info.label),
                          from_padded(info.serialNumber, sizeof info.serialNumber),
                          (info.flags & CKF_TOKEN_INITIALIZED) != 0});
  }
  const bool by_label = !config_.label.empty();
  const bool by_serial = !config_.serial.empty();
  std::vector<const Candidate*> matches;
  std::string known;
  std::size_t uninitialized = 0;
  for (const auto& c : candidates) {
    if (!c.initialized) {
      ++uninitialized;
      if (by_serial && c.serial == config_.serial) {
        throw Error(ErrorCode::token_not_initialized,
                    "The token with serial " + c.serial + " is not initialised");
      }
      continue;
    }
    known += (known.empty() ? "" : ", ") + ("'" + c.label + "' (serial " + c.serial + ")");
    if ((by_label && c.label != config_.label) || (by_serial && c.serial != config_.serial)) {
      continue;
    }
    matches.push_back(&c);
  }
  const std::string wanted = by_label    ? "labelled '" + config_.label + "'"
                             : by_serial ? "with serial " + config_.serial
                                         : "initialised";
  if (matches.empty()) {
    if (known.empty() && uninitialized > 0) {
      throw Error(
          ErrorCode::token_not_initialized,
          "The token in " + config_.module_path + " is not initialised (run: smimectl token init)");
    }
    throw Error(ErrorCode::token_not_found, "No token " + wanted + " in " + config_.module_path +
                                                (known.empty() ? " (no initialised token present)"
                                                               : " (present: " + known + ")"));
  }
  if (matches.size() > 1) {
    throw Error(ErrorCode::token_not_found,
                "Several tokens match (" + known + "): choose one by label or serial");
  }
  slot_ = matches.front()->slot;
  label_ = matches.front()->label;
  serial_ = matches.front()->serial;
  pool_limit_ = std::max<std::size_t>(config_.max_sessions, 1);
  CK_TOKEN_INFO info{};
  if (fn()->C_GetTokenInfo(slot_, &info) == CKR_OK &&
      info.ulMaxSessionCount != CK_EFFECTIVELY_INFINITE &&
      info.ulMaxSessionCount != CK_UNAVAILABLE_INFORMATION) {
    // One session is the login session; leave at least one for the pool.
    const std::size_t token_limit = info.ulMaxSessionCount > 1 ? info.ulMaxSessionCount - 1 : 1;
    pool_limit_ = std::min(pool_limit_, token_limit);
  }
}

std::size_t Token::pool_limit() const {
  std::lock_guard lock(state_mutex_);
  return pool_limit_;
}

void Token::wait_for_session_locked(std::unique_lock<std::mutex>& lock) {
  const auto ready = [this] {
    return !recycle_requested_ && !draining_ && (!idle_.empty() || in_use_ < pool_limit_);
  };
  if (ready()) return;
  if (!sessions_changed_.wait_for(lock, config_.session_wait, ready)) {
    if (recycle_requested_ || draining_) return;  // a recycle stuck behind us: go on
    throw Error(ErrorCode::token_failure,
                "All " + std::to_string(pool_limit_) + " sessions of token '" + label_ +
                    "' are in use; none became free within " +
                    std::to_string(config_.session_wait.count()) + " ms",
                CKR_SESSION_COUNT);
  }
}

void Token::open_login_session_locked() {
  if (login_session_ != CK_INVALID_HANDLE) return;
  check_rv(fn()->C_OpenSession(slot_, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr,
                               &login_session_),
           "C_OpenSession");
}

void Token::login() {
  std::lock_guard lock(state_mutex_);
  login_locked();
}

void Token::login_locked() {
  if (logged_in_) return;
  if (login_failure_) throw *login_failure_;
  if (!config_.pin) {
    throw Error(ErrorCode::pin_source, "No PIN source configured for token '" + label_ + "'");
  }
  open_login_session_locked();
  CK_SESSION_INFO info{};
  if (fn()->C_GetSessionInfo(login_session_, &info) == CKR_OK &&
      (info.state == CKS_RW_USER_FUNCTIONS || info.state == CKS_RO_USER_FUNCTIONS)) {
    logged_in_ = true;  // another user of the module in this process already logged in
    login_wanted_ = true;
    return;
  }
  CK_RV rv = CKR_OK;
  {
    SecretString pin = config_.pin->read();
    auto log_in = [&] {
      return fn()->C_Login(login_session_, CKU_USER,
                           reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(pin.data())),
                           pin.size());
    };
    rv = retry_store_race(log_in);
    // Still the store race: this process's module read a half-written store and keeps that
    // view; while no session is in use, read the store afresh (re-initialise) and try again.
    for (int round = 0; round < 2 && in_use_ == 0 &&
                        (rv == CKR_GENERAL_ERROR || rv == CKR_USER_PIN_NOT_INITIALIZED);
         ++round) {
      spdlog::debug("token '{}': C_Login answered {}; reading the token store again", label_,
                    ckr_name(rv));
      ++epoch_;
      ++generation_;
      idle_.clear();
      login_session_ = CK_INVALID_HANDLE;
      module_->finalize();
      module_->initialize();
      select_token();
      open_login_session_locked();
      rv = retry_store_race(log_in);
    }
  }  // the PIN is wiped here
  if (rv == CKR_USER_ALREADY_LOGGED_IN) rv = CKR_OK;
  if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_EXPIRED ||
      rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE) {
    try {
      check_rv(rv, "C_Login");
    } catch (const Error& e) {
      login_failure_ = Error(e.code(),
                             std::string(e.what()) + " (token '" + label_ + "', PIN from " +
                                 config_.pin->describe() + ")",
                             rv);
    }
    spdlog::error("token login failed: {}", login_failure_->what());
    throw *login_failure_;
  }
  check_rv(rv, "C_Login");
  logged_in_ = true;
  login_wanted_ = true;
}

Session Token::session() {
  std::unique_lock lock(state_mutex_);
  // A pending recycle waits for the sessions in use; new borrowers wait for the recycle (the
  // bound keeps a caller that already holds a session, and so blocks the recycle, going), and
  // for a free session when the pool is at its bound.
  if (recycle_requested_ || draining_) {
    sessions_changed_.wait_for(lock, std::chrono::seconds(2),
                               [this] { return !recycle_requested_ && !draining_; });
  }
  wait_for_session_locked(lock);
  const std::uint64_t generation = generation_;
  const std::uint64_t epoch = epoch_;
  if (!idle_.empty()) {
    CK_SESSION_HANDLE h = idle_.back();
    idle_.pop_back();
    ++in_use_;
    return Session(this, h, generation, epoch);
  }
  const CK_SLOT_ID slot = slot_;
  ++in_use_;
  lock.unlock();
  CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
  const CK_RV rv =
      fn()->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h);
  if (rv != CKR_OK) {
    lock.lock();
    --in_use_;
    if (rv == CKR_SESSION_COUNT && in_use_ > 0) {
      // Other processes hold the token's other sessions: stay below what we have now.
      pool_limit_ = std::max<std::size_t>(in_use_, 1);
      spdlog::warn("token '{}': the token allows no more sessions; the pool is bounded at {}",
                   label_, pool_limit_);
      lock.unlock();
      return session();
    }
    check_rv(rv, "C_OpenSession");
  }
  return Session(this, h, generation, epoch);
}

void Token::release(CK_SESSION_HANDLE handle, std::uint64_t generation, std::uint64_t epoch,
                    bool healthy) noexcept {
  std::lock_guard lock(state_mutex_);
  --in_use_;
  if (healthy && generation == generation_ && epoch == epoch_ &&
      idle_.size() < config_.max_idle_sessions) {
    idle_.push_back(handle);
  } else if (epoch == epoch_) {
    // A handle from before a module re-initialisation may already name someone else's session.
    fn()->C_CloseSession(handle);
  }
  if (recycle_requested_ && in_use_ == 0) recycle_locked();
  sessions_changed_.notify_all();  // a session is free (or the drain may go on)
}

void Token::note_derived_object() {
  if (config_.recycle_after_derivations == 0) return;
  std::lock_guard lock(state_mutex_);
  if (++derived_objects_ >= config_.recycle_after_derivations) recycle_requested_ = true;
}

std::uint64_t Token::recycles() const {
  std::lock_guard lock(state_mutex_);
  return recycles_;
}

void Token::recycle_locked() noexcept {
  recycle_requested_ = false;
  derived_objects_ = 0;
  ++recycles_;
  ++epoch_;
  ++generation_;
  logged_in_ = false;
  idle_.clear();
  login_session_ = CK_INVALID_HANDLE;
  module_->finalize();  // frees what the module kept; every session and the login end
  try {
    module_->initialize();
    select_token();
    if (login_wanted_) login_locked();
    spdlog::info("token '{}': module recycled after {} derivations (#{})", label_,
                 config_.recycle_after_derivations, recycles_);
  } catch (const Error& e) {
    // The next operation meets CKR_CRYPTOKI_NOT_INITIALIZED or no login and recovers.
    spdlog::error("token '{}': re-initialisation after a recycle failed: {}", label_, e.detail());
  }
  sessions_changed_.notify_all();
}

bool Token::is_recoverable(CK_RV rv) noexcept {
  switch (rv) {
    case CKR_DEVICE_ERROR:
    case CKR_DEVICE_REMOVED:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_SLOT_ID_INVALID:  // a restarted network HSM (or its client) numbers slots anew
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
    case CKR_CRYPTOKI_NOT_INITIALIZED:
    case CKR_USER_NOT_LOGGED_IN:
      return true;
    default:
      return false;
  }
}

void Token::recover(CK_RV rv) {
  std::lock_guard recovery(recovery_mutex_);
  std::unique_lock lock(state_mutex_);
  spdlog::warn("token '{}': recovering after {}", label_, ckr_name(rv));

  // A lost session or login: if the login session is still fine, a fresh session is enough.
  if (rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
      rv == CKR_USER_NOT_LOGGED_IN) {
    CK_SESSION_INFO info{};
    CK_RV probe = login_session_ == CK_INVALID_HANDLE
                      ? CKR_SESSION_HANDLE_INVALID
                      : fn()->C_GetSessionInfo(login_session_, &info);
    if (probe == CKR_OK) {
      // The token may have closed every idle session (network HSMs drop idle ones).
      for (CK_SESSION_HANDLE h : idle_) fn()->C_CloseSession(h);
      idle_.clear();
      ++generation_;
      const bool user = info.state == CKS_RW_USER_FUNCTIONS || info.state == CKS_RO_USER_FUNCTIONS;
      if (!user && login_wanted_) {
        logged_in_ = false;
        login_locked();
      }
      return;
    }
    rv = probe;
  }

  const auto now = std::chrono::steady_clock::now();
  if (last_reinit_ && now - *last_reinit_ < config_.reinit_interval) {
    std::string why = ckr_name(rv);
    if (std::string_view meaning = ckr_meaning(rv); !meaning.empty()) {
      why += ": " + std::string(meaning);
    }
    throw Error(ErrorCode::token_failure,
                "Token '" + label_ + "' is unavailable (" + why +
                    "); it was re-initialised moments ago, try again later",
                rv);
  }
  last_reinit_ = now;
  ++reinitializations_;
  ++generation_;
  logged_in_ = false;
  // The module itself is re-initialised: a reset device (CKR_CRYPTOKI_NOT_INITIALIZED), and a
  // failed device or lost connection (a network HSM's client reconnects only in C_Initialize).
  restart_module_locked(lock, /*finalize=*/rv != CKR_CRYPTOKI_NOT_INITIALIZED);
  select_token();  // the slot id may have changed
  if (login_wanted_) login_locked();
  spdlog::info("token '{}': recovered (re-initialisation #{})", label_, reinitializations_);
}

void Token::restart_module_locked(std::unique_lock<std::mutex>& lock, bool finalize) {
  draining_ = true;
  sessions_changed_.wait_for(lock, std::chrono::seconds(2), [this] { return in_use_ == 0; });
  // Every handle of the old module state is void; forget them without closing.
  ++epoch_;
  idle_.clear();
  login_session_ = CK_INVALID_HANDLE;
  if (finalize) module_->finalize();
  draining_ = false;
  sessions_changed_.notify_all();
  module_->initialize();
}

}  // namespace smime::pkcs11
