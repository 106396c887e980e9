/* Test-only PKCS#11 module that forwards to a real module and injects faults on request.
 *
 * On first C_GetFunctionList it dlopens FAULTY_PKCS11_TARGET (default SoftHSM2) and returns a
 * copy of the target's function list in which the functions listed in WRAPPED below are
 * replaced by wrappers that count calls and can return an injected CK_RV instead of calling
 * the target. Every other entry is the target's own pointer, except C_GetFunctionList, which
 * points back here so the wrapped list cannot be bypassed. The control API is declared in
 * faulty_pkcs11_control.h. C_GetInterface (PKCS#11 3.0) is deliberately not exported, so
 * loaders that prefer it fall back to C_GetFunctionList and get the wrapped list. */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "faulty_pkcs11_control.h"

#define EXPORT __attribute__((visibility("default")))
#define DEFAULT_TARGET "/usr/lib/softhsm/libsofthsm2.so"

/* X(name, takes_session, parameters, arguments). takes_session marks the functions that
 * faulty_inject() affects; C_CloseSession is 0 on purpose so cleanup always reaches the
 * target. */
#define WRAPPED(X)                                                                                 \
  X(C_Initialize, 0, (CK_VOID_PTR args), (args))                                                   \
  X(C_Finalize, 0, (CK_VOID_PTR reserved), (reserved))                                             \
  X(C_GetSlotList, 0, (CK_BBOOL present, CK_SLOT_ID_PTR slots, CK_ULONG_PTR count),                \
    (present, slots, count))                                                                       \
  X(C_GetTokenInfo, 0, (CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info), (slot, info))                    \
  X(C_OpenSession, 0,                                                                              \
    (CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,                           \
     CK_SESSION_HANDLE_PTR session),                                                               \
    (slot, flags, app, notify, session))                                                           \
  X(C_CloseSession, 0, (CK_SESSION_HANDLE s), (s))                                                 \
  X(C_GetSessionInfo, 1, (CK_SESSION_HANDLE s, CK_SESSION_INFO_PTR info), (s, info))               \
  X(C_Login, 1, (CK_SESSION_HANDLE s, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len),       \
    (s, user, pin, len))                                                                           \
  X(C_Logout, 1, (CK_SESSION_HANDLE s), (s))                                                       \
  X(C_FindObjectsInit, 1, (CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n), (s, tmpl, n))  \
  X(C_FindObjects, 1,                                                                              \
    (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE_PTR objects, CK_ULONG max, CK_ULONG_PTR found),         \
    (s, objects, max, found))                                                                      \
  X(C_FindObjectsFinal, 1, (CK_SESSION_HANDLE s), (s))                                             \
  X(C_GetAttributeValue, 1,                                                                        \
    (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n), (s, o, tmpl, n)) \
  X(C_SetAttributeValue, 1,                                                                        \
    (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n), (s, o, tmpl, n)) \
  X(C_CreateObject, 1,                                                                             \
    (CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n, CK_OBJECT_HANDLE_PTR o),              \
    (s, tmpl, n, o))                                                                               \
  X(C_DestroyObject, 1, (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o), (s, o))                         \
  X(C_GenerateKeyPair, 1,                                                                          \
    (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pub, CK_ULONG npub,                 \
     CK_ATTRIBUTE_PTR priv, CK_ULONG npriv, CK_OBJECT_HANDLE_PTR pub_key,                          \
     CK_OBJECT_HANDLE_PTR priv_key),                                                               \
    (s, m, pub, npub, priv, npriv, pub_key, priv_key))                                             \
  X(C_SignInit, 1, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key), (s, m, key))   \
  X(C_Sign, 1,                                                                                     \
    (CK_SESSION_HANDLE s, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len),  \
    (s, data, len, sig, sig_len))                                                                  \
  X(C_DecryptInit, 1, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key),             \
    (s, m, key))                                                                                   \
  X(C_Decrypt, 1,                                                                                  \
    (CK_SESSION_HANDLE s, CK_BYTE_PTR in, CK_ULONG len, CK_BYTE_PTR out, CK_ULONG_PTR out_len),    \
    (s, in, len, out, out_len))                                                                    \
  X(C_DeriveKey, 1,                                                                                \
    (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE base, CK_ATTRIBUTE_PTR tmpl,        \
     CK_ULONG n, CK_OBJECT_HANDLE_PTR key),                                                        \
    (s, m, base, tmpl, n, key))                                                                    \
  X(C_GetMechanismList, 0, (CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR n),          \
    (slot, list, n))                                                                               \
  X(C_GetMechanismInfo, 0, (CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info),  \
    (slot, type, info))

