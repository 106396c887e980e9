#include "interop/mime_util.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <ctime>
#include <stdexcept>

namespace smime::test::interop {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

std::string rfc5322_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::array<char, 64> buffer{};
  std::strftime(buffer.data(), buffer.size(), "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buffer.data();
}

std::string message_id() {
  static std::atomic<unsigned> counter{0};
  return "<interop." + std::to_string(::getpid()) + "." + std::to_string(++counter) + "." +
         std::to_string(std::time(nullptr)) + "@interop.test>";
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

}  // namespace

std::string base64_encode(std::string_view data) {
  std::string out;
  out.reserve(data.size() * 4 / 3 + data.size() / 38 + 8);
  std::size_t line = 0;
  for (std::size_t i = 0; i < data.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, data.size() - i);
    unsigned v = static_cast<unsigned char>(data[i]) << 16;
    if (n > 1) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    if (n > 2) v |= static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += n > 1 ? kAlphabet[(v >> 6) & 63] : '=';
    out += n > 2 ? kAlphabet[v & 63] : '=';
    line += 4;
    if (line == 76) {
      out += "\r\n";
      line = 0;
    }
  }
  if (line != 0) out += "\r\n";
  return out;
}

std::string base64_decode(std::string_view text) {
  std::array<int, 256> value{};
  value.fill(-1);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i)
    value[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned accumulator = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    const int v = value[static_cast<unsigned char>(c)];
    if (v < 0 || padding) throw std::runtime_error("invalid base64 input");
    accumulator = (accumulator << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((accumulator >> bits) & 0xff);
    }
  }
  return out;
}

std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 40);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

Entity split_entity(std::string_view entity) {
  const auto crlf = entity.find("\r\n\r\n");
  const auto lf = entity.find("\n\n");
  if (crlf != std::string_view::npos && (lf == std::string_view::npos || crlf < lf)) {
    return {std::string(entity.substr(0, crlf + 2)), std::string(entity.substr(crlf + 4))};
  }
  if (lf != std::string_view::npos) {
    return {std::string(entity.substr(0, lf + 1)), std::string(entity.substr(lf + 2))};
  }
  return {std::string(entity), {}};
}

std::optional<std::string> header_value(std::string_view headers, std::string_view name) {
  const std::string wanted = lowercase(name);
  std::size_t pos = 0;
  while (pos < headers.size()) {
    // One logical header: the line plus its folded continuation lines.
    std::size_t end = pos;
    do {
      end = headers.find('\n', end);
      if (end == std::string_view::npos) {
        end = headers.size();
        break;
      }
      ++end;
    } while (end < headers.size() && (headers[end] == ' ' || headers[end] == '\t'));
    const std::string_view field = headers.substr(pos, end - pos);
    const auto colon = field.find(':');
    if (colon != std::string_view::npos && lowercase(trim(field.substr(0, colon))) == wanted) {
      std::string value;
      for (char c : field.substr(colon + 1)) {
        if (c != '\r' && c != '\n') value += c;
      }
      return trim(value);
    }
    pos = end;
  }
  return std::nullopt;
}

std::optional<std::string> header_parameter(std::string_view value, std::string_view name) {
  const std::string wanted = lowercase(name);
  std::size_t pos = value.find(';');
  while (pos != std::string_view::npos && pos < value.size()) {
    ++pos;
    const auto eq = value.find('=', pos);
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string key = lowercase(trim(value.substr(pos, eq - pos)));
    std::size_t cursor = eq + 1;
    while (cursor < value.size() && (value[cursor] == ' ' || value[cursor] == '\t')) ++cursor;
    std::string parameter;
    if (cursor < value.size() && value[cursor] == '"') {
      ++cursor;
      while (cursor < value.size() && value[cursor] != '"') {
        if (value[cursor] == '\\' && cursor + 1 < value.size()) ++cursor;
        parameter += value[cursor++];
      }
      pos = value.find(';', cursor);
    } else {
      pos = value.find(';', cursor);
      parameter =
          trim(value.substr(cursor, pos == std::string_view::npos ? value.npos : pos - cursor));
    }
    if (key == wanted) return parameter;
  }
  return std::nullopt;
}

std::string media_type(std::string_view content_type) {
  return lowercase(trim(content_type.substr(0, content_type.find(';'))));
}

