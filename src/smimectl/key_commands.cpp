// smimectl key generate | list | delete | import | export
#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "output.hpp"
#include "smime/app/json_views.hpp"
#include "smime/common/error.hpp"
#include "smime/pkcs11/pin_source.hpp"
#include "smime/service/json_views.hpp"

namespace smimectl {
namespace {

struct GenerateOptions {
  std::string algorithm;
  std::string label;
  std::vector<std::string> emails;
  std::string subject;
  std::string csr_file;
  bool self_signed = false;
  int days = 365;
  std::string cert_file;
};

void key_generate(AppContext& ctx, const GenerateOptions& opt) {
  const auto algorithm = smime::parse_key_algorithm(opt.algorithm);
  if (!algorithm) {
    throw smime::Error(smime::ErrorCode::usage,
                       "Unknown algorithm '" + opt.algorithm +
                           "': use rsa-2048, rsa-3072, rsa-4096, ec-p256 or ec-p384");
  }
  if (!opt.cert_file.empty() && !opt.self_signed) {
    throw smime::Error(smime::ErrorCode::usage, "--out is the file for --self-signed");
  }
  smime::app::KeyGeneration request;
  request.algorithm = *algorithm;
  request.label = opt.label;
  request.subject = opt.subject;
  request.emails = opt.emails;
  request.csr = !opt.csr_file.empty();
  request.self_signed = opt.self_signed;
  request.days = opt.days;
  const smime::app::GeneratedKey generated = ctx.use_cases().keys.generate(ctx.caller(), request);
  if (!opt.csr_file.empty()) write_output_file(opt.csr_file, generated.csr_pem, 0644);
  if (!opt.cert_file.empty()) write_output_file(opt.cert_file, generated.certificate_pem, 0644);
  emit(ctx, smime::app::to_json(generated), [&](std::ostream& out) {
    const smime::KeyInfo& key = generated.key;
    out << "Generated " << opt.algorithm << " key '" << key.label << "' in token '"
        << ctx.application().token().label() << "'\n  id:  " << key.id << "\n  uri: " << key.uri
        << "\n"
        << "  sensitive: " << (key.sensitive ? "yes" : "no")
        << ", extractable: " << (key.extractable ? "yes" : "no") << "\n";
    if (!opt.csr_file.empty()) out << "  CSR written to " << opt.csr_file << "\n";
    if (opt.self_signed) {
      out << "  self-signed certificate stored in the token and the certificate store";
      if (!opt.cert_file.empty()) out << " and written to " << opt.cert_file;
      out << "\n";
    }
  });
}

void key_list(AppContext& ctx) {
  const auto keys = ctx.use_cases().keys.list();
  nlohmann::json result = nlohmann::json::array();
  for (const auto& k : keys) result.push_back(smime::service::to_json(k));
  emit(ctx, result, [&](std::ostream& out) {
    if (keys.empty()) {
      out << "No keys in token '" << ctx.application().token().label() << "'\n";
      return;
    }
    out << std::left << std::setw(42) << "ID" << std::setw(20) << "LABEL" << std::setw(12) << "TYPE"
        << std::setw(6) << "CERT"
        << "FLAGS\n";
    for (const auto& k : keys) {
      const std::string type = std::string(smime::to_string(k.type)) + "-" +
                               (k.curve.empty() ? std::to_string(k.bits) : k.curve);
      const std::string flags =
          k.has_private ? (k.extractable ? "exportable" : "non-extractable") : "public only";
      out << std::left << std::setw(42) << k.id << std::setw(20) << k.label << std::setw(12) << type
          << std::setw(6) << (k.has_certificate ? "yes" : "no") << flags << "\n";
    }
  });
}

void key_delete(AppContext& ctx, const std::string& id) {
  const std::string full = ctx.use_cases().keys.remove(ctx.caller(), id);
  emit(ctx, {{"deleted", full}},
       [&](std::ostream& out) { out << "Deleted key " << full << " from the token\n"; });
}

struct KeyImportOptions {
  std::string fingerprint;
  std::string file;
  std::string passphrase_file;
  bool exportable = false;
};

void key_import(AppContext& ctx, const KeyImportOptions& opt) {
  std::optional<smime::SecretString> passphrase;
  if (!opt.passphrase_file.empty()) {
    passphrase = smime::pkcs11::read_secret_file(opt.passphrase_file);
  }
  // The key file's bytes are wiped as soon as the key is in the token.
  auto raw = read_input_file(opt.file);
  smime::SecureBytes key_file(raw.begin(), raw.end());
  OPENSSL_cleanse(raw.data(), raw.size());
  smime::app::KeyImport request;
  request.key_file = key_file;
  request.passphrase = passphrase ? &*passphrase : nullptr;
  request.fingerprint = opt.fingerprint;
  request.exportable = opt.exportable;
  request.source = opt.file;
  const smime::app::ImportedKey imported = ctx.use_cases().keys.import_key(ctx.caller(), request);
  emit(ctx, smime::app::to_json(imported), [&](std::ostream& out) {
    out << "Private key imported into the token for";
    for (const auto& o : imported.certificates) {
      out << " " << o.sha256.substr(0, 16) << " (" << o.subject << ")";
    }
    out << (imported.exportable ? "; exportable" : "; not extractable") << "\n";
  });
}

void key_export(AppContext& ctx, const std::string& fingerprint, const std::string& passphrase_file,
                const std::string& out_file) {
  const smime::SecretString passphrase = smime::pkcs11::read_secret_file(passphrase_file);
  const smime::app::ExportedKey exported =
      ctx.use_cases().keys.export_key(ctx.caller(), fingerprint, passphrase);
  write_output_file(out_file.empty() ? "-" : out_file, exported.pem.view(), 0600);
}

void add_key_transfer_commands(CLI::App& key, const ContextFactory& context) {
  auto imp = std::make_shared<KeyImportOptions>();
  auto* import_cmd = key.add_subcommand("import", "Import the private key of a stored certificate");
  import_cmd->add_option("--cert", imp->fingerprint,
                         "Certificate fingerprint the key must belong to (default: found by key)");
  import_cmd->add_option("FILE", imp->file, "PEM/DER private key ('-' for stdin)")->required();
  import_cmd->add_option("--passphrase-file", imp->passphrase_file,
                         "Passphrase of an encrypted key");
  import_cmd->add_flag("--exportable", imp->exportable, "Allow a later export (default: never)");
  import_cmd->callback([context, imp] { key_import(context(), *imp); });

  auto fp = std::make_shared<std::string>();
  auto pass = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto* exp = key.add_subcommand("export", "Export an exportable key as encrypted PKCS#8");
  exp->add_option("FINGERPRINT", *fp)->required();
  exp->add_option("--passphrase-file", *pass, "Passphrase to encrypt the key with (0600 file)")
      ->required();
  exp->add_option("--out", *out, "Output file (mode 0600; default stdout)");
  exp->callback([context, fp, pass, out] { key_export(context(), *fp, *pass, *out); });
}

}  // namespace

void add_key_commands(CLI::App& app, const ContextFactory& context) {
  CLI::App* key = app.add_subcommand("key", "Keys in the token");
  key->require_subcommand(1);

  auto gen = std::make_shared<GenerateOptions>();
  auto* generate = key->add_subcommand("generate", "Generate a key pair inside the token");
  generate->add_option("--algorithm", gen->algorithm, "rsa-2048|rsa-3072|rsa-4096|ec-p256|ec-p384")
      ->required();
  generate->add_option("--label", gen->label, "Key label")->required();
  generate->add_option("--email", gen->emails, "Email address for the certificate (repeatable)");
  generate->add_option("--subject", gen->subject, "Subject DN, e.g. \"CN=Support,O=Example\"");
  generate->add_option("--csr", gen->csr_file, "Write a PKCS#10 request signed in the token");
  generate->add_flag("--self-signed", gen->self_signed, "Create a self-signed certificate");
  generate->add_option("--days", gen->days, "Validity of the self-signed certificate")
      ->check(CLI::Range(1, 3650));
  generate->add_option("--out", gen->cert_file, "Write the self-signed certificate (PEM)");
  generate->callback([context, gen] {
    if ((!gen->csr_file.empty() || gen->self_signed) && gen->emails.empty()) {
      throw smime::Error(smime::ErrorCode::usage,
                         "--csr and --self-signed need at least one --email address");
    }
    key_generate(context(), *gen);
  });

  auto* list = key->add_subcommand("list", "List keys in the token");
  list->callback([context] { key_list(context()); });

  auto id = std::make_shared<std::string>();
  auto* del =
      key->add_subcommand("delete", "Delete a key (private, public and certificate objects)");
  del->add_option("ID", *id, "Key id (CKA_ID hex, or a unique prefix of 8+ digits)")->required();
  del->callback([context, id] { key_delete(context(), *id); });

  add_key_transfer_commands(*key, context);
}

}  // namespace smimectl