#define AS_ENUM(name, session, params, args) F_##name,
enum { WRAPPED(AS_ENUM) F_COUNT };

#define AS_INFO(name, session, params, args) {#name, session},
static const struct {
  const char* name;
  int takes_session;
} functions[F_COUNT] = {WRAPPED(AS_INFO)};

struct fault {
  CK_RV rv;
  unsigned long left;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long calls[F_COUNT];   /* guarded by lock */
static struct fault faults[F_COUNT];   /* per-function faults, guarded by lock */
static struct fault any_session_fault; /* faulty_inject(), guarded by lock */

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static CK_FUNCTION_LIST* target; /* written once under load_once, then read-only */
static CK_FUNCTION_LIST wrapped; /* likewise */

static int find_function(const char* name) {
  for (int i = 0; name != NULL && i < F_COUNT; ++i) {
    if (strcmp(functions[i].name, name) == 0) return i;
  }
  return -1;
}

static pthread_cond_t released = PTHREAD_COND_INITIALIZER;
static int held = -1;         /* the function whose calls wait, or -1; guarded by lock */
static unsigned long waiting; /* calls waiting in held, guarded by lock */

/* Counts a call to function f; returns 1 and stores the injected rv if it must fail. A call
 * to the held function waits (before its fault is taken) until faulty_release(). */
static int take_fault(int f, CK_RV* rv) {
  int hit = 0;
  pthread_mutex_lock(&lock);
  ++calls[f];
  if (held == f) {
    ++waiting;
    while (held == f) pthread_cond_wait(&released, &lock);
    --waiting;
  }
  struct fault* source = NULL;
  if (faults[f].left > 0) {
    source = &faults[f];
  } else if (functions[f].takes_session && any_session_fault.left > 0) {
    source = &any_session_fault;
  }
  if (source != NULL) {
    --source->left;
    *rv = source->rv;
    hit = 1;
  }
  pthread_mutex_unlock(&lock);
  return hit;
}

/* The session handle of a call, for the functions that take one (their first parameter is
 * always named s); CK_INVALID_HANDLE for the others. */
#define SESSION_OF_0 CK_INVALID_HANDLE
#define SESSION_OF_1 s
#define SESSION_OF(takes) SESSION_OF_##takes

static CK_RV before_call(int f, CK_SESSION_HANDLE s);

#define AS_WRAPPER(name, session, params, args)                       \
  static CK_RV wrap_##name params {                                   \
    CK_RV injected;                                                   \
    if (take_fault(F_##name, &injected)) {                            \
      return injected;                                                \
    }                                                                 \
    const CK_RV refused = before_call(F_##name, SESSION_OF(session)); \
    if (refused != CKR_OK) return refused;                            \
    return target->name args;                                         \
  }
WRAPPED(AS_WRAPPER)

/* ---- a slow token, a token that closes idle sessions, a token with few sessions ---- */

#define MAX_TRACKED 256
static unsigned long latency_ms;         /* guarded by lock */
static unsigned long idle_limit_ms;      /* 0: sessions never expire; guarded by lock */
static unsigned long max_sessions;       /* 0: no limit; guarded by lock */
static unsigned long open_sessions;      /* opened through us and not closed; guarded by lock */
static unsigned long most_open_sessions; /* guarded by lock */
static struct {
  CK_SESSION_HANDLE handle;
  struct timespec last_use;
} tracked[MAX_TRACKED]; /* sessions opened through us, guarded by lock */

static long elapsed_ms(const struct timespec* since) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static void forget_session(CK_SESSION_HANDLE s) { /* requires lock */
  for (int i = 0; i < MAX_TRACKED; ++i) {
    if (tracked[i].handle == s) {
      tracked[i].handle = CK_INVALID_HANDLE;
      if (open_sessions > 0) --open_sessions;
      return;
    }
  }
}

/* Latency for every call; a session idle beyond the limit is closed by "the token" when it is
 * used next; C_OpenSession beyond max_sessions answers CKR_SESSION_COUNT. */
static CK_RV before_call(int f, CK_SESSION_HANDLE s) {
  pthread_mutex_lock(&lock);
  const unsigned long delay = latency_ms;
  CK_RV rv = CKR_OK;
  if (f == F_C_OpenSession && max_sessions > 0 && open_sessions >= max_sessions) {
    rv = CKR_SESSION_COUNT;
  }
  int expired = 0;
  for (int i = 0; s != CK_INVALID_HANDLE && i < MAX_TRACKED; ++i) {
    if (tracked[i].handle != s) continue;
    if (idle_limit_ms > 0 && elapsed_ms(&tracked[i].last_use) > (long)idle_limit_ms) {
      expired = 1;
      forget_session(s);
    } else {
      clock_gettime(CLOCK_MONOTONIC, &tracked[i].last_use);
    }
    break;
  }
  pthread_mutex_unlock(&lock);
  if (expired) {
    target->C_CloseSession(s);
    return f == F_C_CloseSession ? CKR_OK : CKR_SESSION_HANDLE_INVALID;
  }
  if (delay > 0) {
    struct timespec pause = {(time_t)(delay / 1000), (long)(delay % 1000) * 1000000L};
    nanosleep(&pause, NULL);
  }
  return rv;
}

/* C_OpenSession and C_CloseSession keep the session table; they wrap the generated wrappers. */
static CK_RV tracked_open(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
                          CK_SESSION_HANDLE_PTR session) {
  const CK_RV rv = wrap_C_OpenSession(slot, flags, app, notify, session);
  if (rv != CKR_OK) return rv;
  pthread_mutex_lock(&lock);
  for (int i = 0; i < MAX_TRACKED; ++i) {
    if (tracked[i].handle == CK_INVALID_HANDLE) {
      tracked[i].handle = *session;
      clock_gettime(CLOCK_MONOTONIC, &tracked[i].last_use);
      break;
    }
  }
  ++open_sessions;
  if (open_sessions > most_open_sessions) most_open_sessions = open_sessions;
  pthread_mutex_unlock(&lock);
  return rv;
}

static CK_RV tracked_close(CK_SESSION_HANDLE s) {
  const CK_RV rv = wrap_C_CloseSession(s);
  pthread_mutex_lock(&lock);
  forget_session(s);
  pthread_mutex_unlock(&lock);
  return rv;
}

/* Reports the session limit as the token's ulMaxSessionCount. */
static CK_RV limited_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info) {
  const CK_RV rv = wrap_C_GetTokenInfo(slot, info);
  pthread_mutex_lock(&lock);
  if (rv == CKR_OK && max_sessions > 0) info->ulMaxSessionCount = max_sessions;
  pthread_mutex_unlock(&lock);
  return rv;
}

/* ---- a token whose policy refuses mechanisms (many HSMs refuse raw RSA) ---- */

#define MAX_DISABLED 8
static CK_MECHANISM_TYPE disabled[MAX_DISABLED]; /* guarded by lock */
static unsigned long disabled_count;             /* guarded by lock */

static int is_disabled(CK_MECHANISM_TYPE type) {
  int found = 0;
  pthread_mutex_lock(&lock);
  for (unsigned long i = 0; i < disabled_count; ++i) found |= disabled[i] == type;
  pthread_mutex_unlock(&lock);
  return found;
}

static CK_RV filtered_mechanism_list(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR n) {
  if (n == NULL) return CKR_ARGUMENTS_BAD;
  CK_ULONG count = 0;
  CK_RV rv = wrap_C_GetMechanismList(slot, NULL, &count);
  if (rv != CKR_OK) return rv;
  CK_MECHANISM_TYPE* all = calloc(count + 1, sizeof *all);
  if (all == NULL) return CKR_HOST_MEMORY;
  rv = wrap_C_GetMechanismList(slot, all, &count);
  CK_ULONG kept = 0;
  for (CK_ULONG i = 0; rv == CKR_OK && i < count; ++i) {
    if (!is_disabled(all[i])) all[kept++] = all[i];
  }
  if (rv == CKR_OK && list != NULL && *n < kept) rv = CKR_BUFFER_TOO_SMALL;
  if (rv == CKR_OK && list != NULL) memcpy(list, all, kept * sizeof *all);
  if (rv == CKR_OK || rv == CKR_BUFFER_TOO_SMALL) *n = kept;
  free(all);
  return rv;
}

static CK_RV checked_mechanism_info(CK_SLOT_ID slot, CK_MECHANISM_TYPE type,
                                    CK_MECHANISM_INFO_PTR info) {
  return is_disabled(type) ? CKR_MECHANISM_INVALID : wrap_C_GetMechanismInfo(slot, type, info);
}

static CK_RV checked_sign_init(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key) {
  return m != NULL && is_disabled(m->mechanism) ? CKR_MECHANISM_INVALID
                                                : wrap_C_SignInit(s, m, key);
}

static CK_RV checked_decrypt_init(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key) {
  return m != NULL && is_disabled(m->mechanism) ? CKR_MECHANISM_INVALID
                                                : wrap_C_DecryptInit(s, m, key);
}

static void forget_all_sessions(void) {
  pthread_mutex_lock(&lock);
  for (int i = 0; i < MAX_TRACKED; ++i) tracked[i].handle = CK_INVALID_HANDLE;
  open_sessions = 0;
  pthread_mutex_unlock(&lock);
}

#define AS_ASSIGNMENT(name, session, params, args) wrapped.name = wrap_##name;

static void load_target(void) {
  const char* path = getenv("FAULTY_PKCS11_TARGET");
  if (path == NULL || *path == '\0') path = DEFAULT_TARGET;
  void* library = dlopen(path, RTLD_NOW | RTLD_LOCAL); /* never closed */
  if (library == NULL) {
    fprintf(stderr, "faulty_pkcs11: cannot load %s: %s\n", path, dlerror());
    return;
  }
  void* symbol = dlsym(library, "C_GetFunctionList");
  CK_C_GetFunctionList get_list = NULL;
  memcpy(&get_list, &symbol, sizeof get_list); /* object pointer to function pointer */
  CK_FUNCTION_LIST* list = NULL;
  if (get_list == NULL || get_list(&list) != CKR_OK || list == NULL) {
    fprintf(stderr, "faulty_pkcs11: no function list from %s\n", path);
    return;
  }
  wrapped = *list; /* version and every unwrapped entry come from the target */
  wrapped.C_GetFunctionList = C_GetFunctionList;
  WRAPPED(AS_ASSIGNMENT)
  wrapped.C_OpenSession = tracked_open;
  wrapped.C_CloseSession = tracked_close;
  wrapped.C_GetTokenInfo = limited_token_info;
  wrapped.C_GetMechanismList = filtered_mechanism_list;
  wrapped.C_GetMechanismInfo = checked_mechanism_info;
  wrapped.C_SignInit = checked_sign_init;
  wrapped.C_DecryptInit = checked_decrypt_init;
  target = list;
}

EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
  if (list == NULL) return CKR_ARGUMENTS_BAD;
  pthread_once(&load_once, load_target);
  if (target == NULL) return CKR_GENERAL_ERROR;
  *list = &wrapped;
  return CKR_OK;
}

