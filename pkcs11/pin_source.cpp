#include "smime/pkcs11/pin_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "smime/common/error.hpp"

namespace smime::pkcs11 {
namespace {

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

PinSource PinSource::parse(const std::string& spec) {
  auto rest = [&](std::size_t prefix) { return spec.substr(prefix); };
  if (spec.rfind("file:", 0) == 0 && spec.size() > 5) return {Kind::file, rest(5)};
  if (spec.rfind("env:", 0) == 0 && spec.size() > 4) return {Kind::env, rest(4)};
  if (spec.rfind("credential:", 0) == 0 && spec.size() > 11) {
    std::string name = rest(11);
    if (name.find('/') != std::string::npos) {
      throw Error(ErrorCode::pin_source, "A credential name cannot contain '/': " + name);
    }
    return {Kind::credential, name};
  }
  if (!spec.empty() && spec.front() == '/') return {Kind::file, spec};
  throw Error(ErrorCode::pin_source,
              "Unknown PIN source '" + spec +
                  "': use file:/path (mode 0600), env:VARIABLE or credential:NAME");
}

SecretString read_secret_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    throw Error(ErrorCode::pin_source,
                "Cannot open secret file " + path + ": " + std::strerror(errno));
  }
  FdCloser closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    throw Error(ErrorCode::pin_source, "Secret file " + path + " is not a regular file");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw Error(ErrorCode::pin_source, "Secret file " + path + " has mode " + mode +
                                           ": it must not be accessible by group or others "
                                           "(chmod 600 " +
                                           path + ")");
  }
  SecretString secret;
  char buffer[256];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      OPENSSL_cleanse(buffer, sizeof buffer);
      throw Error(ErrorCode::pin_source, "Cannot read secret file " + path);
    }
    if (n == 0) break;
    for (ssize_t i = 0; i < n; ++i) secret.push_back(buffer[i]);
    if (secret.size() > 4096) break;  // a PIN file is small; do not slurp something else
  }
  OPENSSL_cleanse(buffer, sizeof buffer);
  secret.trim_line_end();
  return secret;
}

SecretString PinSource::read() const {
  SecretString pin;
  switch (kind_) {
    case Kind::file:
      pin = read_secret_file(location_);
      break;
    case Kind::env: {
      const char* value = std::getenv(location_.c_str());
      if (value == nullptr) {
        throw Error(ErrorCode::pin_source, "The PIN variable " + location_ + " is not set");
      }
      pin = SecretString(value);
      break;
    }
    case Kind::credential: {
      const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
      if (dir == nullptr || *dir == '\0') {
        throw Error(ErrorCode::pin_source,
                    "CREDENTIALS_DIRECTORY is not set (PIN source credential:" + location_ + ")");
      }
      pin = read_secret_file(std::string(dir) + "/" + location_);
      break;
    }
  }
  if (pin.empty()) throw Error(ErrorCode::pin_source, "The PIN from " + describe() + " is empty");
  return pin;
}

std::string PinSource::describe() const {
  switch (kind_) {
    case Kind::file:
      return "file:" + location_;
    case Kind::env:
      return "env:" + location_;
    case Kind::credential:
      return "credential:" + location_;
  }
  return {};
}

}  // namespace smime::pkcs11
