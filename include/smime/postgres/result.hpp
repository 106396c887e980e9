// The owners of libpq's handles, and the rows of one statement's result in text form. Rows and
// columns are 0-based.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "smime/common/handles.hpp"

namespace smime::postgres {

using PgConnPtr = std::unique_ptr<PGconn, FreeWith<PQfinish>>;
using PgResultPtr = std::unique_ptr<PGresult, FreeWith<PQclear>>;

class Result {
 public:
  explicit Result(PgResultPtr result) : result_(std::move(result)) {}

  int rows() const noexcept { return PQntuples(result_.get()); }
  bool empty() const noexcept { return rows() == 0; }
  // Rows an INSERT, UPDATE or DELETE changed (0 for other statements).
  std::int64_t affected_rows() const;

  bool is_null(int row, int column) const;
  std::string text(int row, int column) const;  // NULL reads as ""
  std::optional<std::string> optional_text(int row, int column) const;
  std::int64_t int64(int row, int column) const;  // NULL reads as 0
  bool boolean(int row, int column) const;        // 't'
  std::vector<unsigned char> bytea(int row, int column) const;
  // A text[] column (see array_literal.hpp).
  std::vector<std::string> text_array(int row, int column) const;

  // read(*this, row) for every row, in order.
  template <class Read>
  auto map_rows(Read&& read) const -> std::vector<std::invoke_result_t<Read&, const Result&, int>> {
    std::vector<std::invoke_result_t<Read&, const Result&, int>> out;
    out.reserve(static_cast<std::size_t>(rows()));
    for (int row = 0; row < rows(); ++row) out.push_back(read(*this, row));
    return out;
  }

  const PGresult* handle() const noexcept { return result_.get(); }

 private:
  void check_cell(int row, int column) const;

  PgResultPtr result_;
};

}  // namespace smime::postgres
