-- One row per live deal from Airbyte's `deals` stream: canonical columns, revlens's record columns, then every
-- property under its HubSpot name (var airbyte_deal_columns).
select
  cast(d.id as bigint) as deal_id,
  d.properties_dealname as deal_name,
  d.properties_pipeline as pipeline_id,
  d.properties_dealstage as deal_stage_id,
  cast({{ revlens_safe_cast_double('d.properties_hubspot_owner_id') }} as bigint) as owner_id,
  d.properties_hs_manual_forecast_category as forecast_category,
  d.properties_{{ var('competitor_property', 'competitor') }} as competitor_name,
  d.properties_closed_lost_reason as loss_reason,
  cast(d.id as bigint) as id,
  cast(d.createdat as timestamp) as created_at,
  cast(d.updatedat as timestamp) as updated_at,
  coalesce(d.archived, false) as is_deleted,
  cast(null as timestamp) as archived_at,
  cast(null as bigint) as merged_into_id,
  cast(d._airbyte_extracted_at as timestamp) as synced_at,
  {{ var('airbyte_deal_columns') }}
from {{ source('airbyte', 'deals') }} as d
where d.archived is not true
