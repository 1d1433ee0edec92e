-- Archived and merged-away records of every object type: what staging leaves out, kept visible. The streams keep no
-- archive time (archived_at is NULL); a merged-away contact's survivor is the live contact whose
-- hs_merged_object_ids (a `;`-separated list) names it.
with merges as (
  select m.merged_ref, max(m.survivor_id) as merged_into_id
  from (
    select cast(c.id as bigint) as survivor_id, unnest(string_to_array(c.properties_hs_merged_object_ids, ';')) as merged_ref
    from {{ source('airbyte', 'contacts') }} as c
    where c.archived is not true and c.properties_hs_merged_object_ids is not null
  ) as m
  where m.merged_ref <> ''
  group by m.merged_ref
)
select 'contacts' as object_type, cast(r.id as bigint) as record_id, cast(null as timestamp) as archived_at,
       m.merged_into_id, cast(r.updatedat as timestamp) as updated_at
from {{ source('airbyte', 'contacts') }} as r
left join merges as m on m.merged_ref = r.id
where r.archived is true
union all
select 'companies', cast(r.id as bigint), cast(null as timestamp), cast(null as bigint), cast(r.updatedat as timestamp)
from {{ source('airbyte', 'companies') }} as r
where r.archived is true
union all
select 'deals', cast(r.id as bigint), cast(null as timestamp), cast(null as bigint), cast(r.updatedat as timestamp)
from {{ source('airbyte', 'deals') }} as r
where r.archived is true
union all
select 'calls', cast(r.id as bigint), cast(null as timestamp), cast(null as bigint), cast(r.updatedat as timestamp)
from {{ source('airbyte', 'engagements_calls') }} as r
where r.archived is true
union all
select 'emails', cast(r.id as bigint), cast(null as timestamp), cast(null as bigint), cast(r.updatedat as timestamp)
from {{ source('airbyte', 'engagements_emails') }} as r
where r.archived is true
union all
select 'meetings', cast(r.id as bigint), cast(null as timestamp), cast(null as bigint), cast(r.updatedat as timestamp)
from {{ source('airbyte', 'engagements_meetings') }} as r
where r.archived is true
union all
select 'notes', cast(r.id as bigint), cast(null as timestamp), cast(null as bigint), cast(r.updatedat as timestamp)
from {{ source('airbyte', 'engagements_notes') }} as r
where r.archived is true
union all
select 'tasks', cast(r.id as bigint), cast(null as timestamp), cast(null as bigint), cast(r.updatedat as timestamp)
from {{ source('airbyte', 'engagements_tasks') }} as r
where r.archived is true
