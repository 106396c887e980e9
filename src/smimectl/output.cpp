#include "output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

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

std::vector<unsigned char> read_input_file(const std::string& path) {
  if (path == "-") {
    return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw smime::Error(smime::ErrorCode::not_found, "Cannot read " + path + ": no such file");
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
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
