// smimectl key import | key export: private keys of stored certificates.
#include <iostream>

#include "audited.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "smime/common/error.hpp"

namespace smimectl {
namespace {

struct KeyImportOptions {
  std::string fingerprint;
  std::string file;
  std::string passphrase_file;
  bool exportable = false;
};

void key_import(AppContext& ctx, const KeyImportOptions& opt) {
  std::vector<smime::store::CertificateRecord> owners;
  audited(ctx, "key.import", [&](smime::audit::AuditEvent& event) {
    event.detail = "key file " + opt.file;
    if (!opt.fingerprint.empty()) event.fingerprints = {opt.fingerprint};
    std::optional<smime::SecretString> passphrase;
    if (!opt.passphrase_file.empty()) {
      passphrase = smime::pkcs11::read_secret_file(opt.passphrase_file);
    }
    // The key file's bytes are wiped as soon as the key is in the token.
    auto raw = read_input_file(opt.file);
    smime::SecureBytes key_file(raw.begin(), raw.end());
    OPENSSL_cleanse(raw.data(), raw.size());
    smime::service::KeyImportRequest request;
    request.key_file = key_file;
    request.passphrase = passphrase ? &*passphrase : nullptr;
    request.fingerprint = opt.fingerprint;
    request.exportable = opt.exportable;
    owners = ctx.certificates().import_private_key(request);
    event.fingerprints.clear();
    for (const auto& o : owners) {
      event.fingerprints.push_back(o.sha256);
      event.addresses.insert(event.addresses.end(), o.emails.begin(), o.emails.end());
    }
    event.detail = owners.front().key_exportable ? "key imported, exportable"
                                                 : "key imported, not extractable";
  });
  nlohmann::json certs = nlohmann::json::array();
  for (const auto& o : owners) certs.push_back(o.sha256);
  emit(ctx,
       {{"certificates", certs},
        {"token_key_id", owners.front().token_key_id.value_or("")},
        {"exportable", owners.front().key_exportable}},
       [&](std::ostream& out) {
         out << "Private key imported into the token for";
         for (const auto& o : owners)
           out << " " << o.sha256.substr(0, 16) << " (" << o.subject << ")";
         out << (owners.front().key_exportable ? "; exportable" : "; not extractable") << "\n";
       });
}

void key_export(AppContext& ctx, const std::string& fingerprint, const std::string& passphrase_file,
                const std::string& out_file) {
  std::string pem;
  // The key leaves only once its export is on record; the PEM is wiped in any case.
  struct Wipe {
    std::string& text;
    ~Wipe() { OPENSSL_cleanse(text.data(), text.size()); }
  } wipe{pem};
  audited(ctx, "key.export", [&](smime::audit::AuditEvent& event) {
    event.detail = "certificate " + fingerprint;
    const auto record = ctx.certificates().get(fingerprint);
    event.fingerprints = {record.sha256};
    event.addresses = record.emails;
    smime::SecretString passphrase = smime::pkcs11::read_secret_file(passphrase_file);
    pem = ctx.certificates().export_private_key(record.sha256, passphrase);
    event.detail = "private key exported (encrypted PKCS#8)";
  });
  write_output_file(out_file.empty() ? "-" : out_file, pem, 0600);
}

}  // namespace

void add_key_transfer_commands(CLI::App& key, const ContextFactory& context) {
  auto imp = std::make_shared<KeyImportOptions>();
  auto* import = key.add_subcommand("import", "Import the private key of a stored certificate");
  import->add_option("--cert", imp->fingerprint,
                     "Certificate fingerprint the key must belong to (default: found by key)");
  import->add_option("FILE", imp->file, "PEM/DER private key ('-' for stdin)")->required();
  import->add_option("--passphrase-file", imp->passphrase_file, "Passphrase of an encrypted key");
  import->add_flag("--exportable", imp->exportable, "Allow a later export (default: never)");
  import->callback([context, imp] { key_import(context(), *imp);
});

auto fp = std::make_shared<std::string>();
auto pass = std::make_shared<std::string>();
auto out = std::make_shared<std::string>();
auto* exp = key.add_subcommand("export", "Export an exportable key as encrypted PKCS#8");
exp->add_option("FINGERPRINT", *fp)->required();
exp->add_option("--passphrase-file", *pass, "Passphrase to encrypt the key with (0600 file)")
    ->required();
exp->add_option("--out", *out, "Output file (mode 0600; default stdout)");
exp->callback([context, fp, pass, out] { key_export(context(), *fp, *pass, *out); });
}  // namespace smimectl

}  // namespace smimectl
