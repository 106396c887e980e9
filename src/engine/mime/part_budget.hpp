// Bounds on the MIME structure GMime builds for an entity (Limits::mime_parts, mime_depth).
// GMime has no part limit of its own and builds an object of about 1 KB for every part, so
// 2 million empty parts in 20 MB would take gigabytes: large entities are checked before
// GMime sees them, and the tree GMime built is counted exactly afterwards.
#pragma once

#include <gmime/gmime.h>

#include <cstddef>
#include <string_view>

#include "smime/mime/limits.hpp"

namespace smime::engine::mime::detail {

// Before parsing: an upper bound of the parts GMime could find (one, plus the lines that
// open a body part of a boundary some Content-Type field declares, plus the message/*
// parts). Entities
// too small to hold more parts than the limit are not scanned at all. Throws
// Error(limit_exceeded) when the bound is over Limits::mime_parts.
void check_part_budget(std::string_view entity, const Limits& limits);

// After parsing: the exact count and depth of the tree. Throws Error(limit_exceeded).
void check_part_tree(GMimeObject* root, const Limits& limits);

}  // namespace smime::engine::mime::detail
