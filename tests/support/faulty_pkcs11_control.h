/* Control API of the test-only faulty PKCS#11 module (tests/support/faulty_pkcs11.c).
 *
 * The module forwards to a real PKCS#11 module (FAULTY_PKCS11_TARGET, default
 * /usr/lib/softhsm/libsofthsm2.so) and lets a test make calls fail. A test dlopens the same
 * module path the application loads (dlopen returns the same instance) and dlsyms these.
 * All functions are thread-safe. Function names are the PKCS#11 names, e.g. "C_Login". */
#ifndef SMIME_TESTS_FAULTY_PKCS11_CONTROL_H
#define SMIME_TESTS_FAULTY_PKCS11_CONTROL_H

#include <p11-kit/pkcs11.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The next `count` calls to any wrapped function that takes a session handle return `rv`
 * without reaching the target. C_CloseSession is excluded (it always forwards), as are the
 * functions without a session handle (C_Initialize, C_Finalize, C_GetSlotList,
 * C_GetTokenInfo, C_OpenSession, C_GetMechanismList, C_GetMechanismInfo).
 * Replaces any earlier pending generic fault. */
void faulty_inject(CK_RV rv, unsigned long count);

/* The next `count` calls to the named wrapped function return `rv` without reaching the
 * target. Works for every wrapped function, including those without a session handle.
 * A per-function fault is used before a generic one; a call consumes at most one fault.
 * Replaces any earlier pending fault for that function. An unknown name is reported on
 * stderr and ignored. */
void faulty_inject_on(const char* function_name, CK_RV rv, unsigned long count);

/* Simulates a device reset: calls the target's real C_Finalize (not counted as a call), so
 * every real session and the login vanish. The target then answers
 * CKR_CRYPTOKI_NOT_INITIALIZED until the application calls C_Initialize again. */
void faulty_reset_device(void);

/* An HSM fail-over: C_CloseAllSessions on every slot of the target, so every session and the
 * login vanish while the module stays initialised. */
void faulty_close_all_sessions(void);
/* The login is lost (C_Logout underneath) while the sessions stay open. */
void faulty_drop_login(void);
/* Every wrapped call waits this long before it reaches the target: a slow or far token. */
void faulty_set_latency(unsigned long milliseconds);
/* A session unused for longer than this is closed by "the token" when it is next used (the
 * call answers CKR_SESSION_HANDLE_INVALID), as network HSMs drop idle sessions. 0: never. */
void faulty_close_idle_sessions(unsigned long milliseconds);
/* The token allows `count` open sessions: C_GetTokenInfo reports it as ulMaxSessionCount and
 * C_OpenSession beyond it answers CKR_SESSION_COUNT. 0: no limit. */
void faulty_limit_sessions(unsigned long count);
/* The most sessions open at once through this module since faulty_limit_sessions/clear. */
unsigned long faulty_most_open_sessions(void);

/* The token refuses the mechanism from now on, as an HSM's policy may (raw RSA, say): it is
 * left out of C_GetMechanismList, C_GetMechanismInfo answers CKR_MECHANISM_INVALID, and so do
 * C_SignInit and C_DecryptInit with it. Up to 8 mechanisms. */
void faulty_disable_mechanism(CK_MECHANISM_TYPE type);

/* How many times the application called the named wrapped function (counted whether or
 * not a fault was injected). 0 for an unknown name. */
unsigned long faulty_call_count(const char* function_name);

/* Calls to the named wrapped function wait (inside the module) until faulty_release(): a
 * test can hold a request in the token for as long as it needs, without timing. */
void faulty_hold(const char* function_name);
/* How many calls are waiting in the held function now. */
unsigned long faulty_waiting(void);
/* Lets every held call go on (and holds no more). */
void faulty_release(void);

/* Releases held calls; clears all pending faults, call counters, latency and limits. */
void faulty_clear(void);

#ifdef __cplusplus
}
#endif

#endif /* SMIME_TESTS_FAULTY_PKCS11_CONTROL_H */