std::vector<std::string> multipart_parts(std::string_view body, std::string_view boundary) {
  const std::string delimiter = "--" + std::string(boundary);
  std::vector<std::string> parts;
  // The first delimiter may open the body; later ones are preceded by the CRLF they own.
  std::size_t at = body.rfind(delimiter, 0) == 0 ? 0 : body.find("\r\n" + delimiter);
  if (at == std::string_view::npos) throw std::runtime_error("no multipart delimiter found");
  if (at != 0) at += 2;
  for (;;) {
    const std::size_t after = at + delimiter.size();
    if (body.substr(after, 2) == "--") return parts;  // close delimiter
    const std::size_t line_end = body.find("\r\n", after);
    if (line_end == std::string_view::npos) throw std::runtime_error("unterminated delimiter line");
    const std::size_t start = line_end + 2;
    const std::size_t next = body.find("\r\n" + delimiter, start);
    if (next == std::string_view::npos) throw std::runtime_error("no close delimiter found");
    parts.emplace_back(body.substr(start, next - start));
    at = next + 2;
  }
}

SignedParts split_multipart_signed(std::string_view message) {
  const Entity top = split_entity(message);
  const auto type = header_value(top.headers, "Content-Type");
  if (!type || media_type(*type) != "multipart/signed") {
    throw std::runtime_error("not multipart/signed: " + type.value_or("no Content-Type"));
  }
  const auto boundary = header_parameter(*type, "boundary");
  if (!boundary) throw std::runtime_error("multipart/signed without boundary");
  auto parts = multipart_parts(top.body, *boundary);
  if (parts.size() != 2) {
    throw std::runtime_error("multipart/signed with " + std::to_string(parts.size()) + " parts");
  }
  return {parts[0], base64_decode(split_entity(parts[1]).body)};
}

std::string pkcs7_mime_der(std::string_view message) {
  const Entity top = split_entity(message);
  const auto type = header_value(top.headers, "Content-Type");
  if (!type || (media_type(*type) != "application/pkcs7-mime" &&
                media_type(*type) != "application/x-pkcs7-mime")) {
    throw std::runtime_error("not application/pkcs7-mime: " + type.value_or("no Content-Type"));
  }
  return base64_decode(top.body);
}

std::string outer_headers(const Envelope& envelope) {
  return "From: " + envelope.from + "\r\nTo: " + join(envelope.to, ", ") +
         "\r\nSubject: " + envelope.subject + "\r\nDate: " + rfc5322_date() +
         "\r\nMessage-ID: " + message_id() + "\r\nMIME-Version: 1.0\r\n";
}

std::string message_with_entity(const Envelope& envelope, std::string_view entity) {
  return outer_headers(envelope) + std::string(entity);
}

std::string pkcs7_mime_entity(std::string_view smime_type, std::string_view der) {
  return "Content-Type: application/pkcs7-mime; smime-type=" + std::string(smime_type) +
         "; name=\"smime.p7m\"\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n" +
         base64_encode(der);
}

std::string without_header(std::string_view entity, std::string_view name) {
  const Entity parts = split_entity(entity);
  const std::string wanted = lowercase(name) + ":";
  std::string headers;
  std::size_t pos = 0;
  bool dropping = false;
  while (pos < parts.headers.size()) {
    std::size_t end = parts.headers.find('\n', pos);
    end = end == std::string::npos ? parts.headers.size() : end + 1;
    const std::string line = parts.headers.substr(pos, end - pos);
    const bool continuation = line[0] == ' ' || line[0] == '\t';
    if (!continuation) dropping = lowercase(line.substr(0, wanted.size())) == wanted;
    if (!dropping) headers += line;
    pos = end;
  }
  const bool crlf = parts.headers.size() >= 2 && parts.headers.ends_with("\r\n");
  return headers + (crlf ? "\r\n" : "\n") + parts.body;
}

std::string pkcs7_mime_message(const Envelope& envelope, std::string_view smime_type,
                               std::string_view der) {
  return outer_headers(envelope) + pkcs7_mime_entity(smime_type, der);
}

std::string multipart_signed_message(const Envelope& envelope, std::string_view content_entity,
                                     std::string_view signature_der, std::string_view micalg) {
  const std::string boundary = "----=_interop_signed_" + std::to_string(::getpid());
  return outer_headers(envelope) +
         "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=" +
         std::string(micalg) + "; boundary=\"" + boundary +
         "\"\r\n\r\nThis is an S/MIME signed message\r\n\r\n--" + boundary + "\r\n" +
         std::string(content_entity) + "\r\n--" + boundary +
         "\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\r\n" +
         base64_encode(signature_der) + "\r\n--" + boundary + "--\r\n";
}

}  // namespace smime::test::interop
