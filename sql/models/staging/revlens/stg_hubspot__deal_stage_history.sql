-- One row per recorded value of a deal's dealstage (property_history), live deals' history only.
select
  cast(h.object_id as varchar) || '@' || cast(h.changed_at as varchar) || '=' || h.value as stage_change_key,
  h.object_id as deal_id,
  h.value as deal_stage_id,
  h.changed_at,
  h.source_type
from {{ source('hubspot', 'property_history') }} as h
where h.object_type = 'deals' and h.property = 'dealstage'
