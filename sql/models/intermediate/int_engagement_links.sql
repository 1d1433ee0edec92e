-- One row per live engagement × associated live record (contact, company or deal). A table: four models read it.
{{ config(materialized='table') }}
with links as (
  -- Several association type ids between one pair collapse to one link.
  select a.from_engagement_type, a.from_id, a.to_type, a.to_id
  from {{ ref('stg_hubspot__associations') }} as a
  where a.from_engagement_type is not null
  group by a.from_engagement_type, a.from_id, a.to_type, a.to_id
), live_links as (
  select l.* from links as l
  where (l.to_type = 'contacts' and l.to_id in (select contact_id from {{ ref('stg_hubspot__contacts') }}))
     or (l.to_type = 'companies' and l.to_id in (select company_id from {{ ref('stg_hubspot__companies') }}))
     or (l.to_type = 'deals' and l.to_id in (select deal_id from {{ ref('stg_hubspot__deals') }}))
)
select
  e.engagement_key || '>' || l.to_type || ':' || cast(l.to_id as varchar) as engagement_link_key,
  e.engagement_key,
  e.engagement_type,
  e.engagement_id,
  e.occurred_at,
  e.owner_id,
  l.to_type as linked_type,
  l.to_id as linked_id
from {{ ref('stg_hubspot__engagements') }} as e
join live_links as l on l.from_engagement_type = e.engagement_type and l.from_id = e.engagement_id
