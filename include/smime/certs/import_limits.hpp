// How much one certificate import processes and reports (issue 11 items 6 and 10): a
// certificate with 100,000 SAN entries, or a bundle of 100,000 broken blocks, must cost time
// and answer size in proportion to what a person can use, not to what an attacker sends.
#pragma once

#include <cstddef>

namespace smime::certs {

struct ImportLimits {
  // rfc822Name entries in one certificate's Subject Alternative Name; more is refused by the
  // rule "subject_alt_name_email_count".
  std::size_t emails_per_certificate = 1'000;
  // Distinct failures an import report lists; equal failures (same kind, rule and message)
  // are one entry with a count, and failures beyond this are only counted.
  std::size_t reported_failures = 20;
};

}  // namespace smime::certs
