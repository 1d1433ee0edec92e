-- Tracked deal properties as day ranges: the value a property held at the end of each day, valid from
-- valid_from_date up to (not including) valid_to_date (NULL = still current). The last change of a day wins.
with ranked as (
  select
    h.deal_id,
    h.property,
    h.value,
    cast(h.changed_at as date) as change_date,
    row_number() over (
      partition by h.deal_id, h.property, cast(h.changed_at as date)
      order by h.changed_at desc, h.value desc
    ) as rank_in_day
  from {{ ref('stg_hubspot__deal_property_history') }} as h
  where h.property in ('dealstage', 'amount', 'hs_manual_forecast_category', 'pipeline')
)
select
  r.deal_id,
  r.property,
  r.value,
  r.change_date as valid_from_date,
  lead(r.change_date) over (partition by r.deal_id, r.property order by r.change_date) as valid_to_date
from ranked as r
where r.rank_in_day = 1
