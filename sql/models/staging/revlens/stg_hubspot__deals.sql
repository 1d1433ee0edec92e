-- One row per live deal; canonical columns first, then every raw column (custom properties included).
select
  d.id as deal_id,
  d.dealname as deal_name,
  d.pipeline as pipeline_id,
  d.dealstage as deal_stage_id,
  cast({{ revlens_safe_cast_double('d.hubspot_owner_id') }} as bigint) as owner_id,
  d.hs_manual_forecast_category as forecast_category,
  d.{{ var('competitor_property', 'competitor') }} as competitor_name,
  d.closed_lost_reason as loss_reason,
  d.*
from {{ source('hubspot', 'deals') }} as d
where d.is_deleted is not true
