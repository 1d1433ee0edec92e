#pragma once
/// One batch update (`POST /crm/v3/objects/{type}/batch/update`, at most 100 inputs) and what became of each
/// input: accepted, or failed with a kind that says whether to retry. hubspot::Client already retries 429, 5xx
/// and transport failures of the request as a whole; this layer reads the per-input errors of a 207
/// multi-status answer and isolates the bad inputs of a batch HubSpot refuses as a whole (400: one invalid
/// value fails the batch) by splitting it in halves.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "deliver/push_state.hpp"

namespace revlens::hubspot {
class Client;
}

namespace revlens::deliver {

/// HubSpot's batch limit for object endpoints (hubspot-api-notes.md section 2).
inline constexpr size_t kMaxBatchInputs = 100;

/// One record's changed properties.
struct BatchInput {
  int64_t id = 0;
  std::vector<std::pair<std::string, std::string>> properties;
};

/// One input that was not written.
struct InputFailure {
  int64_t id = 0;
  QuarantineKind kind = QuarantineKind::kTransient;
  int http_status = 0;
  std::string reason;
};

/// What one batch (and any halves it was split into) came to.
struct BatchOutcome {
  std::vector<int64_t> accepted;
  std::vector<InputFailure> failed;
  int64_t requests = 0;  ///< API calls made (the client's own retries not counted)
};

/// The JSON body of a batch update.
std::string BatchUpdateBody(const std::vector<BatchInput>& inputs);

/// Read a 2xx batch-update answer: with no `errors` every input is accepted (a merged record answers under its
/// surviving id, so ids in `results` need not match); otherwise inputs named in an error's `context.ids` fail
/// with its category (OBJECT_NOT_FOUND -> not found; VALIDATION_ERROR, CONFLICT, INVALID_* -> invalid; others
/// transient), and when an error names no ids, inputs missing from `results` fail with it. Throws
/// hubspot::MalformedResponseError when the body is not such an answer (the client then retries).
BatchOutcome ParseBatchUpdateResponse(std::string_view body, const std::vector<BatchInput>& inputs);

/// Send `inputs` (at most kMaxBatchInputs) to `object_type`. Every property name must be in `allowed` (the
/// revlens properties set up for this type): anything else throws ConfigError before a request goes out.
/// 400/404/409/422 for the whole batch: split in halves until the failing inputs stand alone (those are
/// quarantined as invalid or not found). 5xx or transport failures left after the client's retries: every
/// input transient. 401/403 and a 429 that outlasted the retries (the daily limit) are rethrown: the push
/// cannot go on.
BatchOutcome SendBatchUpdate(hubspot::Client& client, const std::string& object_type,
                             const std::vector<BatchInput>& inputs, const std::set<std::string>& allowed);

}  // namespace revlens::deliver
