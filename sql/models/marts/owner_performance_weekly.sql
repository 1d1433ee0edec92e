-- One row per owner × week (weeks start on Monday) from the owner's first activity or deal to the as-of week: the
-- per-week figures behind owner_performance: activities logged (by type), deals created, deals won and lost and
-- bookings (won amount) by the week the deal closed. Weeks without any of these are kept, with zeros, so averages
-- and trends over weeks count the quiet ones.
with activity as (
  select
    e.owner_id,
    e.occurred_week as week_start,
    count(*) as engagements,
    sum(case when e.engagement_type = 'call' then 1 else 0 end) as calls,
    sum(case when e.engagement_type = 'email' then 1 else 0 end) as emails,
    sum(case when e.engagement_type = 'meeting' then 1 else 0 end) as meetings
  from {{ ref('engagements') }} as e
  where e.owner_id is not null
  group by e.owner_id, e.occurred_week
), created as (
  select
    d.owner_id,
    {{ revlens_date_trunc('week', 'd.created_date') }} as week_start,
    count(*) as deals_created
  from {{ ref('deals') }} as d
  where d.owner_id is not null
  group by d.owner_id, {{ revlens_date_trunc('week', 'd.created_date') }}
), closed as (
  select
    d.owner_id,
    {{ revlens_date_trunc('week', 'd.closed_date') }} as week_start,
    sum(case when d.is_won then 1 else 0 end) as won_deals,
    sum(case when d.is_lost then 1 else 0 end) as lost_deals,
    sum(case when d.is_won then coalesce(d.amount, 0) else 0 end) as bookings_amount
  from {{ ref('deals') }} as d
  where d.owner_id is not null and d.closed_date is not null
  group by d.owner_id, {{ revlens_date_trunc('week', 'd.closed_date') }}
), first_weeks as (
  select u.owner_id, min(u.week_start) as first_week
  from (
    select owner_id, week_start from activity
    union all select owner_id, week_start from created
    union all select owner_id, week_start from closed
  ) as u
  group by u.owner_id
), weeks as (
  -- The spine macro takes constants; the bounds cut it down to the Mondays the owners span.
  select s.date_day as week_start
  from {{ revlens_date_spine("'2000-01-01'", "'2040-12-31'") }} as s
  cross join {{ ref('int_as_of') }} as a
  where s.date_day = {{ revlens_date_trunc('week', 's.date_day') }}
    and s.date_day <= a.as_of_date
    and s.date_day >= (select min(f.first_week) from first_weeks as f)
)
select
  cast(f.owner_id as varchar) || '@' || cast(w.week_start as varchar) as owner_week_key,
  f.owner_id,
  w.week_start,
  o.owner_name,
  o.team_id,
  o.team_name,
  coalesce(a.engagements, 0) as engagements,
  coalesce(a.calls, 0) as calls,
  coalesce(a.emails, 0) as emails,
  coalesce(a.meetings, 0) as meetings,
  coalesce(cr.deals_created, 0) as deals_created,
  coalesce(cl.won_deals, 0) as won_deals,
  coalesce(cl.lost_deals, 0) as lost_deals,
  coalesce(cl.bookings_amount, 0) as bookings_amount
from first_weeks as f
join weeks as w on w.week_start >= f.first_week
left join {{ ref('stg_hubspot__owners') }} as o on o.owner_id = f.owner_id
left join activity as a on a.owner_id = f.owner_id and a.week_start = w.week_start
left join created as cr on cr.owner_id = f.owner_id and cr.week_start = w.week_start
left join closed as cl on cl.owner_id = f.owner_id and cl.week_start = w.week_start
