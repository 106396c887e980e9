#include "smime/common/pem.hpp"

#include <openssl/pem.h>

#include "smime/common/error.hpp"
#include "smime/common/handles.hpp"

namespace smime {
namespace {

constexpr std::string_view kDashes = "-----";

std::string_view trim(std::string_view line) {
  const auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!line.empty() && space(line.front())) line.remove_prefix(1);
  while (!line.empty() && space(line.back())) line.remove_suffix(1);
  return line;
}

// "-----BEGIN X-----" -> "X" (same for END); nullopt for any other line.
std::optional<std::string_view> marker_label(std::string_view line, std::string_view kind) {
  if (line.size() < 5 + kind.size() + 1 + 5 || !line.starts_with(kDashes) ||
      !line.ends_with(kDashes)) {
    return std::nullopt;
  }
  line = line.substr(kDashes.size(), line.size() - 2 * kDashes.size());
  if (!line.starts_with(kind) || line.size() <= kind.size() || line[kind.size()] != ' ') {
    return std::nullopt;
  }
  return line.substr(kind.size() + 1);
}

// Puts every BEGIN/END marker on a line of its own.
SecureText markers_on_own_lines(std::string_view text) {
  SecureText out;
  out.reserve(text.size() + 16);
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t begin = text.find(kDashes, pos);
    const bool marker = begin != std::string_view::npos &&
                        (text.substr(begin + kDashes.size()).starts_with("BEGIN ") ||
                         text.substr(begin + kDashes.size()).starts_with("END "));
    const std::size_t close =
        marker ? text.find(kDashes, begin + kDashes.size()) : std::string_view::npos;
    if (close == std::string_view::npos ||
        text.substr(begin, close - begin).find('\n') != std::string_view::npos) {
      const std::size_t next = begin == std::string_view::npos ? text.size() : begin + 1;
      out.append(text.substr(pos, next - pos));
      pos = next;
      continue;
    }
    const std::size_t end = close + kDashes.size();
    out.append(text.substr(pos, begin - pos));
    if (!out.empty() && out.back() != '\n') out.push_back('\n');
    out.append(text.substr(begin, end - begin));
    if (end < text.size() && text[end] != '\n' && text[end] != '\r') out.push_back('\n');
    pos = end;
  }
  return out;
}

bool last_line_is_header(const SecureText& body) {
  if (body.empty()) return false;
  const std::size_t start = body.rfind('\n', body.size() - 2);
  const std::string_view last(body.data() + (start == SecureText::npos ? 0 : start + 1),
                              body.size() - (start == SecureText::npos ? 0 : start + 1));
  return last.find(':') != std::string_view::npos;
}

// Base64 lines lose any inner blanks; header lines ("Proc-Type: ...") stay as they are, and
// keep the empty line RFC 1421 puts between them and the base64 (OpenSSL needs it).
void append_body_line(SecureText& body, std::string_view line) {
  if (line.find(':') != std::string_view::npos) {
    body.append(line);
  } else {
    if (last_line_is_header(body)) body.push_back('\n');
    for (char c : line) {
      if (c != ' ' && c != '\t') body.push_back(c);
    }
  }
  body.push_back('\n');
}

}  // namespace

SecureText PemBlock::text() const {
  SecureText out = "-----BEGIN ";
  out.append(label).append("-----\n").append(body).append("-----END ").append(label);
  out.append("-----\n");
  return out;
}

std::optional<SecureBytes> PemBlock::der() const {
  if (!complete) return std::nullopt;
  const SecureText pem = text();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;
  const int ok = bio ? PEM_read_bio(bio.get(), &name, &header, &data, &length) : 0;
  OpensslCharsPtr name_owner(name);
  OpensslCharsPtr header_owner(header);
  if (ok != 1 || length <= 0) {
    OPENSSL_free(data);
    return std::nullopt;
  }
  SecureBytes out(data, data + length);
  OPENSSL_clear_free(data, static_cast<std::size_t>(length));
  return out;
}

std::vector<PemBlock> scan_pem(std::string_view input) {
  const SecureText normalized = markers_on_own_lines(input);
  std::string_view text(normalized.data(), normalized.size());
  std::vector<PemBlock> blocks;
  std::optional<PemBlock> open;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = trim(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (auto begin = marker_label(line, "BEGIN")) {
      if (open) blocks.push_back(std::move(*open));  // a BEGIN inside a block: it was cut off
      open = PemBlock{std::string(*begin), {}, false};
    } else if (auto finish = marker_label(line, "END")) {
      if (!open) continue;
      open->complete = *finish == open->label;
      blocks.push_back(std::move(*open));
      open.reset();
    } else if (open && !line.empty()) {
      append_body_line(open->body, line);
    }
  }
  if (open) blocks.push_back(std::move(*open));
  return blocks;
}

std::string certificate_pem(const X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1) {
    throw_openssl(ErrorCode::crypto, "Cannot write the certificate as PEM");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(length)};
}

}  // namespace smime
