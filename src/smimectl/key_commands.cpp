// smimectl key generate | key list | key delete
#include <iomanip>
#include <iostream>

#include "audited.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "smime/common/error.hpp"
#include "smime/provisioning/certificate_builder.hpp"

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
  auto algorithm = smime::parse_key_algorithm(opt.algorithm);
  if (!algorithm) {
    throw smime::Error(smime::ErrorCode::usage,
                       "Unknown algorithm '" + opt.algorithm +
                           "': use rsa-2048, rsa-3072, rsa-4096, ec-p256 or ec-p384");
  }
  const bool wants_certificate = !opt.csr_file.empty() || opt.self_signed;
  if (wants_certificate && opt.emails.empty()) {
    throw smime::Error(smime::ErrorCode::usage,
                       "--csr and --self-signed need at least one --email address");
  }
  if (!opt.cert_file.empty() && !opt.self_signed) {
    throw smime::Error(smime::ErrorCode::usage, "--out is the file for --self-signed");
  }
  smime::provisioning::SmimeIdentity identity{opt.subject, opt.emails};
  // Validate the subject before the key exists, so a typo leaves nothing behind.
  if (wants_certificate) smime::provisioning::subject_name_for(identity);

  smime::KeyInfo key;
  nlohmann::json result;
  audited(ctx, "key.generate", [&](smime::audit::AuditEvent& event) {
    event.addresses = opt.emails;
    event.detail = opt.algorithm + " key '" + opt.label + "'";
    auto& keys = ctx.keys();
    key = keys.generate(*algorithm, opt.label);
    result = to_json(key);
    event.detail += ", id " + key.id;
    try {
      if (wants_certificate) {
        smime::EvpPkeyPtr public_key = keys.public_key(key.id);
        smime::EvpPkeyPtr private_key = keys.private_key(key.id);
        if (!opt.csr_file.empty()) {
          auto csr = smime::provisioning::build_csr(identity, public_key.get(), private_key.get());
          const std::string pem = smime::provisioning::to_pem(csr.get());
          write_output_file(opt.csr_file, pem);
          result["csr_file"] = opt.csr_file;
          result["csr_pem"] = pem;
        }
        if (opt.self_signed) {
          auto cert = smime::provisioning::build_self_signed(identity, public_key.get(),
                                                             private_key.get(), opt.days);
          const auto der = smime::provisioning::to_der(cert.get());
          keys.store_certificate(key.id, opt.label, der);
          // Also in the certificate store, with its key, so the engine can sign with it.
          auto report = ctx.certificates().import_certificates(der);
          if (report.imported.size() != 1) {
            throw smime::Error(
                smime::ErrorCode::internal,
                "The self-signed certificate could not be stored: " +
                    (report.errors.empty() ? std::string("?") : report.errors.front().message));
          }
          const std::string fingerprint = report.imported.front().record.sha256;
          ctx.store().set_certificate_key(fingerprint, key.id, false);
          result["certificate_fingerprint"] = fingerprint;
          event.fingerprints = {fingerprint};
          const std::string pem = smime::provisioning::to_pem(cert.get());
          if (!opt.cert_file.empty()) write_output_file(opt.cert_file, pem);
          result["has_certificate"] = true;
          result["certificate_pem"] = pem;
          if (!opt.cert_file.empty()) result["certificate_file"] = opt.cert_file;
        }
      }
    } catch (...) {
      // A key whose requested CSR or certificate failed is removed: the command either does
      // everything it was asked or leaves the token as it was.
      keys.remove(key.id);
      throw;
    }
  });
  emit(ctx, result, [&](std::ostream& out) {
    out << "Generated " << opt.algorithm << " key '" << key.label << "' in token '"
        << ctx.token().label() << "'\n  id:  " << key.id << "\n  uri: " << key.uri << "\n"
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
  auto keys = ctx.keys().list();
  nlohmann::json result = nlohmann::json::array();
  for (const auto& k : keys) result.push_back(to_json(k));
  emit(ctx, result, [&](std::ostream& out) {
    if (keys.empty()) {
      out << "No keys in token '" << ctx.token().label() << "'\n";
      return;
    }
    out << std::left << std::setw(42) << "ID" << std::setw(20) << "LABEL" << std::setw(12) << "TYPE"
        << std::setw(6) << "CERT"
        << "FLAGS\n";
    for (const auto& k : keys) {
      std::string type = std::string(smime::to_string(k.type)) + "-" +
                         (k.curve.empty() ? std::to_string(k.bits) : k.curve);
      std::string flags =
          k.has_private ? (k.extractable ? "exportable" : "non-extractable") : "public only";
      out << std::left << std::setw(42) << k.id << std::setw(20) << k.label << std::setw(12) << type
          << std::setw(6) << (k.has_certificate ? "yes" : "no") << flags << "\n";
    }
  });
}

void key_delete(AppContext& ctx, const std::string& id) {
  // Accept a unique prefix of at least 8 hex digits, like certificate fingerprints.
  std::string full = id;
  audited(ctx, "key.delete", [&](smime::audit::AuditEvent& event) {
    event.detail = "key " + id;
    if (id.size() >= 8) {
      std::vector<std::string> matches;
      for (const auto& k : ctx.keys().list()) {
        if (k.id.rfind(id, 0) == 0) matches.push_back(k.id);
      }
      if (matches.size() > 1) {
        throw smime::Error(smime::ErrorCode::usage, "Key id prefix " + id + " is ambiguous");
      }
      if (matches.size() == 1) full = matches.front();
    }
    ctx.keys().remove(full);
    event.detail = "key " + full;
  });
  emit(ctx, {{"deleted", full}},
       [&](std::ostream& out) { out << "Deleted key " << full << " from the token\n"; });
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
  generate->callback([context, gen] { key_generate(context(), *gen); });

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
