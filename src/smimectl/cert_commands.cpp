// smimectl cert import | list | show | export | delete
#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "output.hpp"
#include "smime/app/json_views.hpp"
#include "smime/common/display_text.hpp"
#include "smime/common/error.hpp"
#include "smime/pkcs11/pin_source.hpp"
#include "smime/service/json_views.hpp"

namespace smimectl {
namespace {

// Certificate text comes from outside: no control character reaches the terminal.
std::string shown(std::string_view text) {
  return smime::escape_for_display(text);
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

struct ImportOptions {
  std::vector<std::string> files;
  std::string passphrase_file;
  bool keys_exportable = false;
  bool trust = false;     // --trust: every certificate becomes a trust anchor
  bool no_trust = false;  // --no-trust: none does
  std::optional<bool> trusted() const {
    if (trust) return true;
    if (no_trust) return false;
    return std::nullopt;
  }
};

// One import (and one audit entry) per file; a file that holds no certificate is a failed
// item of the report, like a certificate that breaks a rule.
smime::service::ImportReport import_file(AppContext& ctx, const std::string& file,
                                         const smime::SecretString* passphrase,
                                         const ImportOptions& opt) {
  const auto bytes = read_input_file(file);
  smime::app::CertificateImport request{bytes, passphrase, opt.keys_exportable, file,
                                        opt.trusted()};
  try {
    auto report = ctx.use_cases().certificates.import_certificates(ctx.caller(), request);
    for (auto& e : report.errors) e.item = file + ": " + e.item;
    return report;
  } catch (const smime::Error& e) {
    if (e.code() != smime::ErrorCode::invalid_input &&
        e.code() != smime::ErrorCode::bad_passphrase) {
      throw;
    }
    smime::service::ImportReport failed;
    failed.errors.push_back({file, "", "", "invalid", "", e.what()});
    return failed;
  }
}

void cert_import(AppContext& ctx, const ImportOptions& opt) {
  std::optional<smime::SecretString> passphrase;
  if (!opt.passphrase_file.empty()) {
    passphrase = smime::pkcs11::read_secret_file(opt.passphrase_file);
  }
  smime::service::ImportReport total;
  for (const auto& file : opt.files) {
    auto report = import_file(ctx, file, passphrase ? &*passphrase : nullptr, opt);
    total.imported.insert(total.imported.end(), report.imported.begin(), report.imported.end());
    total.present.insert(total.present.end(), report.present.begin(), report.present.end());
    total.errors.insert(total.errors.end(), report.errors.begin(), report.errors.end());
    total.errors_omitted += report.errors_omitted;
  }
  emit(ctx, smime::service::to_json(total), [&](std::ostream& out) {
    for (const auto& i : total.imported) {
      out << "imported " << i.record.sha256.substr(0, 16) << "  " << shown(i.record.subject)
          << (i.key_imported ? "  [key in token]" : "")
          << (i.record.trusted ? "  [trust anchor]" : "")
          << (i.record.legacy_rules.empty()
                  ? ""
                  : "  [" + smime::service::relaxed_rules_text(i.record.legacy_rules) + "]")
          << "\n";
    }
    for (const auto& i : total.present) {
      out << "present  " << i.record.sha256.substr(0, 16) << "  " << shown(i.record.subject)
          << (i.key_imported ? "  [key in token]" : "  (already stored)") << "\n";
    }
    for (const auto& e : total.errors) {
      out << "FAILED   " << shown(e.item)
          << (e.count > 1 ? " and " + std::to_string(e.count - 1) + " more" : "")
          << (e.subject.empty() ? "" : " (" + shown(e.subject) + ")") << ": " << shown(e.message)
          << (e.rule.empty() ? "" : " [rule " + e.rule + "]") << "\n";
    }
    if (total.errors_omitted > 0) {
      out << "FAILED   " << total.errors_omitted << " more items (not listed)\n";
    }
  });
  if (!total.errors.empty()) {
    throw ReportedFailure(std::to_string(total.failed()) + " item(s) not imported, " +
                          std::to_string(total.imported.size()) + " imported");
  }
}

void cert_list(AppContext& ctx, const std::string& email, const std::string& search) {
  smime::store::CertificateQuery query;
  query.email = email;
  query.subject_contains = search;
  const auto listings = ctx.use_cases().certificates.list(query);
  nlohmann::json result = nlohmann::json::array();
  for (const auto& listing : listings) result.push_back(smime::app::to_json(listing));
  emit(ctx, result, [&](std::ostream& out) {
    if (listings.empty()) {
      out << "No certificates\n";
      return;
    }
    out << std::left << std::setw(18) << "FINGERPRINT" << std::setw(14) << "STATUS" << std::setw(12)
        << "NOT AFTER" << std::setw(5) << "KEY" << std::setw(4) << "CA" << std::setw(8) << "TRUSTED"
        << "SUBJECT / EMAILS\n";
    for (const auto& [r, status] : listings) {
      out << std::left << std::setw(18) << r.sha256.substr(0, 16) << std::setw(14)
          << smime::service::to_string(status) << std::setw(12) << date(r.not_after) << std::setw(5)
          << (r.token_key_id ? "yes" : "-") << std::setw(4) << (r.is_ca ? "CA" : "") << std::setw(8)
          << (r.trusted ? "yes" : "-") << shown(r.subject)
          << (r.emails.empty() ? "" : " <" + shown(joined(r.emails)) + ">")
          << (r.legacy_rules.empty() ? "" : " [legacy]") << "\n";
    }
  });
}

void cert_show(AppContext& ctx, const std::string& fingerprint) {
  const smime::app::CertificateDetails details = ctx.use_cases().certificates.show(fingerprint);
  const auto& record = details.record;
  emit(ctx, smime::app::to_json(details), [&](std::ostream& out) {
    out << "Fingerprint: " << record.sha256 << "\nSubject:     " << shown(record.subject)
        << "\nIssuer:      " << shown(record.issuer) << "\nSerial:      " << record.serial
        << "\nEmails:      " << shown(joined(record.emails))
        << "\nValidity:    " << date(record.not_before) << " to " << date(record.not_after) << " ("
        << smime::service::to_string(details.status) << ")\nKey:         " << record.key_algorithm
        << " " << (record.curve.empty() ? std::to_string(record.key_bits) : record.curve)
        << "\nUsage:       " << joined(record.key_usages)
        << (record.extended_key_usages.empty() ? "" : "; " + joined(record.extended_key_usages))
        << "\nCA:          " << (record.is_ca ? "yes" : "no")
        << "\nTrust anchor: " << (record.trusted ? "yes" : "no")
        << (record.legacy_rules.empty()
                ? ""
                : "\nLegacy:      " + joined(record.legacy_rules) + " (" +
                      smime::service::relaxed_rules_text(record.legacy_rules) + ")")
        << "\nPrivate key: "
        << (record.token_key_id ? "in the token (id " + *record.token_key_id + ")" +
                                      (record.key_exportable ? ", exportable" : "")
                                : "none")
        << "\nChain:       "
        << (details.chain_trusted ? "trusted" : "not trusted: " + shown(details.chain_error))
        << "\n";
  });
}

void cert_export(AppContext& ctx, const std::string& fingerprint, bool der,
                 const std::string& out_file) {
  if (der && out_file.empty()) {
    throw smime::Error(smime::ErrorCode::usage, "--der needs --out FILE");
  }
  const auto file = ctx.use_cases().certificates.download(fingerprint, der);
  write_output_file(
      out_file.empty() ? "-" : out_file,
      std::string_view(reinterpret_cast<const char*>(file.bytes.data()), file.bytes.size()), 0644);
}

void cert_trust(AppContext& ctx, const std::string& fingerprint, bool trusted) {
  const auto record = ctx.use_cases().certificates.set_trust(ctx.caller(), fingerprint, trusted);
  emit(ctx, smime::app::to_json(ctx.use_cases().certificates.show(record.sha256)),
       [&](std::ostream& out) {
         out << "Certificate " << record.sha256
             << (trusted ? " is a trust anchor\n" : " is no longer a trust anchor\n");
       });
}

void cert_delete(AppContext& ctx, const std::string& fingerprint, bool with_key) {
  const auto deleted = ctx.use_cases().certificates.remove(ctx.caller(), fingerprint, with_key);
  emit(ctx, smime::app::to_json(deleted), [&](std::ostream& out) {
    out << "Deleted certificate " << deleted.record.sha256
        << (deleted.key_deleted ? " and its key" : "") << "\n";
  });
}

}  // namespace

void add_cert_commands(CLI::App& app, const ContextFactory& context) {
  CLI::App* cert = app.add_subcommand("cert", "Certificates");
  cert->require_subcommand(1);

  auto imp = std::make_shared<ImportOptions>();
  auto* import_cmd =
      cert->add_subcommand("import", "Import certificates (PEM bundle, DER, PKCS#7, PKCS#12)");
  import_cmd->add_option("FILE", imp->files, "Files to import ('-' for stdin)")->required();
  import_cmd->add_option("--passphrase-file", imp->passphrase_file,
                         "PKCS#12 passphrase (0600 file)");
  import_cmd->add_flag("--exportable", imp->keys_exportable, "A PKCS#12 key may be exported later");
  auto* trust_flag = import_cmd->add_flag("--trust", imp->trust,
                                          "Every certificate of the file becomes a trust anchor");
  import_cmd
      ->add_flag("--no-trust", imp->no_trust,
                 "No certificate of the file becomes a trust anchor (path building only)")
      ->excludes(trust_flag);
  import_cmd->callback([context, imp] { cert_import(context(), *imp); });

  auto email = std::make_shared<std::string>();
  auto search = std::make_shared<std::string>();
  auto* list = cert->add_subcommand("list", "List certificates");
  list->add_option("--email", *email, "Only certificates for this address");
  list->add_option("--search", *search, "Only certificates whose subject contains this text");
  list->callback([context, email, search] { cert_list(context(), *email, *search); });

  auto fp = std::make_shared<std::string>();
  auto* show = cert->add_subcommand("show", "Show one certificate");
  show->add_option("FINGERPRINT", *fp, "SHA-256 fingerprint or a unique prefix (8+)")->required();
  show->callback([context, fp] { cert_show(context(), *fp); });

  auto efp = std::make_shared<std::string>();
  auto der = std::make_shared<bool>(false);
  auto out = std::make_shared<std::string>();
  auto* exp = cert->add_subcommand("export", "Download a certificate (PEM, or DER with --der)");
  exp->add_option("FINGERPRINT", *efp)->required();
  exp->add_flag("--der", *der);
  exp->add_option("--out", *out, "Output file (default stdout for PEM)");
  exp->callback([context, efp, der, out] { cert_export(context(), *efp, *der, *out); });

  auto tfp = std::make_shared<std::string>();
  auto untrust = std::make_shared<bool>(false);
  auto* trust = cert->add_subcommand("trust", "Make a certificate a trust anchor (--no: undo)");
  trust->add_option("FINGERPRINT", *tfp)->required();
  trust->add_flag("--no", *untrust, "Take the trust anchor status away");
  trust->callback([context, tfp, untrust] { cert_trust(context(), *tfp, !*untrust); });

  auto dfp = std::make_shared<std::string>();
  auto with_key = std::make_shared<bool>(false);
  auto* del = cert->add_subcommand("delete", "Delete a certificate");
  del->add_option("FINGERPRINT", *dfp)->required();
  del->add_flag("--with-key", *with_key, "Also delete its private key from the token");
  del->callback([context, dfp, with_key] { cert_delete(context(), *dfp, *with_key); });
}

}  // namespace smimectl
