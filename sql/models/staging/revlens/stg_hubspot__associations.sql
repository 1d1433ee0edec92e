-- One row per association and association type id, as read (contacts->companies, deals->companies,
-- deals->contacts, engagement types -> contacts/companies/deals). Engagement types use the singular
-- engagement_type names of stg_hubspot__engagements in from_engagement_type.
select
  a.from_type || ':' || cast(a.from_id as varchar) || '>' || a.to_type || ':' || cast(a.to_id as varchar)
    || '#' || cast(a.type_id as varchar) as association_key,
  a.from_type,
  a.from_id,
  a.to_type,
  a.to_id,
  a.type_id,
  a.category,
  a.label,
  -- HubSpot's primary association types: contact->company 1, deal->company 5.
  (a.type_id in (1, 5)) as is_primary,
  case a.from_type
    when 'calls' then 'call' when 'emails' then 'email' when 'meetings' then 'meeting'
    when 'notes' then 'note' when 'tasks' then 'task'
  end as from_engagement_type,
  a.synced_at
from {{ source('hubspot', 'associations') }} as a
