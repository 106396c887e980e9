// Internal to smime_server: the route groups of the API and what their handlers share.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smime/common/secure_buffer.hpp"
#include "smime/server/services.hpp"

namespace smime::server::routes {

void add_system_routes(std::vector<Route>& routes, const Services& services);
void add_certificate_routes(std::vector<Route>& routes, const Services& services);
void add_key_routes(std::vector<Route>& routes, const Services& services);
void add_admin_routes(std::vector<Route>& routes, const Services& services);  // groups, CRLs, token
void add_api_token_routes(std::vector<Route>& routes, const Services& services);
void add_extension_routes(std::vector<Route>& routes, const Services& services);
std::vector<Route> make_api_routes(const Services& services);

// A handler calling fn(services, call); services outlive the route table.
Handler bind(const Services& services, Response (*fn)(const Services&, const Call&));

// Media types for certificate, key and CRL uploads.
const std::vector<std::string>& certificate_media_types();
const std::vector<std::string>& key_media_types();
const std::vector<std::string>& crl_media_types();

// Runs body and records an admin audit event for it: status ok, or failed with the error's
// message (the error is then rethrown). body fills in fingerprints, addresses and detail.
// A failure to record an acknowledged change fails the request (SPEC §9).
Response audited(const Services& services, const Call& call, std::string_view operation,
                 const std::function<Response(audit::AuditEvent&)>& body);

// The request body as bytes.
std::span<const unsigned char> body_bytes(const Call& call);

// A passphrase from the X-Passphrase header or the JSON field "passphrase"; nullopt if none.
std::optional<SecretString> passphrase_of(const Call& call);

// A required string field of the JSON body; Error(invalid_input) naming it otherwise.
std::string json_string(const Call& call, std::string_view field);
// An optional field of the JSON body, with a type check.
std::optional<std::string> json_optional_string(const Call& call, std::string_view field);
std::optional<bool> json_optional_bool(const Call& call, std::string_view field);

// A Content-Disposition attachment response.
Response download(std::string body, std::string content_type, const std::string& filename);

}  // namespace smime::server::routes
