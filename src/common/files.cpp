#include "smime/common/files.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "smime/common/error.hpp"
#include "smime/common/hex.hpp"

namespace smime {
namespace {

// An open file descriptor, closed on every path.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const noexcept { return fd_; }
  // Closes now, reporting the error a late write-back may give.
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

Error io_error(const std::filesystem::path& path, std::string_view what, int error) {
  return Error(error == EEXIST ? ErrorCode::conflict : ErrorCode::io,
               std::string(what) + " " + path.string() + ": " + std::strerror(error));
}

int open_new(const std::filesystem::path& path, unsigned mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                        static_cast<mode_t>(mode));
  if (fd < 0) throw io_error(path, "Cannot create", errno);
  // The umask may have taken bits away; what was asked for is what the file gets.
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    const int error = errno;
    ::close(fd);
    throw io_error(path, "Cannot set the mode of", error);
  }
  return fd;
}

void write_all(int fd, std::string_view content, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw io_error(path, "Cannot write", n < 0 ? errno : EIO);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) throw io_error(path, "Cannot write", errno);
}

}  // namespace

void write_new_file(const std::filesystem::path& path, std::string_view content, unsigned mode) {
  FileDescriptor fd(open_new(path, mode));
  try {
    write_all(fd.get(), content, path);
    if (!fd.close()) throw io_error(path, "Cannot write", errno);
  } catch (...) {
    ::unlink(path.c_str());
    throw;
  }
}

void replace_file(const std::filesystem::path& path, std::string_view content, unsigned mode) {
  unsigned char nonce[8];
  if (RAND_bytes(nonce, sizeof nonce) != 1) {
    throw Error(ErrorCode::crypto, "No randomness for a temporary file name");
  }
  std::filesystem::path temporary = path;
  temporary += ".tmp-" + to_hex(nonce);
  write_new_file(temporary, content, mode);
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    throw io_error(path, "Cannot replace", error);
  }
}

void create_file(const std::filesystem::path& path, bool exclusive, unsigned mode) {
  const auto parent = path.parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (!ec) std::filesystem::permissions(parent, std::filesystem::perms::owner_all, ec);
    if (ec) {
      throw Error(ErrorCode::io,
                  "Cannot create the directory " + parent.string() + ": " + ec.message());
    }
  }
  try {
    write_new_file(path, std::string_view(), mode);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::conflict) throw;
    if (exclusive) throw Error(ErrorCode::conflict, path.string() + " already exists");
  }
}

std::vector<unsigned char> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(
        std::filesystem::exists(path) ? ErrorCode::io : ErrorCode::not_found,
        "Cannot read " + path.string() + (std::filesystem::exists(path) ? "" : ": no such file"));
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace smime
