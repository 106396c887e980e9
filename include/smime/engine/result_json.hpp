// The JSON shapes of engine results, one definition for `smimectl --json` and the HTTPS API.
#pragma once

#include <nlohmann/json.hpp>

#include "smime/engine/engine.hpp"

namespace smime::engine {

nlohmann::json to_json(const UsedCertificate& certificate);
// signed, encrypted, format, micalg, decided_by, signer, recipients (not the message).
nlohmann::json to_json(const OutgoingResult& result);
// encrypted, decrypted, signed, signature {status, reason, signer}, layers, decryption_key,
// errors [{code, message}], missing [{kind, issuer, serial, subject_key_id, subject}]
// (not the message).
// One signature layer: status, signer, each check apart, warnings.
nlohmann::json to_json(const SignatureLayer& layer);
nlohmann::json to_json(const IncomingResult& result);
// sign {possible, reason, certificate}, encrypt {possible, reason, certificates, missing},
// defaults {group, behaviour, sign, encrypt}.
nlohmann::json to_json(const PreflightResult& result);

}  // namespace smime::engine
