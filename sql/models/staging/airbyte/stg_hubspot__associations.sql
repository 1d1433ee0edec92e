-- One row per association, from the id arrays Airbyte puts on the object streams (contacts.companies,
-- deals.companies, deals.contacts, engagements_*.contacts / companies / deals). Airbyte keeps only the ids: HubSpot's
-- association type id, category and label do not reach the streams, so they are NULL and no association counts as
-- primary (a format limit: where a record has several associations of one kind, the intermediate models take the
-- lowest id rather than the primary one; contacts keep their primary company through associatedcompanyid).
-- The arrays are JSON; they are split as text, the one way both DuckDB and PostgreSQL read them alike.
with arrays as (
  select 'contacts' as from_type, c.id as from_ref, 'companies' as to_type, cast(c.companies as varchar) as refs
  from {{ source('airbyte', 'contacts') }} as c where c.archived is not true
  union all
  select 'deals', d.id, 'companies', cast(d.companies as varchar)
  from {{ source('airbyte', 'deals') }} as d where d.archived is not true
  union all
  select 'deals', d.id, 'contacts', cast(d.contacts as varchar)
  from {{ source('airbyte', 'deals') }} as d where d.archived is not true
  union all
  select 'calls', e.id, 'contacts', cast(e.contacts as varchar)
  from {{ source('airbyte', 'engagements_calls') }} as e where e.archived is not true
  union all
  select 'calls', e.id, 'companies', cast(e.companies as varchar)
  from {{ source('airbyte', 'engagements_calls') }} as e where e.archived is not true
  union all
  select 'calls', e.id, 'deals', cast(e.deals as varchar)
  from {{ source('airbyte', 'engagements_calls') }} as e where e.archived is not true
  union all
  select 'emails', e.id, 'contacts', cast(e.contacts as varchar)
  from {{ source('airbyte', 'engagements_emails') }} as e where e.archived is not true
  union all
  select 'emails', e.id, 'companies', cast(e.companies as varchar)
  from {{ source('airbyte', 'engagements_emails') }} as e where e.archived is not true
  union all
  select 'emails', e.id, 'deals', cast(e.deals as varchar)
  from {{ source('airbyte', 'engagements_emails') }} as e where e.archived is not true
  union all
  select 'meetings', e.id, 'contacts', cast(e.contacts as varchar)
  from {{ source('airbyte', 'engagements_meetings') }} as e where e.archived is not true
  union all
  select 'meetings', e.id, 'companies', cast(e.companies as varchar)
  from {{ source('airbyte', 'engagements_meetings') }} as e where e.archived is not true
  union all
  select 'meetings', e.id, 'deals', cast(e.deals as varchar)
  from {{ source('airbyte', 'engagements_meetings') }} as e where e.archived is not true
  union all
  select 'notes', e.id, 'contacts', cast(e.contacts as varchar)
  from {{ source('airbyte', 'engagements_notes') }} as e where e.archived is not true
  union all
  select 'notes', e.id, 'companies', cast(e.companies as varchar)
  from {{ source('airbyte', 'engagements_notes') }} as e where e.archived is not true
  union all
  select 'notes', e.id, 'deals', cast(e.deals as varchar)
  from {{ source('airbyte', 'engagements_notes') }} as e where e.archived is not true
  union all
  select 'tasks', e.id, 'contacts', cast(e.contacts as varchar)
  from {{ source('airbyte', 'engagements_tasks') }} as e where e.archived is not true
  union all
  select 'tasks', e.id, 'companies', cast(e.companies as varchar)
  from {{ source('airbyte', 'engagements_tasks') }} as e where e.archived is not true
  union all
  select 'tasks', e.id, 'deals', cast(e.deals as varchar)
  from {{ source('airbyte', 'engagements_tasks') }} as e where e.archived is not true
), refs as (
  select
    a.from_type,
    a.from_ref,
    a.to_type,
    unnest(string_to_array(replace(replace(replace(replace(a.refs, '[', ''), ']', ''), '"', ''), ' ', ''), ','))
      as to_ref
  from arrays as a
), links as (
  -- An id listed once per association type collapses to one link.
  select distinct r.from_type, cast(r.from_ref as bigint) as from_id, r.to_type, cast(r.to_ref as bigint) as to_id
  from refs as r
  where r.to_ref <> ''
)
select
  l.from_type || ':' || cast(l.from_id as varchar) || '>' || l.to_type || ':' || cast(l.to_id as varchar)
    as association_key,
  l.from_type,
  l.from_id,
  l.to_type,
  l.to_id,
  cast(null as bigint) as type_id,
  cast(null as varchar) as category,
  cast(null as varchar) as label,
  false as is_primary,
  case l.from_type
    when 'calls' then 'call' when 'emails' then 'email' when 'meetings' then 'meeting'
    when 'notes' then 'note' when 'tasks' then 'task'
  end as from_engagement_type,
  cast(null as timestamp) as synced_at
from links as l
