-- One row per dated fact about a live deal, the input revlens forecast rebuilds any past day's pipeline from:
-- every change of the tracked deal properties (stage, amount, close date, owner, forecast category, pipeline)
-- and every engagement associated with the deal (with the lowest associated contact). Nothing here is a
-- current value: a state at a cutoff is the last event before it.
select
  h.deal_id,
  h.changed_at as occurred_at,
  'property' as event_kind,
  h.property as event_name,
  h.value as event_value,
  cast(null as bigint) as contact_id
from {{ ref('stg_hubspot__deal_property_history') }} as h
join {{ ref('deals') }} as d on d.deal_id = h.deal_id
where h.property in ('dealstage', 'amount', 'closedate', 'hubspot_owner_id', 'hs_manual_forecast_category', 'pipeline')
union all
select
  l.linked_id as deal_id,
  l.occurred_at,
  'engagement' as event_kind,
  l.engagement_type as event_name,
  cast(null as varchar) as event_value,
  e.contact_id
from {{ ref('int_engagement_links') }} as l
join {{ ref('engagements') }} as e on e.engagement_key = l.engagement_key
where l.linked_type = 'deals' and l.occurred_at is not null
