-- One row per recorded value of a deal's dealstage, from Fivetran's deal_stage (date_entered, source).
select
  cast(s.deal_id as varchar) || '@' || cast(s.date_entered as varchar) || '=' || s.value as stage_change_key,
  s.deal_id,
  s.value as deal_stage_id,
  s.date_entered as changed_at,
  s.source as source_type
from {{ source('fivetran', 'deal_stage') }} as s
