#include "engine_probe.hpp"

#include <iostream>
#include <optional>
#include <stdexcept>

#include "bench_node.hpp"
#include "smime/app/application.hpp"
#include "smime/common/config.hpp"
#include "smime/engine/engine.hpp"
#include "smime/store/revision_scope.hpp"
#include "support/process.hpp"
#include "threaded_rate.hpp"

namespace smime::bench {

nlohmann::json engine_in_process(const std::string& home, unsigned threads, double seconds) {
  const auto r = test::run_process(
      {"/proc/self/exe", "--engine-probe", home, std::to_string(threads), std::to_string(seconds)});
  if (r.exit_code != 0) throw std::runtime_error("the engine probe failed: " + r.err);
  return nlohmann::json::parse(r.out);
}

int engine_probe_main(const std::string& home, unsigned threads, double seconds) {
  try {
    app::Application app(load_config(home, std::nullopt));
    engine::Engine& engine = app.engine();
    const std::string message = text_message(1024);
    const auto sign = [&] {
      const store::RevisionScope one_revision;  // as the use case opens it per request
      engine::OutgoingRequest request;
      request.message = message;
      request.sign = true;
      request.encrypt = false;
      return engine.outgoing(request).signed_;
    };
    if (!sign()) throw std::runtime_error("the probe's message was not signed");
    const ThreadedRate rate = run_threads(threads, seconds, sign);
    std::cout << nlohmann::json{{"threads", threads},
                                {"per_second", rate.per_second},
                                {"cpu_us_per_op", rate.cpu_us_per_op}}
                     .dump()
              << "\n";
    std::cout.flush();
    std::_Exit(0);  // the token is torn down by the exit
  } catch (const std::exception& e) {
    std::cerr << "engine probe: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace smime::bench
