-- One row per live company from Airbyte's `companies` stream: canonical columns, revlens's record columns, then
-- every property under its HubSpot name (var airbyte_company_columns).
select
  cast(c.id as bigint) as company_id,
  c.properties_name as company_name,
  lower(c.properties_domain) as company_domain,
  cast({{ revlens_safe_cast_double('c.properties_hubspot_owner_id') }} as bigint) as owner_id,
  c.properties_numberofemployees as employee_count,
  c.properties_annualrevenue as annual_revenue,
  cast(c.id as bigint) as id,
  cast(c.createdat as timestamp) as created_at,
  cast(c.updatedat as timestamp) as updated_at,
  coalesce(c.archived, false) as is_deleted,
  cast(null as timestamp) as archived_at,
  cast(null as bigint) as merged_into_id,
  cast(c._airbyte_extracted_at as timestamp) as synced_at,
  {{ var('airbyte_company_columns') }}
from {{ source('airbyte', 'companies') }} as c
where c.archived is not true
