-- One row per live company: every company property (custom ones included), size and revenue bands, first deal,
-- customer since, lifetime won amount, contacts, and activity roll-ups to the as-of date. Firmographics as
-- filled_* columns: HubSpot's value, else an enrichment provider's (revlens enrich), with *_source saying which;
-- size_band and revenue_band are computed from them. A value a person entered in HubSpot always wins.
with deal_rollup as (
  select
    d.company_id,
    min(d.deal_created_at) as first_deal_created_at,
    min(case when d.is_won then d.closed_date end) as customer_since,
    sum(case when d.is_won then coalesce(d.amount, 0) else 0 end) as lifetime_won_amount,
    sum(case when d.is_won then 1 else 0 end) as won_deal_count,
    sum(case when d.is_lost then 1 else 0 end) as lost_deal_count,
    sum(case when d.is_open then 1 else 0 end) as open_deal_count,
    sum(case when d.is_open then coalesce(d.amount, 0) else 0 end) as open_pipeline_amount
  from {{ ref('deals') }} as d
  where d.company_id is not null
  group by d.company_id
), contact_rollup as (
  select cc.company_id, count(*) as contact_count
  from {{ ref('int_contact_companies') }} as cc
  where cc.company_id is not null
  group by cc.company_id
), activity as (
  select
    l.linked_id as company_id,
    count(*) as engagements_total,
    sum(case when cast(l.occurred_at as date) > {{ revlens_date_add_days('a.as_of_date', '-30') }}
                         and cast(l.occurred_at as date) <= a.as_of_date then 1 else 0 end) as engagements_30d,
    sum(case when cast(l.occurred_at as date) > {{ revlens_date_add_days('a.as_of_date', '-90') }}
                         and cast(l.occurred_at as date) <= a.as_of_date then 1 else 0 end) as engagements_90d,
    sum(case when l.engagement_type = 'meeting'
                         and cast(l.occurred_at as date) > {{ revlens_date_add_days('a.as_of_date', '-90') }}
                         and cast(l.occurred_at as date) <= a.as_of_date then 1 else 0 end) as meetings_90d,
    max(l.occurred_at) as last_engagement_at
  -- One row per engagement × linked record, so counts need no DISTINCT.
  from {{ ref('int_engagement_links') }} as l
  cross join {{ ref('int_as_of') }} as a
  where l.linked_type = 'companies'
  group by l.linked_id
), firmographics as (
  select
    c.company_id,
    coalesce(nullif(trim(c.industry), ''), e.industry) as filled_industry,
    case when nullif(trim(c.industry), '') is not null then 'hubspot'
         when e.industry is not null then 'enrichment:' || e.industry_provider end as industry_source,
    coalesce(c.employee_count, e.employee_count) as filled_employee_count,
    case when c.employee_count is not null then 'hubspot'
         when e.employee_count is not null then 'enrichment:' || e.employee_count_provider end as employee_count_source,
    coalesce(c.annual_revenue, e.annual_revenue) as filled_annual_revenue,
    case when c.annual_revenue is not null then 'hubspot'
         when e.annual_revenue is not null then 'enrichment:' || e.annual_revenue_provider end as annual_revenue_source,
    coalesce(nullif(trim(c.country), ''), e.country) as filled_country,
    case when nullif(trim(c.country), '') is not null then 'hubspot'
         when e.country is not null then 'enrichment:' || e.country_provider end as country_source
  from {{ ref('stg_hubspot__companies') }} as c
  left join {{ ref('int_company_enrichment') }} as e on e.company_id = c.company_id
)
select
  c.*,
  f.filled_industry,
  f.industry_source,
  f.filled_employee_count,
  f.employee_count_source,
  f.filled_annual_revenue,
  f.annual_revenue_source,
  f.filled_country,
  f.country_source,
  case
    when f.filled_employee_count is null then null
    when f.filled_employee_count <= 10 then '1-10'
    when f.filled_employee_count <= 50 then '11-50'
    when f.filled_employee_count <= 200 then '51-200'
    when f.filled_employee_count <= 1000 then '201-1000'
    when f.filled_employee_count <= 5000 then '1001-5000'
    else '5001+'
  end as size_band,
  case
    when f.filled_annual_revenue is null then null
    when f.filled_annual_revenue < 1000000 then '<1M'
    when f.filled_annual_revenue < 10000000 then '1M-10M'
    when f.filled_annual_revenue < 50000000 then '10M-50M'
    when f.filled_annual_revenue < 250000000 then '50M-250M'
    when f.filled_annual_revenue < 1000000000 then '250M-1B'
    else '1B+'
  end as revenue_band,
  o.owner_name,
  d.first_deal_created_at,
  d.customer_since,
  (d.customer_since is not null) as is_customer,
  coalesce(d.lifetime_won_amount, 0) as lifetime_won_amount,
  coalesce(d.won_deal_count, 0) as won_deal_count,
  coalesce(d.lost_deal_count, 0) as lost_deal_count,
  coalesce(d.open_deal_count, 0) as open_deal_count,
  coalesce(d.open_pipeline_amount, 0) as open_pipeline_amount,
  coalesce(cr.contact_count, 0) as contact_count,
  coalesce(act.engagements_total, 0) as engagements_total,
  coalesce(act.engagements_30d, 0) as engagements_30d,
  coalesce(act.engagements_90d, 0) as engagements_90d,
  coalesce(act.meetings_90d, 0) as meetings_90d,
  act.last_engagement_at
from {{ ref('stg_hubspot__companies') }} as c
join firmographics as f on f.company_id = c.company_id
left join {{ ref('stg_hubspot__owners') }} as o on o.owner_id = c.owner_id
left join deal_rollup as d on d.company_id = c.company_id
left join contact_rollup as cr on cr.company_id = c.company_id
left join activity as act on act.company_id = c.company_id
