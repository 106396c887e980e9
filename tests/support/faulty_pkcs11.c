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

#define AS_WRAPPER(name, session, params, args) \
  static CK_RV wrap_##name params {             \
    CK_RV injected;                             \
    if (take_fault(F_##name, &injected)) {      \
      return injected;                          \
    }                                           \
    return target->name args;                   \
  }
WRAPPED(AS_WRAPPER)

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
  pthread_mutex_unlock(&lock);
}
