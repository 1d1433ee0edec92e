-- One row per product user × day. Product usage is not HubSpot data: it is loaded from a file into the landing schema
-- with `revlens import --type product_usage` (table product_usage, the same as revlens's own layout).
select
  u.user_id || '@' || cast(u.event_date as varchar) as usage_key,
  u.event_date,
  u.user_id,
  lower(u.email) as email,
  lower(u.account_domain) as account_domain,
  u.hubspot_contact_id,
  coalesce(u.logins, 0) as logins,
  coalesce(u.key_feature_uses, 0) as key_feature_uses,
  u.seats
from {{ source('airbyte', 'product_usage') }} as u
