-- One row per live engagement from Fivetran's engagement_call / _email / _meeting / _note / _task (HubSpot's v3
-- engagement properties as property_* columns; `_fivetran_deleted` marks deleted ones), in the canonical shape:
-- type, timestamp (hs_timestamp: the activity date, a task's due date), owner, title, text, direction, outcome and
-- status where the type has them. created_at / updated_at are hs_createdate / hs_lastmodifieddate.
with calls as (
  select
    'call' as engagement_type, e.engagement_id, e.property_hs_createdate as created_at,
    e.property_hs_lastmodifieddate as updated_at, e.property_hs_timestamp as occurred_at,
    e.property_hubspot_owner_id as owner_ref, e.property_hs_call_title as title, e.property_hs_call_body as body,
    e.property_hs_call_direction as direction, e.property_hs_call_disposition as outcome,
    e.property_hs_call_status as status, e.property_hs_call_duration as duration_ms
  from {{ source('fivetran', 'engagement_call') }} as e
  where e._fivetran_deleted is not true
), emails as (
  select
    'email', e.engagement_id, e.property_hs_createdate, e.property_hs_lastmodifieddate, e.property_hs_timestamp,
    e.property_hubspot_owner_id, e.property_hs_email_subject, e.property_hs_email_text,
    e.property_hs_email_direction, cast(null as varchar), e.property_hs_email_status, cast(null as double precision)
  from {{ source('fivetran', 'engagement_email') }} as e
  where e._fivetran_deleted is not true
), meetings as (
  select
    'meeting', e.engagement_id, e.property_hs_createdate, e.property_hs_lastmodifieddate, e.property_hs_timestamp,
    e.property_hubspot_owner_id, e.property_hs_meeting_title, e.property_hs_meeting_body, cast(null as varchar),
    e.property_hs_meeting_outcome, cast(null as varchar), cast(null as double precision)
  from {{ source('fivetran', 'engagement_meeting') }} as e
  where e._fivetran_deleted is not true
), notes as (
  select
    'note', e.engagement_id, e.property_hs_createdate, e.property_hs_lastmodifieddate, e.property_hs_timestamp,
    e.property_hubspot_owner_id, cast(null as varchar), e.property_hs_note_body, cast(null as varchar),
    cast(null as varchar), cast(null as varchar), cast(null as double precision)
  from {{ source('fivetran', 'engagement_note') }} as e
  where e._fivetran_deleted is not true
), tasks as (
  select
    'task', e.engagement_id, e.property_hs_createdate, e.property_hs_lastmodifieddate, e.property_hs_timestamp,
    e.property_hubspot_owner_id, e.property_hs_task_subject, e.property_hs_task_body, cast(null as varchar),
    cast(null as varchar), e.property_hs_task_status, cast(null as double precision)
  from {{ source('fivetran', 'engagement_task') }} as e
  where e._fivetran_deleted is not true
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
