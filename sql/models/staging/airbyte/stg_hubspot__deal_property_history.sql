-- Every tracked deal property change (dealstage, amount, closedate, hubspot_owner_id, hs_manual_forecast_category,
-- pipeline) from Airbyte's deals_property_history stream (timestamps in epoch milliseconds).
select
  cast(h.dealid as bigint) as deal_id,
  h.property,
  h.value,
  {{ revlens_epoch_ms_to_timestamp('h."timestamp"') }} as changed_at,
  h.source as source_type
from {{ source('airbyte', 'deals_property_history') }} as h
where h.property in ('dealstage', 'amount', 'closedate', 'hubspot_owner_id', 'hs_manual_forecast_category', 'pipeline')
