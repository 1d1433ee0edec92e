#pragma once
/// Product usage events (one row per user-day) from a CSV or Parquet file into the raw `product_usage` table.
/// The documented schema is ProductUsageColumns() (raw_layout.hpp) without `source_file`: event_date, user_id,
/// email, account_domain, hubspot_contact_id, logins, key_feature_uses, seats. Column names match
/// case-insensitively; extra columns are ignored; missing optional ones load as NULL; `event_date` and one of
/// `user_id`/`email` are required.
#include <cstdint>
#include <string>

#include "warehouse/warehouse.hpp"

namespace revlens::sync {

/// What ImportProductUsage wrote.
struct ProductUsageResult {
  std::string path;
  std::string source_file;  ///< the value of `source_file` on the rows (the file's absolute path)
  std::string format;       ///< csv | parquet
  int64_t rows = 0;         ///< rows loaded
  int64_t rejected = 0;     ///< rows without an event date or a user (user_id and email both empty), quarantined
  int64_t replaced = 0;     ///< rows of an earlier load of the same file that this load replaced
};

/// Load `path` (Parquet when it ends in `.parquet`, else CSV with a header row) into `schema.product_usage`,
/// replacing the rows of an earlier load of the same file (by `source_file`), in one transaction. The file is read
/// by an in-memory DuckDB whatever engine `wh` is. Rows missing a required value go to `quarantine` (resource
/// `product_usage:<file name>`, replaced per file). Throws InvalidInputError (one line) when the file lacks the
/// required columns or cannot be read as its format.
ProductUsageResult ImportProductUsage(warehouse::Warehouse& wh, const std::string& path, const std::string& schema,
                                      const std::string& run_id = "");

/// Return true when `path` looks like a product-usage file: a `.parquet` file, or a CSV whose header has an
/// `event_date` column.
bool LooksLikeProductUsage(const std::string& path);

}  // namespace revlens::sync
