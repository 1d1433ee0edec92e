-- One row per live engagement: type, timestamp, owner, title and text, direction / outcome / status, and the
-- associated contact, company and deal (the lowest id when there are several; the counts say how many).
with links as (
  select
    l.engagement_key,
    min(case when l.linked_type = 'contacts' then l.linked_id end) as contact_id,
    min(case when l.linked_type = 'companies' then l.linked_id end) as company_id,
    min(case when l.linked_type = 'deals' then l.linked_id end) as deal_id,
    -- int_engagement_links has one row per engagement × linked record, so plain sums count distinct records.
    sum(case when l.linked_type = 'contacts' then 1 else 0 end) as contact_count,
    sum(case when l.linked_type = 'companies' then 1 else 0 end) as company_count,
    sum(case when l.linked_type = 'deals' then 1 else 0 end) as deal_count
  from {{ ref('int_engagement_links') }} as l
  group by l.engagement_key
)
select
  e.*,
  cast(e.occurred_at as date) as occurred_date,
  {{ revlens_date_trunc('week', 'e.occurred_at') }} as occurred_week,
  o.owner_name,
  o.team_id,
  o.team_name,
  l.contact_id,
  l.company_id,
  l.deal_id,
  coalesce(l.contact_count, 0) as contact_count,
  coalesce(l.company_count, 0) as company_count,
  coalesce(l.deal_count, 0) as deal_count
from {{ ref('stg_hubspot__engagements') }} as e
left join {{ ref('stg_hubspot__owners') }} as o on o.owner_id = e.owner_id
left join links as l on l.engagement_key = e.engagement_key
