-- One row per live contact from Fivetran's `contact` (deleted and merged-away contacts, `_fivetran_deleted`, are in
-- stg_hubspot__deleted_records). Canonical columns first, then revlens's record columns (created_at / updated_at are
-- HubSpot's createdate / lastmodifieddate; Fivetran keeps no archive time or merge target on the row), then every
-- property under its HubSpot name: var fivetran_contact_columns lists them (`revlens build --landing fivetran` reads
-- them from the table; dbt users set it, as dbt_hubspot's pass-through columns).
select
  c.id as contact_id,
  cast({{ revlens_safe_cast_double('c.property_hubspot_owner_id') }} as bigint) as owner_id,
  cast(c.property_associatedcompanyid as bigint) as primary_company_id,
  c.property_lifecyclestage as lifecycle_stage,
  c.property_hs_analytics_source as original_source,
  lower(split_part(c.property_email, '@', 2)) as email_domain,
  c.id,
  c.property_createdate as created_at,
  c.property_lastmodifieddate as updated_at,
  coalesce(c._fivetran_deleted, false) as is_deleted,
  cast(null as timestamp) as archived_at,
  cast(null as bigint) as merged_into_id,
  c._fivetran_synced as synced_at,
  {{ var('fivetran_contact_columns') }}
from {{ source('fivetran', 'contact') }} as c
where c._fivetran_deleted is not true
