// smimed in a process of its own for the hot-path bench: the node, its two token keys made
// through the API (the signer support@example.org and the recipient bob@example.net), and
// the messages it is sent.
#pragma once

#include <memory>
#include <string>

#include "cms_reference.hpp"
#include "support/smimed_process.hpp"

namespace smime::bench {

inline constexpr const char* kSignTarget = "/api/v1/messages/outgoing?sign=true&encrypt=false";
inline constexpr const char* kSignEncryptTarget =
    "/api/v1/messages/outgoing?sign=true&encrypt=true";
inline constexpr const char* kIncomingTarget = "/api/v1/messages/incoming";

class BenchNode {
 public:
  // A node in `home` on the shared bench token with `worker_threads` (0: one per core).
  BenchNode(const std::string& home, int worker_threads);

  // Makes both keys (each algorithm once per node).
  ReferenceKeys generate_keys(const std::string& algorithm);
  // Restarts smimed with another worker count (the store and token keys stay).
  void restart(int worker_threads);
  // POSTs `message` to `target` on a connection of its own; throws unless 200.
  std::string post(const std::string& target, const std::string& message,
                   const std::string& accept = {}) const;

  unsigned short port() const { return process_->port(); }
  pid_t pid() const { return process_->pid(); }
  const std::string& secret() const { return process_->admin_secret(); }

 private:
  std::unique_ptr<test::SmimedProcess> process_;
};

// A text/plain message from support@example.org to bob@example.net with a body of `bytes`.
std::string text_message(std::size_t bytes);
// The large mail: a 7 MB text part and an 18 MB base64 attachment (about 25 MB).
std::string large_message();

}  // namespace smime::bench
