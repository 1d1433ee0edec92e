-- Deleted and merged-away records of every object type: what staging leaves out, kept visible. Fivetran marks them
-- (`_fivetran_deleted`, `is_deleted`) but keeps no archive time, so archived_at is NULL; a merged contact's survivor
-- comes from contact_merge_audit.
with merges as (
  select m.vid_to_merge, max(m.canonical_vid) as merged_into_id
  from {{ source('fivetran', 'contact_merge_audit') }} as m
  group by m.vid_to_merge
)
select 'contacts' as object_type, r.id as record_id, cast(null as timestamp) as archived_at, m.merged_into_id,
       r.property_lastmodifieddate as updated_at
from {{ source('fivetran', 'contact') }} as r
left join merges as m on m.vid_to_merge = r.id
where r._fivetran_deleted is true
union all
select 'companies', r.id, cast(null as timestamp), cast(null as bigint), r.property_hs_lastmodifieddate
from {{ source('fivetran', 'company') }} as r
where r.is_deleted is true or r._fivetran_deleted is true
union all
select 'deals', r.deal_id, cast(null as timestamp), cast(null as bigint), r.property_hs_lastmodifieddate
from {{ source('fivetran', 'deal') }} as r
where r.is_deleted is true or r._fivetran_deleted is true
union all
select 'calls', r.engagement_id, cast(null as timestamp), cast(null as bigint), r.property_hs_lastmodifieddate
from {{ source('fivetran', 'engagement_call') }} as r
where r._fivetran_deleted is true
union all
select 'emails', r.engagement_id, cast(null as timestamp), cast(null as bigint), r.property_hs_lastmodifieddate
from {{ source('fivetran', 'engagement_email') }} as r
where r._fivetran_deleted is true
union all
select 'meetings', r.engagement_id, cast(null as timestamp), cast(null as bigint), r.property_hs_lastmodifieddate
from {{ source('fivetran', 'engagement_meeting') }} as r
where r._fivetran_deleted is true
union all
select 'notes', r.engagement_id, cast(null as timestamp), cast(null as bigint), r.property_hs_lastmodifieddate
from {{ source('fivetran', 'engagement_note') }} as r
where r._fivetran_deleted is true
union all
select 'tasks', r.engagement_id, cast(null as timestamp), cast(null as bigint), r.property_hs_lastmodifieddate
from {{ source('fivetran', 'engagement_task') }} as r
where r._fivetran_deleted is true
