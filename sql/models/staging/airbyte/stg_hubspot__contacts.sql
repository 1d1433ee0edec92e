-- One row per live contact from Airbyte's `contacts` stream (archived and merged-away contacts, archived = true, are
-- in stg_hubspot__deleted_records). Canonical columns first, then revlens's record columns (the stream keeps no
-- archive time; the merge target is in the survivor's hs_merged_object_ids), then every property under its HubSpot
-- name: var airbyte_contact_columns lists the properties_* columns (`revlens build --landing airbyte` reads them
-- from the table; dbt users set it).
select
  cast(c.id as bigint) as contact_id,
  cast({{ revlens_safe_cast_double('c.properties_hubspot_owner_id') }} as bigint) as owner_id,
  cast(c.properties_associatedcompanyid as bigint) as primary_company_id,
  c.properties_lifecyclestage as lifecycle_stage,
  c.properties_hs_analytics_source as original_source,
  lower(split_part(c.properties_email, '@', 2)) as email_domain,
  cast(c.id as bigint) as id,
  cast(c.createdat as timestamp) as created_at,
  cast(c.updatedat as timestamp) as updated_at,
  coalesce(c.archived, false) as is_deleted,
  cast(null as timestamp) as archived_at,
  cast(null as bigint) as merged_into_id,
  cast(c._airbyte_extracted_at as timestamp) as synced_at,
  {{ var('airbyte_contact_columns') }}
from {{ source('airbyte', 'contacts') }} as c
where c.archived is not true
