-- One row per deal pipeline stage from Fivetran's deal_pipeline_stage. Won and lost come from stage metadata,
-- never labels. Fivetran keeps closed_won and probability but not HubSpot's isClosed flag, so a stage counts as
-- closed when it is closed_won or has probability 0: a format limit (an open stage at probability 0 would read as
-- lost), exact for HubSpot's closed stages (won at 1.0, lost at 0.0).
select
  s.pipeline_id || ':' || s.stage_id as pipeline_stage_key,
  s.pipeline_id,
  p.label as pipeline_label,
  s.stage_id,
  s.label as stage_label,
  s.display_order as stage_order,
  s.probability,
  (coalesce(s.closed_won, false) or s.probability = 0) as is_closed,
  coalesce(s.closed_won, false) as is_won,
  (not coalesce(s.closed_won, false) and s.probability = 0) as is_lost,
  (s._fivetran_deleted is true or s.active is false or p._fivetran_deleted is true or p.active is false) as is_deleted
from {{ source('fivetran', 'deal_pipeline_stage') }} as s
left join {{ source('fivetran', 'deal_pipeline') }} as p on p.pipeline_id = s.pipeline_id
