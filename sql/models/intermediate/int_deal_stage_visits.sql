-- One row per deal × stage visit: consecutive records of the same stage are one visit; a visit ends when the
-- next one starts.
with ordered as (
  select
    h.deal_id,
    h.deal_stage_id,
    h.changed_at,
    lag(h.deal_stage_id) over (partition by h.deal_id order by h.changed_at, h.deal_stage_id) as previous_stage_id
  from {{ ref('stg_hubspot__deal_stage_history') }} as h
  join {{ ref('stg_hubspot__deals') }} as d on d.deal_id = h.deal_id
), visits as (
  select
    o.deal_id,
    o.deal_stage_id,
    o.previous_stage_id,
    o.changed_at as entered_at,
    row_number() over (partition by o.deal_id order by o.changed_at, o.deal_stage_id) as visit_number
  from ordered as o
  where o.previous_stage_id is null or o.previous_stage_id <> o.deal_stage_id
)
select
  v.deal_id,
  v.visit_number,
  v.deal_stage_id,
  v.previous_stage_id,
  v.entered_at,
  lead(v.entered_at) over (partition by v.deal_id order by v.visit_number) as exited_at,
  lead(v.deal_stage_id) over (partition by v.deal_id order by v.visit_number) as next_stage_id
from visits as v