EXPORT void faulty_inject(CK_RV rv, unsigned long count) {
  pthread_mutex_lock(&lock);
  any_session_fault.rv = rv;
  any_session_fault.left = count;
  pthread_mutex_unlock(&lock);
}

EXPORT void faulty_inject_on(const char* function_name, CK_RV rv, unsigned long count) {
  const int f = find_function(function_name);
  if (f < 0) {
    fprintf(stderr, "faulty_pkcs11: faulty_inject_on: %s is not a wrapped function\n",
            function_name != NULL ? function_name : "(null)");
    return;
  }
  pthread_mutex_lock(&lock);
  faults[f].rv = rv;
  faults[f].left = count;
  pthread_mutex_unlock(&lock);
}

EXPORT void faulty_reset_device(void) {
  pthread_once(&load_once, load_target);
  if (target != NULL) target->C_Finalize(NULL);
  forget_all_sessions();
}

static void for_each_slot(void (*action)(CK_SLOT_ID)) {
  pthread_once(&load_once, load_target);
  if (target == NULL) return;
  CK_SLOT_ID slots[16];
  CK_ULONG count = 16;
  if (target->C_GetSlotList(CK_TRUE, slots, &count) != CKR_OK) return;
  for (CK_ULONG i = 0; i < count; ++i) action(slots[i]);
}

