-- One row per live engagement × associated live record (contact, company or deal).
select
  e.engagement_key,
  e.engagement_type,
  e.engagement_id,
  e.occurred_at,
  e.owner_id,
  a.to_type as linked_type,
  a.to_id as linked_id
from {{ ref('stg_hubspot__engagements') }} as e
join (
  select distinct from_engagement_type, from_id, to_type, to_id
  from {{ ref('stg_hubspot__associations') }}
  where from_engagement_type is not null
) as a
  on a.from_engagement_type = e.engagement_type and a.from_id = e.engagement_id
left join {{ ref('stg_hubspot__contacts') }} as c on a.to_type = 'contacts' and c.contact_id = a.to_id
left join {{ ref('stg_hubspot__companies') }} as co on a.to_type = 'companies' and co.company_id = a.to_id
left join {{ ref('stg_hubspot__deals') }} as d on a.to_type = 'deals' and d.deal_id = a.to_id
where c.contact_id is not null or co.company_id is not null or d.deal_id is not null
