#include "output.hpp"

#include <iostream>
#include <iterator>

#include "smime/common/clock.hpp"
#include "smime/common/files.hpp"

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
  return smime::read_file(path);
}

void write_output_file(const std::string& path, std::string_view content, unsigned mode) {
  if (path == "-") {
    std::cout << content;
    return;
  }
  smime::replace_file(path, content, mode);
}

std::string date(std::int64_t unix_seconds) {
  return smime::format_utc(unix_seconds, "%Y-%m-%d");
}

}  // namespace smimectl
