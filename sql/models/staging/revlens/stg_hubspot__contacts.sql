-- One row per live contact (archived and merged-away contacts are in stg_hubspot__deleted_records). Canonical
-- columns first, then every raw column, so custom properties reach the marts unchanged.
select
  c.id as contact_id,
  cast({{ revlens_safe_cast_double('c.hubspot_owner_id') }} as bigint) as owner_id,
  cast(c.associatedcompanyid as bigint) as primary_company_id,
  c.lifecyclestage as lifecycle_stage,
  c.hs_analytics_source as original_source,
  lower(split_part(c.email, '@', 2)) as email_domain,
  c.*
from {{ source('hubspot', 'contacts') }} as c
where c.is_deleted is not true
