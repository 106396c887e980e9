// The control functions of the fault-injecting PKCS#11 module (faulty_pkcs11_control.h) as
// loaded in this process: dlopen returns the instance the application uses.
#pragma once

#include <dlfcn.h>

#include <stdexcept>
#include <string>

#include "support/faulty_pkcs11_control.h"

namespace smime::test {

struct FaultyModule {
  decltype(&faulty_inject) inject;
  decltype(&faulty_inject_on) inject_on;
  decltype(&faulty_reset_device) reset_device;
  decltype(&faulty_close_all_sessions) close_all_sessions;
  decltype(&faulty_drop_login) drop_login;
  decltype(&faulty_set_latency) set_latency;
  decltype(&faulty_close_idle_sessions) close_idle_sessions;
  decltype(&faulty_limit_sessions) limit_sessions;
  decltype(&faulty_most_open_sessions) most_open_sessions;
  decltype(&faulty_disable_mechanism) disable_mechanism;
  decltype(&faulty_call_count) call_count;
  decltype(&faulty_hold) hold;
  decltype(&faulty_waiting) waiting;
  decltype(&faulty_release) release;
  decltype(&faulty_clear) clear;

  FaultyModule() {
    void* handle = dlopen(SMIME_TEST_FAULTY_MODULE, RTLD_NOW);
    if (handle == nullptr) throw std::runtime_error(dlerror());
    bind(handle, inject, "faulty_inject");
    bind(handle, inject_on, "faulty_inject_on");
    bind(handle, reset_device, "faulty_reset_device");
    bind(handle, close_all_sessions, "faulty_close_all_sessions");
    bind(handle, drop_login, "faulty_drop_login");
    bind(handle, set_latency, "faulty_set_latency");
    bind(handle, close_idle_sessions, "faulty_close_idle_sessions");
    bind(handle, limit_sessions, "faulty_limit_sessions");
    bind(handle, most_open_sessions, "faulty_most_open_sessions");
    bind(handle, disable_mechanism, "faulty_disable_mechanism");
    bind(handle, call_count, "faulty_call_count");
    bind(handle, hold, "faulty_hold");
    bind(handle, waiting, "faulty_waiting");
    bind(handle, release, "faulty_release");
    bind(handle, clear, "faulty_clear");
  }

 private:
  template <class F>
  static void bind(void* handle, F& out, const char* name) {
    out = reinterpret_cast<F>(dlsym(handle, name));
    if (out == nullptr) throw std::runtime_error(std::string("faulty module lacks ") + name);
  }
};

}  // namespace smime::test
