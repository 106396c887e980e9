// Store::backup() of the PostgreSQL store: pg_dump's custom format (restored with pg_restore),
// one consistent snapshot of the whole database taken while the nodes keep working.
#pragma once

#include <filesystem>
#include <string>

namespace smime::store::pg {

// The pg_dump to run: the first in PATH, else PostgreSQL 15's from Debian. Error(not_found)
// when there is none.
std::filesystem::path find_pg_dump();

// Dumps the database at `url` to `destination` (created with mode 0600; Error(conflict) when
// it exists). The password, if the URL has one, reaches pg_dump in its environment, never on
// its command line. Error(io) naming pg_dump's own message when it fails (the partial file is
// removed).
void dump_database(const std::string& url, const std::filesystem::path& destination);

}  // namespace smime::store::pg
