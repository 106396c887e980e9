// smimectl crl import | list
#include <iostream>

#include "audited.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace smimectl {
namespace {

void crl_import(AppContext& ctx, const std::string& file) {
  smime::store::CrlRecord record;
  audited(ctx, "crl.import", [&](smime::audit::AuditEvent& event) {
    event.detail = "CRL file " + file;
    record = ctx.certificates().import_crl(read_input_file(file));
    event.fingerprints = {record.issuer_sha256};
    event.detail = "CRL of " + record.issuer;
  });
  emit(ctx,
       {{"issuer", record.issuer},
        {"issuer_fingerprint", record.issuer_sha256},
        {"this_update", record.this_update},
        {"next_update", record.next_update}},
       [&](std::ostream& out) { out << "Imported the CRL of " << record.issuer << "\n"; });
}

void crl_list(AppContext& ctx) {
  auto crls = ctx.store().list_crls();
  nlohmann::json result = nlohmann::json::array();
  for (const auto& c : crls) {
    result.push_back({{"issuer", c.issuer},
                      {"issuer_fingerprint", c.issuer_sha256},
                      {"this_update", c.this_update},
                      {"next_update", c.next_update},
                      {"crl_number", c.crl_number}});
  }
  emit(ctx, result, [&](std::ostream& out) {
    if (crls.empty()) out << "No CRLs\n";
    for (const auto& c : crls) out << c.issuer << "  number " << c.crl_number << "\n";
  });
}

}  // namespace

void add_crl_commands(CLI::App& app, const ContextFactory& context) {
  CLI::App* crl = app.add_subcommand("crl", "Certificate revocation lists");
  crl->require_subcommand(1);
  auto file = std::make_shared<std::string>();
  auto* import = crl->add_subcommand("import", "Import a CRL signed by a stored CA (PEM or DER)");
  import->add_option("FILE", *file)->required();
  import->callback([context, file] { crl_import(context(), *file);
});
crl->add_subcommand("list", "List CRLs")->callback([context] { crl_list(context()); });
}  // namespace smimectl

}  // namespace smimectl
