-- One row per live deal: every deal property (custom ones included), then pipeline and stage from the stage
-- metadata (is_won / is_lost / is_open never come from labels), company, contact, owner and team, dates,
-- cycle length and close-date pushes.
with stages as (
  select * from {{ ref('stg_hubspot__pipeline_stages') }}
), close_dates as (
  select
    h.deal_id,
    h.changed_at,
    cast(substr(h.value, 1, 10) as date) as close_date,
    lag(cast(substr(h.value, 1, 10) as date)) over (partition by h.deal_id order by h.changed_at) as previous_close_date,
    row_number() over (partition by h.deal_id order by h.changed_at) as change_number
  from {{ ref('stg_hubspot__deal_property_history') }} as h
  where h.property = 'closedate' and h.value is not null and h.value <> ''
), pushes as (
  select
    c.deal_id,
    max(case when c.change_number = 1 then c.close_date end) as first_expected_close_date,
    sum(case when c.close_date > c.previous_close_date then 1 else 0 end) as close_date_pushes,
    -- Sums are cast back to BIGINT: PostgreSQL widens a BIGINT sum to NUMERIC, DuckDB to HUGEINT.
    cast(sum(case when c.close_date > c.previous_close_date
                  then {{ revlens_days_between('c.previous_close_date', 'c.close_date') }} else 0 end) as bigint)
      as close_date_pushed_days
  from close_dates as c
  group by c.deal_id
), visits as (
  select v.deal_id, count(*) as stage_visit_count, min(v.entered_at) as first_stage_entered_at
  from {{ ref('int_deal_stage_visits') }} as v
  group by v.deal_id
), base as (
  select
    d.*,
    s.pipeline_label,
    s.stage_label as deal_stage_label,
    s.stage_order as deal_stage_order,
    s.probability as deal_stage_probability,
    coalesce(s.is_closed, false) as is_closed,
    coalesce(s.is_won, false) as is_won,
    coalesce(s.is_lost, false) as is_lost,
    not coalesce(s.is_closed, false) as is_open,
    coalesce(d.createdate, d.created_at) as deal_created_at,
    a.company_id,
    a.company_count,
    a.contact_id,
    a.contact_count,
    o.owner_name,
    o.owner_email,
    o.team_id,
    o.team_name,
    p.first_expected_close_date,
    coalesce(p.close_date_pushes, 0) as close_date_pushes,
    coalesce(p.close_date_pushed_days, 0) as close_date_pushed_days,
    coalesce(v.stage_visit_count, 0) as stage_visit_count
  from {{ ref('stg_hubspot__deals') }} as d
  left join stages as s on s.pipeline_id = d.pipeline_id and s.stage_id = d.deal_stage_id
  left join {{ ref('int_deal_associations') }} as a on a.deal_id = d.deal_id
  left join {{ ref('stg_hubspot__owners') }} as o on o.owner_id = d.owner_id
  left join pushes as p on p.deal_id = d.deal_id
  left join visits as v on v.deal_id = d.deal_id
)
select
  b.*,
  cast(b.deal_created_at as date) as created_date,
  case when b.is_closed then cast(b.closedate as date) end as closed_date,
  case when b.is_won then b.amount else 0 end as won_amount,
  case when b.is_open then b.amount end as open_amount,
  case when b.is_closed then {{ revlens_days_between('b.deal_created_at', 'b.closedate') }} end as cycle_days
from base as b
