-- One row per owner: bookings (won amount), wins and losses, win rate, mean cycle of won deals, open pipeline,
-- and activity per week over the weeks the owner logged any.
with deal_stats as (
  select
    d.owner_id,
    sum(case when d.is_won then 1 else 0 end) as won_deals,
    sum(case when d.is_lost then 1 else 0 end) as lost_deals,
    sum(case when d.is_open then 1 else 0 end) as open_deals,
    sum(case when d.is_won then coalesce(d.amount, 0) else 0 end) as bookings_amount,
    sum(case when d.is_open then coalesce(d.amount, 0) else 0 end) as open_pipeline_amount,
    avg(case when d.is_won then cast(d.cycle_days as double precision) end) as mean_won_cycle_days,
    avg(case when d.is_won then d.amount end) as mean_won_amount
  from {{ ref('deals') }} as d
  where d.owner_id is not null
  group by d.owner_id
), activity as (
  select
    e.owner_id,
    count(*) as engagements_total,
    sum(case when e.engagement_type = 'call' then 1 else 0 end) as calls_total,
    sum(case when e.engagement_type = 'email' then 1 else 0 end) as emails_total,
    sum(case when e.engagement_type = 'meeting' then 1 else 0 end) as meetings_total,
    count(distinct e.occurred_week) as active_weeks,
    min(e.occurred_week) as first_active_week,
    max(e.occurred_week) as last_active_week
  from {{ ref('engagements') }} as e
  where e.owner_id is not null
  group by e.owner_id
)
select
  o.owner_id,
  o.owner_name,
  o.owner_email,
  o.team_id,
  o.team_name,
  o.is_active,
  coalesce(ds.won_deals, 0) as won_deals,
  coalesce(ds.lost_deals, 0) as lost_deals,
  coalesce(ds.open_deals, 0) as open_deals,
  coalesce(ds.bookings_amount, 0) as bookings_amount,
  coalesce(ds.open_pipeline_amount, 0) as open_pipeline_amount,
  case when coalesce(ds.won_deals, 0) + coalesce(ds.lost_deals, 0) > 0
       then cast(ds.won_deals as double precision) / (ds.won_deals + ds.lost_deals) end as win_rate,
  ds.mean_won_cycle_days,
  ds.mean_won_amount,
  coalesce(a.engagements_total, 0) as engagements_total,
  coalesce(a.calls_total, 0) as calls_total,
  coalesce(a.emails_total, 0) as emails_total,
  coalesce(a.meetings_total, 0) as meetings_total,
  coalesce(a.active_weeks, 0) as active_weeks,
  a.first_active_week,
  a.last_active_week,
  case when a.first_active_week is not null
       then cast(a.engagements_total as double precision)
            / (cast({{ revlens_days_between('a.first_active_week', 'a.last_active_week') }} as double precision) / 7 + 1)
  end as engagements_per_week
from {{ ref('stg_hubspot__owners') }} as o
left join deal_stats as ds on ds.owner_id = o.owner_id
left join activity as a on a.owner_id = o.owner_id
