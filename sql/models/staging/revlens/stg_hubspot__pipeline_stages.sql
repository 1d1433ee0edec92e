-- One row per deal pipeline stage. Won and lost come from the stage metadata, never from labels: closed with
-- probability 1 is won, closed with probability 0 is lost.
select
  s.pipeline_id || ':' || s.stage_id as pipeline_stage_key,
  s.pipeline_id,
  p.label as pipeline_label,
  s.stage_id,
  s.label as stage_label,
  s.display_order as stage_order,
  s.probability,
  coalesce(s.is_closed, false) as is_closed,
  (coalesce(s.is_closed, false) and s.probability = 1) as is_won,
  (coalesce(s.is_closed, false) and s.probability = 0) as is_lost,
  (s.is_deleted is true or p.is_deleted is true) as is_deleted
from {{ source('hubspot', 'pipeline_stages') }} as s
left join {{ source('hubspot', 'pipelines') }} as p
  on p.object_type = s.object_type and p.pipeline_id = s.pipeline_id
where s.object_type = 'deals'
