#include "large_mail.hpp"

#include <chrono>
#include <stdexcept>

#include "process_stats.hpp"
#include "support/process.hpp"

namespace smime::bench {
namespace {

struct ApiRun {
  double seconds = 0;
  long rss_before_kib = 0;
  long peak_kib = 0;
  std::string output;
};

// One request on a freshly started smimed (warmed by a small one), so VmHWM is this request's.
ApiRun api_run(BenchNode& node, const std::string& target, const std::string& message,
               const std::string& accept) {
  node.restart(0);
  node.post(kSignTarget, text_message(1024));
  ApiRun run;
  run.rss_before_kib = status_kib(node.pid(), "VmRSS");
  const auto started = std::chrono::steady_clock::now();
  run.output = node.post(target, message, accept);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  run.peak_kib = status_kib(node.pid(), "VmHWM");
  return run;
}

nlohmann::json api_json(const ApiRun& run, std::size_t input_bytes) {
  const long growth = run.peak_kib - run.rss_before_kib;
  return {{"seconds", run.seconds},
          {"input_bytes", input_bytes},
          {"output_bytes", run.output.size()},
          {"rss_before_kib", run.rss_before_kib},
          {"peak_rss_kib", run.peak_kib},
          {"peak_growth_kib", growth},
          {"growth_per_message_size", growth * 1024.0 / static_cast<double>(input_bytes)}};
}

ChildRun openssl(const LargeMailSetup& setup, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"openssl", "cms"};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildRun run = run_measured(argv, {"OPENSSL_CONF=" + setup.openssl_conf});
  if (run.exit_code != 0) throw std::runtime_error("openssl cms " + args[0] + ": " + run.err);
  return run;
}

nlohmann::json cli_json(const ChildRun& first, const ChildRun& second) {
  return {{"seconds", first.seconds + second.seconds},
          {"max_rss_kib", std::max(first.max_rss_kib, second.max_rss_kib)},
          {"first_seconds", first.seconds},
          {"second_seconds", second.seconds}};
}

}  // namespace

nlohmann::json large_mail_run(BenchNode& node, const LargeMailSetup& setup) {
  const std::string message = large_message();
  const std::string in = setup.scratch + "/large.eml";
  const std::string signer = setup.scratch + "/signer.pem";
  const std::string recipient = setup.scratch + "/recipient.pem";
  test::write_file(in, message);
  test::write_file(signer, setup.keys.signer_certificate_pem);
  test::write_file(recipient, setup.keys.recipient_certificate_pem);

  const ApiRun out = api_run(node, kSignEncryptTarget, message, {});
  const ApiRun back = api_run(node, kIncomingTarget, out.output, "message/rfc822");
  node.restart(0);

  const std::string signed_file = setup.scratch + "/large.signed";
  const std::string enveloped = setup.scratch + "/large.p7m";
  const std::string decrypted = setup.scratch + "/large.decrypted";
  const ChildRun sign =
      openssl(setup, {"-sign", "-in", in, "-signer", signer, "-inkey", setup.keys.signer_key_uri,
                      "-md", "sha256", "-out", signed_file});
  const ChildRun encrypt =
      openssl(setup, {"-encrypt", "-in", signed_file, "-aes256", "-out", enveloped, recipient});
  const ChildRun decrypt =
      openssl(setup, {"-decrypt", "-in", enveloped, "-recip", recipient, "-inkey",
                      setup.keys.recipient_key_uri, "-out", decrypted});
  const ChildRun verify =
      openssl(setup, {"-verify", "-in", decrypted, "-CAfile", signer, "-out", "/dev/null"});
  return {{"message_bytes", message.size()},
          {"api_sign_encrypt", api_json(out, message.size())},
          {"api_decrypt_verify", api_json(back, out.output.size())},
          {"openssl_sign_then_encrypt", cli_json(sign, encrypt)},
          {"openssl_decrypt_then_verify", cli_json(decrypt, verify)}};
}

}  // namespace smime::bench
