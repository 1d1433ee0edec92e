-- One row per contact × lifecycle stage reached (the first time), in lifecycle order, with the stage reached
-- before it and the days it took from that stage and from the contact's creation.
with firsts as (
  select h.contact_id, h.lifecycle_stage, min(h.changed_at) as reached_at
  from {{ ref('stg_hubspot__contact_lifecycle_history') }} as h
  join {{ ref('stg_hubspot__contacts') }} as c on c.contact_id = h.contact_id
  where h.lifecycle_stage is not null and h.lifecycle_stage <> ''
  group by h.contact_id, h.lifecycle_stage
), ordered as (
  select
    f.contact_id,
    f.lifecycle_stage,
    case f.lifecycle_stage
      when 'subscriber' then 1 when 'lead' then 2 when 'marketingqualifiedlead' then 3
      when 'salesqualifiedlead' then 4 when 'opportunity' then 5 when 'customer' then 6
      when 'evangelist' then 7 else 8
    end as stage_order,
    f.reached_at
  from firsts as f
), sequenced as (
  select
    o.*,
    lag(o.lifecycle_stage) over (partition by o.contact_id order by o.reached_at, o.stage_order) as previous_stage,
    lag(o.reached_at) over (partition by o.contact_id order by o.reached_at, o.stage_order) as previous_reached_at,
    row_number() over (partition by o.contact_id order by o.reached_at, o.stage_order) as transition_number
  from ordered as o
)
select
  cast(s.contact_id as varchar) || ':' || s.lifecycle_stage as funnel_key,
  s.contact_id,
  s.lifecycle_stage,
  s.stage_order,
  s.transition_number,
  s.reached_at,
  s.previous_stage,
  s.previous_reached_at,
  case when s.previous_reached_at is not null
       then {{ revlens_days_between('s.previous_reached_at', 's.reached_at') }} end as days_from_previous_stage,
  {{ revlens_days_between('coalesce(c.createdate, c.created_at)', 's.reached_at') }} as days_from_created,
  c.original_source,
  c.owner_id
from sequenced as s
join {{ ref('stg_hubspot__contacts') }} as c on c.contact_id = s.contact_id
