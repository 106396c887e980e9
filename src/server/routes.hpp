// Internal to smime_server: the route groups of the API and what their handlers share. Each
// handler translates the HTTP request into one use case call and its result into JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smime/app/caller.hpp"
#include "smime/common/secure_buffer.hpp"
#include "smime/server/api_routes.hpp"

namespace smime::server::routes {

void add_system_routes(std::vector<Route>& routes, const ApiContext& context);
void add_certificate_routes(std::vector<Route>& routes, const ApiContext& context);
void add_key_routes(std::vector<Route>& routes, const ApiContext& context);
void add_admin_routes(std::vector<Route>& routes, const ApiContext& context);  // groups, CRLs
void add_api_token_routes(std::vector<Route>& routes, const ApiContext& context);
void add_message_routes(std::vector<Route>& routes, const ApiContext& context);  // and logs

// A handler calling fn(context, call); the context outlives the route table.
Handler bind(const ApiContext& context, Response (*fn)(const ApiContext&, const Call&));

// The use cases' caller for an authenticated request.
app::Caller caller_of(const Call& call);

// Media types for certificate, key and CRL uploads.
const std::vector<std::string>& certificate_media_types();
const std::vector<std::string>& key_media_types();
const std::vector<std::string>& crl_media_types();

// The request body as bytes.
std::span<const unsigned char> body_bytes(const Call& call);

// A passphrase from the X-Passphrase header or the JSON field "passphrase"; nullopt if none.
std::optional<SecretString> passphrase_of(const Call& call);

// Fields of the JSON body, with type checks: Error(invalid_input) naming the field otherwise.
std::string json_string(const Call& call, std::string_view field);  // required, not empty
std::optional<std::string> json_optional_string(const Call& call, std::string_view field);
std::optional<bool> json_optional_bool(const Call& call, std::string_view field);
std::optional<std::int64_t> json_optional_integer(const Call& call, std::string_view field,
                                                  std::int64_t low, std::int64_t high);
// A list of strings; a single string counts as a list of one.
std::vector<std::string> json_string_list(const Call& call, std::string_view field);

// An integer query parameter in [low, high]; `fallback` when absent.
std::int64_t query_integer(const Call& call, std::string_view name, std::int64_t fallback,
                           std::int64_t low, std::int64_t high);

// A Content-Disposition attachment response.
Response download(std::string body, std::string content_type, const std::string& filename);

}  // namespace smime::server::routes
