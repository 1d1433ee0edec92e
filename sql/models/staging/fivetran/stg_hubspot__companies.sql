-- One row per live company from Fivetran's `company` (`is_deleted` from HubSpot's v2 API, `_fivetran_deleted` from
-- v3: either marks a deleted company). Canonical columns, revlens's record columns (created_at / updated_at are
-- hs_createdate / hs_lastmodifieddate), then every property under its HubSpot name (var fivetran_company_columns).
select
  c.id as company_id,
  c.property_name as company_name,
  lower(c.property_domain) as company_domain,
  cast({{ revlens_safe_cast_double('c.property_hubspot_owner_id') }} as bigint) as owner_id,
  c.property_numberofemployees as employee_count,
  c.property_annualrevenue as annual_revenue,
  c.id,
  c.property_hs_createdate as created_at,
  c.property_hs_lastmodifieddate as updated_at,
  (coalesce(c.is_deleted, false) or coalesce(c._fivetran_deleted, false)) as is_deleted,
  cast(null as timestamp) as archived_at,
  cast(null as bigint) as merged_into_id,
  c._fivetran_synced as synced_at,
  {{ var('fivetran_company_columns') }}
from {{ source('fivetran', 'company') }} as c
where c.is_deleted is not true and c._fivetran_deleted is not true
