-- One row per product user × day.
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
from {{ source('hubspot', 'product_usage') }} as u
