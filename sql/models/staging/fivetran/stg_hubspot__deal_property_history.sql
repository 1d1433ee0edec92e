-- Every tracked deal property change (dealstage, amount, closedate, hubspot_owner_id, hs_manual_forecast_category,
-- pipeline) from Fivetran's deal_property_history, which holds every property's history: the input of
-- point-in-time models.
select
  h.deal_id,
  h.name as property,
  h.value,
  h."timestamp" as changed_at,
  h.source as source_type
from {{ source('fivetran', 'deal_property_history') }} as h
where h.name in ('dealstage', 'amount', 'closedate', 'hubspot_owner_id', 'hs_manual_forecast_category', 'pipeline')
