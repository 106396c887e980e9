// parse_addresses: the addresses the engine looks certificates up for, via GMime's RFC 5322
// address parser (display names, groups, comments, encoded-words).
#include <unordered_set>

#include "gmime_support.hpp"
#include "header_block.hpp"
#include "smime/common/error.hpp"
#include "smime/mime/mime_message.hpp"

namespace smime::engine::mime {

namespace {

// One address list being filled: header order, duplicates dropped in constant time each.
struct UniqueList {
  std::vector<std::string>* list;
  std::unordered_set<std::string> seen;
  void add(std::string address) {
    if (address.empty() || !seen.insert(address).second) return;
    list->push_back(std::move(address));
  }
};

bool is_ascii(const char* text) {
  for (; *text != '\0'; ++text) {
    if (static_cast<unsigned char>(*text) >= 0x80) return false;
  }
  return true;
}

// The ASCII (IDNA) form, lowercased: what certificates carry in rfc822Name. An address that is
// ASCII already is its own IDNA form, and libidn2's lookup of it was a tenth of a signed
// message's CPU in smimed's profile.
std::string ascii_form(InternetAddressMailbox* mailbox) {
  const char* addr = internet_address_mailbox_get_addr(mailbox);
  if (addr != nullptr && is_ascii(addr)) return detail::ascii_lower(addr);
  const char* idn = internet_address_mailbox_get_idn_addr(mailbox);
  return idn != nullptr ? detail::ascii_lower(idn) : std::string();
}

// Counts every mailbox against the limit before de-duplication, so a long list stops early.
struct Flattener {
  std::size_t max_addresses;
  std::size_t counted = 0;

  void flatten(InternetAddressList* list, UniqueList& out) {
    const int count = internet_address_list_length(list);
    for (int i = 0; i < count; ++i) {
      InternetAddress* address = internet_address_list_get_address(list, i);
      if (INTERNET_ADDRESS_IS_GROUP(address)) {
        InternetAddressList* members =
            internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address));
        if (members != nullptr) flatten(members, out);
      } else if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
        if (++counted > max_addresses) {
          throw_limit_exceeded("The number of addresses in the message", max_addresses,
                               "addresses");
        }
        out.add(ascii_form(INTERNET_ADDRESS_MAILBOX(address)));
      }
    }
  }
};

UniqueList* list_for(std::string_view name, UniqueList& from, UniqueList& sender, UniqueList& to,
                     UniqueList& cc, UniqueList& bcc) {
  if (detail::iequals(name, "from")) return &from;
  if (detail::iequals(name, "sender")) return &sender;
  if (detail::iequals(name, "to")) return &to;
  if (detail::iequals(name, "cc")) return &cc;
  if (detail::iequals(name, "bcc")) return &bcc;
  return nullptr;
}

// The value after the field's colon, folded as written (line breaks included).
std::string raw_value(std::string_view headers, const detail::HeaderField& field) {
  const std::size_t colon = headers.find(':', field.begin + field.name.size());
  return std::string(headers.substr(colon + 1, field.end - colon - 1));
}

// As GMime reads the message: the last Message-ID and Subject count.
void read_identity(const std::string& name_value, std::string_view name, MessageAddresses& out) {
  if (detail::iequals(name, "message-id")) {
    GCharPtr id(g_mime_utils_decode_message_id(name_value.c_str()));
    out.message_id = id ? id.get() : "";
  } else if (detail::iequals(name, "subject")) {
    GCharPtr unfolded(g_mime_utils_header_unfold(name_value.c_str()));
    GCharPtr decoded(g_mime_utils_header_decode_text(nullptr, unfolded.get()));
    out.subject = decoded ? decoded.get() : "";
  }
}

}  // namespace

MessageAddresses parse_addresses(std::string_view message, std::size_t max_addresses) {
  detail::ensure_gmime();
  // Only the header block is read: the body can be large and is not needed here. The fields
  // come from the strict scanner (one GMime parse of a whole message less per request); GMime
  // parses what the address fields, Message-ID and Subject mean.
  const std::string headers = canonicalize_line_endings(
      message.substr(0, detail::scan_message_headers(message).body_begin));
  const detail::HeaderBlock block = detail::scan_message_headers(headers);

  MessageAddresses result;
  UniqueList from{&result.from, {}}, sender{&result.sender, {}}, to{&result.to, {}},
      cc{&result.cc, {}}, bcc{&result.bcc, {}};
  Flattener flattener{max_addresses};
  // Every occurrence of each field counts (several To: fields are common in the wild).
  for (const detail::HeaderField& field : block.fields) {
    if (detail::iequals(field.name, "from")) ++result.from_fields;
    if (detail::iequals(field.name, "sender")) ++result.sender_fields;
    UniqueList* target = list_for(field.name, from, sender, to, cc, bcc);
    if (target == nullptr) {
      read_identity(raw_value(headers, field), field.name, result);
      continue;
    }
    const std::string value = raw_value(headers, field);
    GObjectPtr<InternetAddressList> addresses(internet_address_list_parse(nullptr, value.c_str()));
    if (addresses) flattener.flatten(addresses.get(), *target);
  }
  return result;
}

std::vector<std::string> all_addresses(const MessageAddresses& addresses) {
  std::vector<std::string> out;
  for (const auto* list : {&addresses.from, &addresses.to, &addresses.cc, &addresses.bcc}) {
    out.insert(out.end(), list->begin(), list->end());
  }
  return out;
}

}  // namespace smime::engine::mime
