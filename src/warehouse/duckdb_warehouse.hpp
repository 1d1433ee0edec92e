#pragma once
/// DuckDB implementation of Warehouse (private to src/warehouse/; use OpenWarehouse).
#include <memory>
#include <string>

#include "warehouse/warehouse.hpp"

namespace revlens::warehouse {

/// Open (creating if needed) the DuckDB database at `path` (`:memory:` for an in-memory one).
std::unique_ptr<Warehouse> OpenDuckDbWarehouse(const std::string& path);

}  // namespace revlens::warehouse
