#include "interop/peers/peer.hpp"

#include <atomic>
#include <filesystem>

#include "support/process.hpp"

namespace smime::test::interop {

PeerDir::PeerDir(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);
}

std::string PeerDir::fresh(std::string_view stem) const {
  static std::atomic<unsigned> counter{0};
  return (dir_ / (std::to_string(++counter) + "-" + std::string(stem))).string();
}

std::string PeerDir::write(std::string_view stem, std::string_view content) const {
  std::string path = fresh(stem);
  write_file(path, std::string(content));
  return path;
}

PeerRun run_peer(const std::vector<std::string>& argv,
                 const std::map<std::string, std::string>& env, const std::string& output_file) {
  PeerRun run;
  for (const auto& arg : argv) run.command += (run.command.empty() ? "" : " ") + arg;
  if (!output_file.empty()) std::filesystem::remove(output_file);
  ProcessResult r = run_process(argv, env);
  run.ok = r.exit_code == 0;
  run.printed = r.out + r.err;
  if (r.exit_code != 0) run.printed += "[exit " + std::to_string(r.exit_code) + "]";
  if (!output_file.empty() && std::filesystem::exists(output_file)) {
    run.output = read_file(output_file);
  } else if (output_file.empty()) {
    run.output = r.out;
  }
  return run;
}

PeerRun run_peer_with_fd3(const std::vector<std::string>& argv, const std::string& input_file,
                          const std::map<std::string, std::string>& env,
                          const std::string& output_file) {
  // sh opens the file on fd 3 and execs the peer: no quoting of the arguments involved.
  std::vector<std::string> wrapped = {"sh", "-c", "exec \"$0\" \"$@\" 3<\"$INTEROP_FD3_FILE\""};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  std::map<std::string, std::string> full_env = env;
  full_env["INTEROP_FD3_FILE"] = input_file;
  PeerRun run = run_peer(wrapped, full_env, output_file);
  run.command.clear();
  for (const auto& arg : argv) run.command += (run.command.empty() ? "" : " ") + arg;
  run.command += " 3<" + input_file;
  return run;
}

std::string first_line_of(const std::vector<std::string>& argv, const std::string& fallback) {
  try {
    ProcessResult r = run_process(argv);
    const std::string text = r.out.empty() ? r.err : r.out;
    const std::string line = text.substr(0, text.find('\n'));
    return r.exit_code == 0 && !line.empty() ? line : fallback;
  } catch (const std::exception&) {
    return fallback;
  }
}

}  // namespace smime::test::interop
