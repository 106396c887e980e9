#include "output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "smime/common/error.hpp"

namespace smimectl {

void emit(const AppContext& ctx, const nlohmann::json& result,
          const std::function<void(std::ostream&)>& human) {
  if (ctx.json()) {
    std::cout << result.dump(2) << "\n";
  } else {
    human(std::cout);
  }
}

nlohmann::json to_json(const smime::KeyInfo& key) {
  nlohmann::json j = {
      {"id", key.id},
      {"label", key.label},
      {"type", std::string(smime::to_string(key.type))},
      {"bits", key.bits},
      {"has_private_key", key.has_private},
      {"has_public_key", key.has_public},
      {"has_certificate", key.has_certificate},
      {"sensitive", key.sensitive},
      {"extractable", key.extractable},
      {"always_sensitive", key.always_sensitive},
      {"never_extractable", key.never_extractable},
      {"uri", key.uri},
  };
  if (!key.curve.empty()) j["curve"] = key.curve;
  return j;
}

void write_output_file(const std::string& path, const std::string& content, unsigned mode) {
  if (path == "-") {
    std::cout << content;
    return;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    throw smime::Error(smime::ErrorCode::io, "Cannot write " + path + ": " + std::strerror(errno));
  }
  const bool ok =
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ::close(fd);
  if (!ok) throw smime::Error(smime::ErrorCode::io, "Cannot write " + path);
}

}  // namespace smimectl
