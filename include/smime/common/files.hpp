// Writing files that may hold secrets (keys, PINs, tokens, messages) and reading inputs. Every
// writer of the project goes through here: a file is only ever created new (O_EXCL), never
// through a symlink planted where it should be (O_NOFOLLOW), with the mode given here.
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

namespace smime {

// Creates `path` and writes `content` (synced). Error(conflict) when it exists already,
// Error(io) naming the file for anything else.
void write_new_file(const std::filesystem::path& path, std::string_view content,
                    unsigned mode = 0600);

// Replaces `path` with `content`: written to a new file beside it, synced, then renamed over
// it, so readers see the old or the new content, never a part. The result has `mode`
// whatever the old file had, and a symlink at `path` is replaced, never followed.
void replace_file(const std::filesystem::path& path, std::string_view content,
                  unsigned mode = 0600);

// Creates `path` empty with `mode` (and a missing parent directory with 0700) unless it
// exists; Error(conflict) when it exists and `exclusive`.
void create_file(const std::filesystem::path& path, bool exclusive, unsigned mode = 0600);

// The whole file; Error(not_found) or Error(io) naming it.
std::vector<unsigned char> read_file(const std::filesystem::path& path);

}  // namespace smime
