-- One row per deal × stage visit: when the deal entered and left the stage and how long it stayed (to the
-- as-of date for the stage it is still in).
select
  cast(v.deal_id as varchar) || ':' || cast(v.visit_number as varchar) as deal_stage_visit_key,
  v.deal_id,
  v.visit_number,
  d.pipeline_id,
  v.deal_stage_id,
  s.stage_label as deal_stage_label,
  s.stage_order as deal_stage_order,
  s.probability as deal_stage_probability,
  coalesce(s.is_closed, false) as is_closed_stage,
  coalesce(s.is_won, false) as is_won_stage,
  coalesce(s.is_lost, false) as is_lost_stage,
  v.previous_stage_id,
  v.next_stage_id,
  v.entered_at,
  v.exited_at,
  (v.exited_at is null) as is_current_stage,
  case
    when v.exited_at is not null then {{ revlens_days_between('v.entered_at', 'v.exited_at') }}
    when not coalesce(s.is_closed, false) then {{ revlens_days_between('v.entered_at', 'a.as_of_date') }}
  end as days_in_stage,
  d.owner_id
from {{ ref('int_deal_stage_visits') }} as v
join {{ ref('stg_hubspot__deals') }} as d on d.deal_id = v.deal_id
left join {{ ref('stg_hubspot__pipeline_stages') }} as s
  on s.pipeline_id = d.pipeline_id and s.stage_id = v.deal_stage_id
cross join {{ ref('int_as_of') }} as a
