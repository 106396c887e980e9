// Signed messages per second over smimed's HTTPS API (POST /api/v1/messages/outgoing, keep-alive
// TLS clients on loopback, the audit entry durable before each answer) against two references
// measured in the same run with the same 1 KB message and the same token key:
//   - the same engine signing in-process: the ratio is what HTTP, TLS, routing and the audit
//     log cost on the hot path;
//   - one `openssl cms -sign` process per message, with the key through pkcs11-provider: what
//     a helpdesk shelling out to OpenSSL would get.
// Everything runs on a fresh SoftHSM2 token, with as many client (engine, process) threads as
// cores.
//   api_sign_bench [--seconds N] [--threads N] [--algorithm ec-p256|rsa-2048]
#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "https_client.hpp"
#include "load.hpp"
#include "smime/engine/engine.hpp"
#include "smime/server/appliance.hpp"
#include "smime/server/server_settings.hpp"
#include "support/process.hpp"
#include "support/softhsm_fixture.hpp"

namespace {

const std::string& kMessage = smime::bench::kSignedMessage;
using smime::bench::rate;

using smime::bench::Options;

// smimed on the shared test token, on an ephemeral port with a worker per client thread.
smime::AppConfig bench_config(const smime::test::TempDir& scratch) {
  const auto& token_home = smime::test::softhsm_home();
  smime::AppConfig config = smime::load_config(scratch.path(), std::nullopt);
  config.token.module = SMIME_TEST_SOFTHSM_MODULE;
  config.token.label = smime::test::kTestTokenLabel;
  config.token.serial.clear();
  config.token.pin = "file:" + (token_home / "user.pin").string();
  config.token.softhsm_conf = (token_home / "softhsm2.conf").string();
  config.log_level = "error";
  return config;
}

smime::server::ServerSettings bench_settings(const smime::AppConfig& config, unsigned threads) {
  smime::server::ServerSettings settings = smime::server::load_server_settings(config);
  settings.port = 0;
  settings.worker_threads = static_cast<int>(threads);
  return settings;
}

struct OrgKey {
  std::string certificate_file;  // the self-signed certificate, PEM
  std::string uri;               // the token key's PKCS#11 URI
};

// The org key and certificate through the API, as an admin would make them.
OrgKey generate_org_key(smime::server::Appliance& appliance, const std::string& algorithm,
                        const std::string& certificate_file) {
  const std::string admin_secret = std::string(
      appliance.api_tokens().create("admin", smime::store::ApiRole::admin).secret.view());
  const nlohmann::json generated =
      smime::bench::generate_org_key(appliance.port(), admin_secret, algorithm);
  smime::test::write_file(certificate_file, generated["certificate_pem"].get<std::string>());
  return {certificate_file, generated["key"]["uri"].get<std::string>()};
}

// The reference: the same engine code on the same store and token key, without HTTP.
double in_process_rate(smime::app::Application& app, const Options& options) {
  smime::engine::Engine engine(app.store(), app.certificates(),
                               [&app]() -> smime::KeyStore& { return app.keys(); });
  return rate(options.threads, options.seconds, [&] {
    return [&] {
      smime::engine::OutgoingRequest request;
      request.message = kMessage;
      request.sign = true;
      request.encrypt = false;
      return engine.outgoing(request).signed_;
    };
  });
}

double api_rate(unsigned short port, const std::string& secret, const Options& options) {
  return rate(options.threads, options.seconds, [&] {
    auto client = std::make_shared<smime::test::HttpsClient>(port);
    return [client, &secret] {
      auto r = client->request(
          "POST", "/api/v1/messages/outgoing?sign=true&encrypt=false", kMessage,
          {{"Authorization", "Bearer " + secret}, {"Content-Type", "message/rfc822"}});
      return r.status == 200;
    };
  });
}

// openssl cms with the same token key through pkcs11-provider (no-deinit: SPEC §12).
std::string write_openssl_config(const smime::test::TempDir& scratch) {
  const std::string file = scratch.file("openssl-pkcs11.cnf");
  smime::test::write_file(
      file,
      "openssl_conf = init\n[init]\nproviders = providers\n"
      "[providers]\ndefault = default_sect\npkcs11 = pkcs11_sect\n"
      "[default_sect]\nactivate = 1\n[pkcs11_sect]\nmodule = " SMIME_PROVIDER_PATH
      "\npkcs11-module-path = " SMIME_TEST_SOFTHSM_MODULE "\npkcs11-module-token-pin = file:" +
          (smime::test::softhsm_home() / "user.pin").string() +
          "\npkcs11-module-quirks = no-deinit\nactivate = 1\n");
  return file;
}

// Concurrent openssl processes now and then fail to load the key from SoftHSM2 ("Could not
// read signing key"; one process at a time never does): such a run is repeated, and the
// repeats are counted in `repeats`. A run failing three times in a row aborts the bench.
double openssl_rate(const smime::test::TempDir& scratch, const OrgKey& key, const Options& options,
                    std::atomic<long>& repeats) {
  const std::string message_file = scratch.file("message.eml");
  smime::test::write_file(message_file, kMessage);
  const std::string openssl_conf = write_openssl_config(scratch);
  return rate(options.threads, options.seconds, [&] {
    return [&] {
      for (int attempt = 0; attempt < 3; ++attempt) {
        auto r = smime::test::run_process(
            {"openssl", "cms", "-sign", "-in", message_file, "-signer", key.certificate_file,
             "-inkey", key.uri, "-md", "sha256", "-out", "/dev/null"},
            {{"OPENSSL_CONF", openssl_conf}});
        if (r.exit_code == 0) return true;
        ++repeats;
        if (attempt == 2) std::cerr << "openssl cms: " << r.err << "\n";
      }
      return false;
    };
  });
}

}  // namespace

int main(int argc, char** argv) {
  const Options options =
      smime::bench::parse_options(argc, argv, std::max(2u, std::thread::hardware_concurrency()));
  try {
    smime::test::TempDir scratch;
    smime::AppConfig config = bench_config(scratch);
    smime::server::ServerSettings settings = bench_settings(config, options.threads);
    smime::server::Appliance appliance(std::move(config), std::move(settings));
    const std::string secret = std::string(
        appliance.api_tokens().create("bench", smime::store::ApiRole::operator_).secret.view());
    appliance.start(/*handle_signals=*/false);
    std::thread server([&] { appliance.run(); });

    const OrgKey key = generate_org_key(appliance, options.algorithm, scratch.file("org.pem"));
    const double in_process = in_process_rate(appliance.application(), options);
    const double api = api_rate(appliance.port(), secret, options);
    appliance.stop();
    server.join();

    std::atomic<long> repeats{0};
    const double shell = openssl_rate(scratch, key, options, repeats);
    std::printf(
        "api_sign %s (1 KB, %u threads, %.0f s each): in-process engine %.0f msg/s, "
        "HTTPS API %.0f msg/s, openssl cms process per message %.0f msg/s; "
        "API/in-process = %.3f, API/openssl-cms = %.1f (openssl runs repeated: %ld)\n",
        options.algorithm.c_str(), options.threads, options.seconds, in_process, api, shell,
        api / in_process, api / shell, repeats.load());
    std::fflush(stdout);
    // The token and provider are torn down by the process exit (see token_sign_bench).
    std::_Exit(0);
  } catch (const std::exception& e) {
    std::cerr << "api_sign_bench: " << e.what() << "\n";
    return 1;
  }
}
