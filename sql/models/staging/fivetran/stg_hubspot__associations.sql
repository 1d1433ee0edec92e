-- One row per association and association type id, from Fivetran's link tables (contact_company, deal_company,
-- deal_contact, engagement_contact / _company / _deal), which carry HubSpot's type_id and category. The engagement
-- links name only the engagement: its type comes from `engagement`. Fivetran lands no association labels, so label
-- is NULL (user-defined labels keep their type id and category USER_DEFINED).
with links as (
  select 'contacts' as from_type, l.contact_id as from_id, 'companies' as to_type, l.company_id as to_id,
         l.type_id, l.category, l._fivetran_synced as synced_at
  from {{ source('fivetran', 'contact_company') }} as l
  union all
  select 'deals', l.deal_id, 'companies', l.company_id, l.type_id, l.category, l._fivetran_synced
  from {{ source('fivetran', 'deal_company') }} as l
  union all
  select 'deals', l.deal_id, 'contacts', l.contact_id, l.type_id, l.category, l._fivetran_synced
  from {{ source('fivetran', 'deal_contact') }} as l
  union all
  select e.type, l.engagement_id, 'contacts', l.contact_id, l.type_id, l.category, l._fivetran_synced
  from {{ source('fivetran', 'engagement_contact') }} as l
  join {{ source('fivetran', 'engagement') }} as e on e.id = l.engagement_id
  union all
  select e.type, l.engagement_id, 'companies', l.company_id, l.type_id, l.category, l._fivetran_synced
  from {{ source('fivetran', 'engagement_company') }} as l
  join {{ source('fivetran', 'engagement') }} as e on e.id = l.engagement_id
  union all
  select e.type, l.engagement_id, 'deals', l.deal_id, l.type_id, l.category, l._fivetran_synced
  from {{ source('fivetran', 'engagement_deal') }} as l
  join {{ source('fivetran', 'engagement') }} as e on e.id = l.engagement_id
), typed as (
  -- Fivetran's engagement types (CALL, EMAIL, ...) as revlens's object type names.
  select
    case upper(l.from_type)
      when 'CALL' then 'calls' when 'EMAIL' then 'emails' when 'MEETING' then 'meetings'
      when 'NOTE' then 'notes' when 'TASK' then 'tasks' else l.from_type
    end as from_type,
    l.from_id, l.to_type, l.to_id, l.type_id, l.category, l.synced_at
  from links as l
)
select
  a.from_type || ':' || cast(a.from_id as varchar) || '>' || a.to_type || ':' || cast(a.to_id as varchar)
    || '#' || cast(a.type_id as varchar) as association_key,
  a.from_type,
  a.from_id,
  a.to_type,
  a.to_id,
  a.type_id,
  a.category,
  cast(null as varchar) as label,
  -- HubSpot's primary association types: contact->company 1, deal->company 5.
  (a.type_id in (1, 5)) as is_primary,
  case a.from_type
    when 'calls' then 'call' when 'emails' then 'email' when 'meetings' then 'meeting'
    when 'notes' then 'note' when 'tasks' then 'task'
  end as from_engagement_type,
  a.synced_at
from typed as a
