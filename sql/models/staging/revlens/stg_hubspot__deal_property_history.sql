-- Every tracked deal property change (dealstage, amount, closedate, hubspot_owner_id,
-- hs_manual_forecast_category, pipeline): the input of point-in-time models.
select
  h.object_id as deal_id,
  h.property,
  h.value,
  h.changed_at,
  h.source_type
from {{ source('hubspot', 'property_history') }} as h
where h.object_type = 'deals'
