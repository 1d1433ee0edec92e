-- One row per live contact with its company: the primary company property when it names a live company, else
-- the primary association, else the lowest associated company id.
with assoc as (
  select
    a.from_id as contact_id,
    coalesce(min(case when a.is_primary then a.to_id end), min(a.to_id)) as company_id
  from {{ ref('stg_hubspot__associations') }} as a
  join {{ ref('stg_hubspot__companies') }} as co on co.company_id = a.to_id
  where a.from_type = 'contacts' and a.to_type = 'companies'
  group by a.from_id
)
select
  c.contact_id,
  coalesce(pc.company_id, a.company_id) as company_id
from {{ ref('stg_hubspot__contacts') }} as c
left join {{ ref('stg_hubspot__companies') }} as pc on pc.company_id = c.primary_company_id
left join assoc as a on a.contact_id = c.contact_id
