// Who asks for a use case: the actor its audit entries name.
#pragma once

#include <string>

namespace smime::app {

struct Caller {
  // The API token id as decimal text, or "smimectl" for the local administrator.
  std::string actor;
};

// The local administrator: smimectl on the appliance's own machine.
inline Caller local_administrator() {
  return Caller{"smimectl"};
}

}  // namespace smime::app
