// RFC 9865 cursors, engine-independent: what a cursor says (which page, relative to which row) and
// its opaque text form. A cursor names the last row of a page (next) or the first (previous) by
// its sort key and creation sequence, so a page costs the same at any depth and concurrent inserts
// or deletes shift nothing. It carries a fingerprint of the query it was issued for; a cursor used
// with another filter or sort is refused rather than silently paging something else.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "storage/sql_filter.h"
#include "storage/store.h"

namespace scim::storage {

struct PageCursor {
  bool backward = false;      // previousCursor: the page that ends just before this row
  int64_t seq = 0;            // the row's creation sequence (the tie-breaker of every order)
  SqlParam sort_value;        // the row's sort key (nullptr: none, or the row has no value)
};

// Identifies what a cursor may be used for: the kinds listed, the filter and the sort.
uint64_t QueryFingerprint(const std::vector<ListScope>& scopes, const ListRequest& request);

std::string EncodeCursor(const PageCursor& cursor, uint64_t fingerprint);
// Errors: kInvalidCursor when `text` is not a cursor of this server or was issued for another query.
core::Result<PageCursor> DecodeCursor(std::string_view text, uint64_t fingerprint);

}  // namespace scim::storage
