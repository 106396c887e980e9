// GET /api/v1/logs' cost as the log grows (issue 11 item 19): the newest page with its total,
// as the log use case reads it (list + known_count), at a small and a large log in one run,
// beside a full count(*) (what the route did before). The ratio large/small should stay
// near 1 for the page and fall with the size for the count.
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "smime/audit/audit_log.hpp"
#include "support/softhsm_fixture.hpp"

namespace {

using Clock = std::chrono::steady_clock;

void grow(smime::audit::AuditLog& log, std::size_t entries) {
  // Many writers at once: the group commit batches them, so filling takes seconds.
  constexpr std::size_t kWriters = 128;
  std::vector<std::thread> writers;
  for (std::size_t w = 0; w < kWriters; ++w) {
    writers.emplace_back([&log, entries, w] {
      for (std::size_t i = w; i < entries; i += kWriters) {
        smime::audit::AuditEvent event;
        event.actor = "bench";
        event.direction =
            i % 3 == 0 ? smime::audit::Direction::incoming : smime::audit::Direction::outgoing;
        event.operation = i % 3 == 0 ? "message.verify" : "message.sign";
        event.addresses = {"a" + std::to_string(i) + "@example.org"};
        log.record(event);
      }
    });
  }
  for (auto& t : writers) t.join();
}

template <typename F>
double per_second(double seconds, F&& call) {
  std::size_t n = 0;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    call();
    ++n;
  }
  return static_cast<double>(n) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t small = 10'000;
  const std::size_t large = argc > 1 ? std::stoul(argv[1]) : 200'000;
  smime::test::TempDir dir;
  smime::audit::AuditLog log(dir.path() / "smime.db");
  smime::audit::AuditQuery page;
  page.direction = smime::audit::Direction::outgoing;
  page.limit = 101;  // the use case asks for one more than the page
  struct Figures {
    double page;
    double count;
  };
  const auto measure = [&] {
    return Figures{per_second(2.0,
                              [&] {
                                (void)log.list(page, nullptr);
                                (void)log.known_count(page);
                              }),
                   per_second(2.0, [&] { (void)log.count(page); })};
  };
  grow(log, small);
  const Figures at_small = measure();
  grow(log, large - small);
  const Figures at_large = measure();
  std::printf(
      "audit log list (100 newest outgoing + total): %zu entries %.0f/s, %zu entries %.0f/s,"
      " large/small = %.2f\n",
      small, at_small.page, large, at_large.page, at_large.page / at_small.page);
  std::printf(
      "full count(*) as before:                      %zu entries %.0f/s, %zu entries %.0f/s,"
      " large/small = %.2f\n",
      small, at_small.count, large, at_large.count, at_large.count / at_small.count);
  return 0;
}
