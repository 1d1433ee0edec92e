-- One row per live engagement from Airbyte's engagements_calls / _emails / _meetings / _notes / _tasks streams, in
-- the canonical shape: type, timestamp (hs_timestamp: the activity date, a task's due date), owner, title, text,
-- direction, outcome and status where the type has them.
with calls as (
  select
    'call' as engagement_type, e.id as engagement_ref, e.createdat as created_at, e.updatedat as updated_at,
    e.properties_hs_timestamp as occurred_at, e.properties_hubspot_owner_id as owner_ref,
    e.properties_hs_call_title as title, e.properties_hs_call_body as body,
    e.properties_hs_call_direction as direction, e.properties_hs_call_disposition as outcome,
    e.properties_hs_call_status as status, e.properties_hs_call_duration as duration_ms
  from {{ source('airbyte', 'engagements_calls') }} as e
  where e.archived is not true
), emails as (
  select
    'email', e.id, e.createdat, e.updatedat, e.properties_hs_timestamp, e.properties_hubspot_owner_id,
    e.properties_hs_email_subject, e.properties_hs_email_text, e.properties_hs_email_direction, cast(null as varchar),
    e.properties_hs_email_status, cast(null as double precision)
  from {{ source('airbyte', 'engagements_emails') }} as e
  where e.archived is not true
), meetings as (
  select
    'meeting', e.id, e.createdat, e.updatedat, e.properties_hs_timestamp, e.properties_hubspot_owner_id,
    e.properties_hs_meeting_title, e.properties_hs_meeting_body, cast(null as varchar),
    e.properties_hs_meeting_outcome, cast(null as varchar), cast(null as double precision)
  from {{ source('airbyte', 'engagements_meetings') }} as e
  where e.archived is not true
), notes as (
  select
    'note', e.id, e.createdat, e.updatedat, e.properties_hs_timestamp, e.properties_hubspot_owner_id,
    cast(null as varchar), e.properties_hs_note_body, cast(null as varchar), cast(null as varchar),
    cast(null as varchar), cast(null as double precision)
  from {{ source('airbyte', 'engagements_notes') }} as e
  where e.archived is not true
), tasks as (
  select
    'task', e.id, e.createdat, e.updatedat, e.properties_hs_timestamp, e.properties_hubspot_owner_id,
    e.properties_hs_task_subject, e.properties_hs_task_body, cast(null as varchar), cast(null as varchar),
    e.properties_hs_task_status, cast(null as double precision)
  from {{ source('airbyte', 'engagements_tasks') }} as e
  where e.archived is not true
), unioned as (
  select * from calls
  union all select * from emails
  union all select * from meetings
  union all select * from notes
  union all select * from tasks
)
select
  -- Record ids are unique per object type only, so the key carries the type.
  u.engagement_type || ':' || cast(u.engagement_ref as varchar) as engagement_key,
  u.engagement_type,
  cast(u.engagement_ref as bigint) as engagement_id,
  cast(u.created_at as timestamp) as created_at,
  cast(u.updated_at as timestamp) as updated_at,
  cast(coalesce(u.occurred_at, u.created_at) as timestamp) as occurred_at,
  cast({{ revlens_safe_cast_double('u.owner_ref') }} as bigint) as owner_id,
  u.title,
  u.body,
  u.direction,
  u.outcome,
  u.status,
  u.duration_ms
from unioned as u