static void close_all(CK_SLOT_ID slot) {
  target->C_CloseAllSessions(slot);
}

EXPORT void faulty_close_all_sessions(void) {
  for_each_slot(close_all);
  forget_all_sessions();
}

static void logout(CK_SLOT_ID slot) {
  CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
  if (target->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK) return;
  target->C_Logout(s);
  target->C_CloseSession(s);
}

EXPORT void faulty_drop_login(void) {
  for_each_slot(logout);
}

EXPORT void faulty_set_latency(unsigned long milliseconds) {
  pthread_mutex_lock(&lock);
  latency_ms = milliseconds;
  pthread_mutex_unlock(&lock);
}

EXPORT void faulty_close_idle_sessions(unsigned long milliseconds) {
  pthread_mutex_lock(&lock);
  idle_limit_ms = milliseconds;
  pthread_mutex_unlock(&lock);
}

EXPORT void faulty_limit_sessions(unsigned long count) {
  pthread_mutex_lock(&lock);
  max_sessions = count;
  most_open_sessions = open_sessions;
  pthread_mutex_unlock(&lock);
}

EXPORT void faulty_disable_mechanism(CK_MECHANISM_TYPE type) {
  pthread_mutex_lock(&lock);
  if (disabled_count < MAX_DISABLED) disabled[disabled_count++] = type;
  pthread_mutex_unlock(&lock);
}

