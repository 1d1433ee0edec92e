-- One row per deal × day from the deal's create date to its close date (or the as-of date while open): the
-- stage, amount and forecast category the deal had at the end of that day, rebuilt from property history, and
-- whether it was open, won or lost then. The point-in-time view forecasts and backtests read.
with deals as (
  select d.deal_id, d.pipeline_id, d.owner_id, d.created_date, d.closed_date
  from {{ ref('deals') }} as d
), bounds as (
  select
    coalesce(cast(nullif('{{ var("snapshot_start_date", "") }}', '') as date), min(d.created_date)) as start_date,
    max(a.as_of_date) as end_date
  from deals as d
  cross join {{ ref('int_as_of') }} as a
), spine as (
  -- The spine macro takes constants; the bounds cut it down to the days the deals span.
  select s.date_day
  from {{ revlens_date_spine("'2000-01-01'", "'2040-12-31'") }} as s
  cross join bounds as b
  where s.date_day >= b.start_date and s.date_day <= b.end_date
), history as (
  -- Open-ended ranges end after the spine, so the range join below has no OR.
  select
    h.deal_id,
    h.property,
    h.value,
    h.valid_from_date,
    coalesce(h.valid_to_date, cast('2100-01-01' as date)) as valid_to_date
  from {{ ref('int_deal_property_daily') }} as h
), deal_days as (
  select d.deal_id, d.pipeline_id, d.owner_id, s.date_day
  from deals as d
  join spine as s
    on s.date_day >= d.created_date
   and s.date_day <= coalesce(d.closed_date, cast('2100-01-01' as date))
), values_by_day as (
  -- One join on deal_id (a hash join; the range is a filter on few rows per deal) for the three properties,
  -- then one row per deal × day.
  select
    dd.deal_id,
    dd.date_day,
    max(case when h.property = 'dealstage' then h.value end) as deal_stage_id,
    max(case when h.property = 'amount' then h.value end) as amount_text,
    max(case when h.property = 'hs_manual_forecast_category' then h.value end) as forecast_category
  from deal_days as dd
  join history as h
    on h.deal_id = dd.deal_id and dd.date_day >= h.valid_from_date and dd.date_day < h.valid_to_date
  where h.property in ('dealstage', 'amount', 'hs_manual_forecast_category')
  group by dd.deal_id, dd.date_day
)
select
  cast(dd.deal_id as varchar) || '@' || cast(dd.date_day as varchar) as snapshot_key,
  dd.deal_id,
  dd.date_day,
  dd.pipeline_id,
  dd.owner_id,
  v.deal_stage_id,
  ps.stage_label as deal_stage_label,
  ps.probability as deal_stage_probability,
  cast({{ revlens_safe_cast_double('v.amount_text') }} as double precision) as amount,
  v.forecast_category,
  not coalesce(ps.is_closed, false) as is_open,
  coalesce(ps.is_won, false) as is_won,
  coalesce(ps.is_lost, false) as is_lost
from deal_days as dd
left join values_by_day as v on v.deal_id = dd.deal_id and v.date_day = dd.date_day
left join {{ ref('stg_hubspot__pipeline_stages') }} as ps
  on ps.pipeline_id = dd.pipeline_id and ps.stage_id = v.deal_stage_id
