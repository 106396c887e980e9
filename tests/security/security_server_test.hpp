// An in-process smimed for an attack, whose audit chain and database are checked once it has
// stopped (store_check.hpp): no attack may leave a broken log or a damaged file behind.
#pragma once

#include "server_fixture.hpp"
#include "store_check.hpp"

namespace smime::test {

class SecurityServerTest : public ServerTest {
 protected:
  void TearDown() override {
    ServerTest::TearDown();
    if (!HasFatalFailure()) expect_store_intact(scratch_.path() / "home");
  }
};

}  // namespace smime::test
