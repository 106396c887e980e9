// smimectl message outgoing | incoming: the S/MIME engine over files (SPEC §13).
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "output.hpp"
#include "smime/common/display_text.hpp"
#include "smime/common/error.hpp"
#include "smime/engine/result_json.hpp"

namespace smimectl {
namespace {

struct OutgoingOptions {
  std::string in;
  std::string out;
  std::string group;
  std::string sign;
  std::string encrypt;
  bool opaque = false;
  std::string signature;
  std::string cipher;
  std::string transport;
  std::vector<std::string> bcc;
  bool no_encrypt_to_sender = false;
};

struct IncomingOptions {
  std::string in;
  std::string out;
};

std::optional<bool> yes_no(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return value == "yes";
}

template <typename T, typename Parse>
std::optional<T> choice(const std::string& value, Parse parse) {
  if (value.empty()) return std::nullopt;
  return parse(value);  // CLI11 already checked the value is one of the choices
}

std::string read_message(const std::string& path) {
  auto bytes = read_input_file(path);
  return std::string(bytes.begin(), bytes.end());
}

void outgoing(AppContext& ctx, const OutgoingOptions& o) {
  const std::string message = read_message(o.in);
  smime::engine::OutgoingRequest request;
  request.message = message;
  request.sign = yes_no(o.sign);
  request.encrypt = yes_no(o.encrypt);
  request.group = o.group;
  request.bcc = o.bcc;
  request.signature =
      choice<smime::engine::SignatureScheme>(o.signature, smime::engine::parse_signature_scheme);
  request.cipher =
      choice<smime::engine::ContentCipher>(o.cipher, smime::engine::parse_content_cipher);
  request.transport =
      choice<smime::engine::KeyTransport>(o.transport, smime::engine::parse_key_transport);
  if (o.opaque) request.opaque = true;
  if (o.no_encrypt_to_sender) request.encrypt_to_sender = false;
  smime::engine::OutgoingResult result = ctx.use_cases().messages.outgoing(ctx.caller(), request);
  if (!o.out.empty()) write_output_file(o.out, result.message, 0600);
  const nlohmann::json summary = smime::engine::to_json(result);
  if (o.out.empty() && !ctx.json()) {
    std::cout << result.message;
    return;
  }
  emit(ctx, summary, [&](std::ostream& out) {
    out << (result.signed_ ? "Signed" : "Not signed") << ", "
        << (result.encrypted ? "encrypted" : "not encrypted") << " (" << result.format << ", "
        << result.decided_by << ")\n";
    if (result.signer) out << "Signer: " << result.signer->address << "\n";
    if (result.encrypted) {
      out << "Cipher: " << smime::escape_for_display(result.cipher_reason) << "\n";
    }
    for (const auto& r : result.recipients) {
      out << "Recipient: " << r.address << " (" << r.key_transport << ")\n";
    }
    if (!result.not_encrypted_reason.empty()) {
      out << "Not encrypted: " << smime::escape_for_display(result.not_encrypted_reason) << "\n";
    }
  });
}

void incoming(AppContext& ctx, const IncomingOptions& o) {
  smime::engine::IncomingResult result =
      ctx.use_cases().messages.incoming(ctx.caller(), read_message(o.in));
  if (!o.out.empty()) write_output_file(o.out, result.message, 0600);
  const nlohmann::json summary = smime::engine::to_json(result);
  emit(ctx, summary, [&](std::ostream& out) {
    if (result.encrypted) out << (result.decrypted ? "Decrypted\n" : "Encrypted, not decrypted\n");
    if (result.signed_) {
      out << "Signature: " << smime::engine::to_string(result.signature) << " — "
          << result.signature_reason << "\n";
      if (result.signer) out << "Signer: " << result.signer->subject << "\n";
    }
    if (!result.harvested_certificate.empty()) {
      out << "Harvested: signer certificate " << result.harvested_certificate
          << " stored (untrusted)\n";
    }
    for (const auto& fingerprint : result.harvested_intermediates) {
      out << "Harvested: intermediate CA certificate " << fingerprint << " stored (untrusted)\n";
    }
    for (const auto& fingerprint : result.capabilities_recorded) {
      out << "Capabilities recorded for " << fingerprint << "\n";
    }
    if (!result.encrypted && !result.signed_) out << "Not an S/MIME message\n";
    for (const auto& e : result.errors) out << "Error: " << e.message << "\n";
    for (const auto& m : result.missing) {
      out << "Missing " << m.kind << ": " << (m.issuer.empty() ? m.subject : m.issuer)
          << (m.serial.empty() ? "" : " serial " + m.serial)
          << (m.subject_key_id.empty() ? "" : " key id " + m.subject_key_id) << "\n";
    }
  });
  if (!result.ok()) {
    throw ReportedFailure(result.errors.empty() ? result.signature_reason
                                                : result.errors.front().message);
  }
}

}  // namespace

void add_message_commands(CLI::App& app, const ContextFactory& context) {
  CLI::App* message = app.add_subcommand("message", "Sign, encrypt, decrypt and verify messages");
  message->require_subcommand(1);

  auto out_opts = std::make_shared<OutgoingOptions>();
  auto* out = message->add_subcommand("outgoing", "Sign and/or encrypt an RFC 5322 message");
  out->add_option("--in", out_opts->in, "The message file")->required();
  out->add_option("--out", out_opts->out, "Where to write the processed message (default stdout)");
  out->add_option("--group", out_opts->group, "Group whose address and default apply");
  out->add_option("--sign", out_opts->sign, "Sign (default: the group default)")
      ->check(CLI::IsMember({"yes", "no"}));
  out->add_option("--encrypt", out_opts->encrypt, "Encrypt (default: the group default)")
      ->check(CLI::IsMember({"yes", "no"}));
  out->add_flag("--opaque", out_opts->opaque, "Opaque signed-data instead of multipart/signed");
  out->add_option("--signature", out_opts->signature, "RSA signature scheme")
      ->check(CLI::IsMember({"pkcs1", "pss"}));
  out->add_option("--cipher", out_opts->cipher, "Content encryption")
      ->check(CLI::IsMember({"aes-256-cbc", "aes-128-gcm", "aes-256-gcm"}));
  out->add_option("--key-transport", out_opts->transport, "RSA key transport")
      ->check(CLI::IsMember({"rsa-pkcs1", "rsa-oaep-sha1", "rsa-oaep-sha256"}));
  out->add_option("--bcc", out_opts->bcc, "Additional (blind) recipient");
  out->add_flag("--no-encrypt-to-sender", out_opts->no_encrypt_to_sender,
                "Do not add the sender's own certificate to the recipients");
  out->callback([context, out_opts] { outgoing(context(), *out_opts); });

  auto in_opts = std::make_shared<IncomingOptions>();
  auto* in = message->add_subcommand("incoming", "Decrypt and/or verify an RFC 5322 message");
  in->add_option("--in", in_opts->in, "The message file")->required();
  in->add_option("--out", in_opts->out, "Where to write the resulting message");
  in->callback([context, in_opts] { incoming(context(), *in_opts); });
}

}  // namespace smimectl
