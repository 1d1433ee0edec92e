-- One row per live deal: its company (the primary association when there is one, else the lowest id) and its
-- first contact, with how many of each it has. Collapsing here keeps the deal marts free of fan-out.
with companies as (
  select
    a.from_id as deal_id,
    coalesce(min(case when a.is_primary then a.to_id end), min(a.to_id)) as company_id,
    count(distinct a.to_id) as company_count
  from {{ ref('stg_hubspot__associations') }} as a
  join {{ ref('stg_hubspot__companies') }} as c on c.company_id = a.to_id
  where a.from_type = 'deals' and a.to_type = 'companies'
  group by a.from_id
), contacts as (
  select
    a.from_id as deal_id,
    min(a.to_id) as contact_id,
    count(distinct a.to_id) as contact_count
  from {{ ref('stg_hubspot__associations') }} as a
  join {{ ref('stg_hubspot__contacts') }} as c on c.contact_id = a.to_id
  where a.from_type = 'deals' and a.to_type = 'contacts'
  group by a.from_id
)
select
  d.deal_id,
  co.company_id,
  coalesce(co.company_count, 0) as company_count,
  ct.contact_id,
  coalesce(ct.contact_count, 0) as contact_count
from {{ ref('stg_hubspot__deals') }} as d
left join companies as co on co.deal_id = d.deal_id
left join contacts as ct on ct.deal_id = d.deal_id
