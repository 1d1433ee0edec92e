#pragma once
/// PostgreSQL implementation of Warehouse over libpq (private to src/warehouse/; use OpenWarehouse). Works with
/// other PostgreSQL-protocol engines that support COPY FROM STDIN.
#include <memory>
#include <string>

#include "warehouse/warehouse.hpp"

namespace revlens::warehouse {

/// Connect with a libpq URL (`postgresql://user:password@host:port/db?sslmode=...`). The session runs in UTC.
std::unique_ptr<Warehouse> OpenPostgresWarehouse(const std::string& url);

}  // namespace revlens::warehouse
