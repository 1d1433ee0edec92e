-- One row per closed new-business deal (pipeline var icp_new_business_pipeline, HubSpot's `default` unless set):
-- outcome, amount, cycle, the company's ICP attributes (icp_companies), the lead source and champion seniority
-- of the deal's primary contact, and the engagements logged against its company up to the close. The rows
-- `revlens icp` pulls; the statistics are computed in C++.
with closed as (
  select d.deal_id, d.company_id, d.contact_id, d.is_won, d.amount, d.cycle_days, d.closed_date, d.closedate
  from {{ ref('deals') }} as d
  where d.pipeline_id = '{{ var("icp_new_business_pipeline", "default") }}' and d.is_closed
), activity as (
  -- int_engagement_links has one row per engagement × linked record, so the count needs no DISTINCT.
  select c.deal_id, count(*) as engagements
  from closed as c
  join {{ ref('int_engagement_links') }} as l
    on l.linked_type = 'companies' and l.linked_id = c.company_id and l.occurred_at <= c.closedate
  group by c.deal_id
), champion as (
  -- The title padded and stripped of punctuation, so ' ceo ' matches "Co-Founder & CEO" but not "ceolab".
  select
    ct.contact_id,
    nullif(trim(ct.original_source), '') as lead_source,
    ' ' || replace(replace(replace(replace(replace(lower(trim(ct.jobtitle)), ',', ' '), '&', ' '), '/', ' '), '-', ' '),
                   '.', ' ') || ' ' as title
  from {{ ref('contacts') }} as ct
)
select
  c.deal_id,
  c.company_id,
  c.contact_id,
  c.is_won,
  c.amount,
  c.cycle_days,
  c.closed_date,
  co.industry,
  co.size_band,
  co.revenue_band,
  co.country,
  co.region,
  co.tech_stack,
  ch.lead_source,
  case
    when ch.title is null or trim(ch.title) = '' then null
    when ch.title like '% student %' or ch.title like '% intern %' or ch.title like '% internship %' then 'student'
    when ch.title like '% vp %' or ch.title like '%vice president%' or ch.title like '% svp %'
      or ch.title like '% evp %' then 'vp'
    when ch.title like '%chief%' or ch.title like '% ceo %' or ch.title like '% cfo %' or ch.title like '% cto %'
      or ch.title like '% cmo %' or ch.title like '% coo %' or ch.title like '% cio %' or ch.title like '% cro %'
      or ch.title like '% chro %' or ch.title like '%founder%' or ch.title like '% president %' then 'c_level'
    when ch.title like '%director%' or ch.title like '% head of %' or ch.title like '% head %' then 'director'
    when ch.title like '%manager%' then 'manager'
    else 'individual_contributor'
  end as champion_seniority,
  case when c.company_id is not null then coalesce(a.engagements, 0) end as engagements
from closed as c
left join {{ ref('icp_companies') }} as co on co.company_id = c.company_id
left join champion as ch on ch.contact_id = c.contact_id
left join activity as a on a.deal_id = c.deal_id
