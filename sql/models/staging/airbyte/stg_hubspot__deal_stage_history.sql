-- One row per recorded value of a deal's dealstage, from Airbyte's deals_property_history stream.
with h as (
  select
    cast(p.dealid as bigint) as deal_id,
    p.value,
    {{ revlens_epoch_ms_to_timestamp('p."timestamp"') }} as changed_at,
    p.source
  from {{ source('airbyte', 'deals_property_history') }} as p
  where p.property = 'dealstage'
)
select
  cast(h.deal_id as varchar) || '@' || cast(h.changed_at as varchar) || '=' || h.value as stage_change_key,
  h.deal_id,
  h.value as deal_stage_id,
  h.changed_at,
  h.source as source_type
from h