EXPORT unsigned long faulty_most_open_sessions(void) {
  pthread_mutex_lock(&lock);
  const unsigned long count = most_open_sessions;
  pthread_mutex_unlock(&lock);
  return count;
}

EXPORT unsigned long faulty_call_count(const char* function_name) {
  const int f = find_function(function_name);
  if (f < 0) return 0;
  pthread_mutex_lock(&lock);
  const unsigned long count = calls[f];
  pthread_mutex_unlock(&lock);
  return count;
}

EXPORT void faulty_hold(const char* function_name) {
  const int f = find_function(function_name);
  if (f < 0) {
    fprintf(stderr, "faulty_pkcs11: faulty_hold: %s is not a wrapped function\n",
            function_name ? function_name : "(null)");
    return;
  }
  pthread_mutex_lock(&lock);
  held = f;
  pthread_mutex_unlock(&lock);
}

EXPORT unsigned long faulty_waiting(void) {
  pthread_mutex_lock(&lock);
  const unsigned long count = waiting;
  pthread_mutex_unlock(&lock);
  return count;
}

EXPORT void faulty_release(void) {
  pthread_mutex_lock(&lock);
  held = -1;
  pthread_cond_broadcast(&released);
  pthread_mutex_unlock(&lock);
}

EXPORT void faulty_clear(void) {
  faulty_release();
  pthread_mutex_lock(&lock);
  memset(calls, 0, sizeof calls);
  memset(faults, 0, sizeof faults);
  memset(&any_session_fault, 0, sizeof any_session_fault);
  latency_ms = 0;
  idle_limit_ms = 0;
  max_sessions = 0;
  most_open_sessions = open_sessions;
  disabled_count = 0;
  pthread_mutex_unlock(&lock);
}
