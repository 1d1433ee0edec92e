-- One row per live engagement of the five activity types, in one shape: type, timestamp (hs_timestamp:
-- the activity date, a task's due date), owner, title, text, direction, outcome and status where the type has
-- them. Type-specific custom properties stay in the raw tables (join on engagement_type + engagement_id).
with calls as (
  select
    'call' as engagement_type, e.id as engagement_id, e.created_at, e.updated_at, e.hs_timestamp as occurred_at,
    e.hubspot_owner_id as owner_ref, e.hs_call_title as title, e.hs_call_body as body,
    e.hs_call_direction as direction, e.hs_call_disposition as outcome, e.hs_call_status as status,
    e.hs_call_duration as duration_ms
  from {{ source('hubspot', 'calls') }} as e
  where e.is_deleted is not true
), emails as (
  select
    'email', e.id, e.created_at, e.updated_at, e.hs_timestamp, e.hubspot_owner_id, e.hs_email_subject,
    e.hs_email_text, e.hs_email_direction, cast(null as varchar), e.hs_email_status, cast(null as double precision)
  from {{ source('hubspot', 'emails') }} as e
  where e.is_deleted is not true
), meetings as (
  select
    'meeting', e.id, e.created_at, e.updated_at, e.hs_timestamp, e.hubspot_owner_id, e.hs_meeting_title,
    e.hs_meeting_body, cast(null as varchar), e.hs_meeting_outcome, cast(null as varchar),
    cast(null as double precision)
  from {{ source('hubspot', 'meetings') }} as e
  where e.is_deleted is not true
), notes as (
  select
    'note', e.id, e.created_at, e.updated_at, e.hs_timestamp, e.hubspot_owner_id, cast(null as varchar),
    e.hs_note_body, cast(null as varchar), cast(null as varchar), cast(null as varchar),
    cast(null as double precision)
  from {{ source('hubspot', 'notes') }} as e
  where e.is_deleted is not true
), tasks as (
  select
    'task', e.id, e.created_at, e.updated_at, e.hs_timestamp, e.hubspot_owner_id, e.hs_task_subject,
    e.hs_task_body, cast(null as varchar), cast(null as varchar), e.hs_task_status, cast(null as double precision)
  from {{ source('hubspot', 'tasks') }} as e
  where e.is_deleted is not true
), unioned as (
  select * from calls
  union all select * from emails
  union all select * from meetings
  union all select * from notes
  union all select * from tasks
)
select
  -- Record ids are unique per object type only, so the key carries the type.
  u.engagement_type || ':' || cast(u.engagement_id as varchar) as engagement_key,
  u.engagement_type,
  u.engagement_id,
  u.created_at,
  u.updated_at,
  coalesce(u.occurred_at, u.created_at) as occurred_at,
  cast({{ revlens_safe_cast_double('u.owner_ref') }} as bigint) as owner_id,
  u.title,
  u.body,
  u.direction,
  u.outcome,
  u.status,
  u.duration_ms
from unioned as u
