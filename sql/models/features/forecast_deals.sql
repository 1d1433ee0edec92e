-- One row per live deal with what the forecast reads that is not a dated event: pipeline, creation, the outcome
-- as known now (for training labels and actual bookings only: revlens forecast rebuilds every past state from
-- forecast_deal_events), and attributes of the account that do not move with the deal's progress (company
-- industry, size band and tech stack from icp_companies; the primary contact's lead source and seniority).
with champion as (
  -- The title padded and stripped of punctuation, so ' ceo ' matches "Co-Founder & CEO" but not "ceolab".
  select
    ct.contact_id,
    nullif(trim(ct.original_source), '') as lead_source,
    ' ' || replace(replace(replace(replace(replace(lower(trim(ct.jobtitle)), ',', ' '), '&', ' '), '/', ' '), '-', ' '),
                   '.', ' ') || ' ' as title
  from {{ ref('contacts') }} as ct
)
select
  d.deal_id,
  d.pipeline_id,
  d.deal_created_at as created_at,
  d.is_closed,
  d.is_won,
  case when d.is_closed then d.closedate end as closed_at,
  d.amount,
  d.owner_id,
  co.industry,
  co.size_band,
  co.tech_stack,
  ch.lead_source,
  case
    when ch.title is null or trim(ch.title) = '' then null
    when ch.title like '% student %' or ch.title like '% intern %' or ch.title like '% internship %' then 'student'
    when ch.title like '% vp %' or ch.title like '%vice president%' or ch.title like '% svp %'
      or ch.title like '% evp %' then 'vp'
    when ch.title like '%chief%' or ch.title like '% ceo %' or ch.title like '% cfo %' or ch.title like '% cto %'
      or ch.title like '% cmo %' or ch.title like '% coo %' or ch.title like '% cio %' or ch.title like '% cro %'
      or ch.title like '%founder%' or ch.title like '% president %' then 'c_level'
    when ch.title like '%director%' or ch.title like '% head of %' or ch.title like '% head %' then 'director'
    when ch.title like '%manager%' then 'manager'
    else 'individual_contributor'
  end as contact_seniority
from {{ ref('deals') }} as d
left join {{ ref('icp_companies') }} as co on co.company_id = d.company_id
left join champion as ch on ch.contact_id = d.contact_id
